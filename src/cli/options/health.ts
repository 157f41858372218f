// The --health-* flags of run and create, parsed as docker's CLI does:
// durations with Go's time.ParseDuration (and its messages), negative
// values refused, --no-healthcheck alone or not at all.

import type { HealthConfigBody } from '../../client/types.ts';

const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(s: string): number {
  const quoted = JSON.stringify(s);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (rest !== '') {
    const num = /^(\d*)(\.(\d*))?/.exec(rest)!;
    if (num[1] === '' && (num[3] ?? '') === '') throw new Error(`time: invalid duration ${quoted}`);
    rest = rest.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(rest)![0];
    if (unit === '') throw new Error(`time: missing unit in duration ${quoted}`);
    const scale = UNITS[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    rest = rest.slice(unit.length);
    total += Number(`${num[1] || '0'}.${num[3] || '0'}`) * scale;
  }
  if (total > Number.MAX_SAFE_INTEGER) throw new Error(`time: invalid duration ${quoted}`);
  return sign * Math.round(total);
}

/** pflag validation of a duration flag's value (the parsed value is read again by healthConfig). */
export function validateDuration(v: string): string {
  parseGoDuration(v);
  return v;
}

const durationFlag = (v: unknown): number => (typeof v === 'string' && v !== '' ? parseGoDuration(v) : 0);

/** docker's parse(): the Config.Healthcheck to send, or undefined to send none. */
export function healthConfig(v: Record<string, unknown>): HealthConfigBody | undefined {
  const cmd = typeof v['health-cmd'] === 'string' ? v['health-cmd'] : '';
  const interval = durationFlag(v['health-interval']);
  const timeout = durationFlag(v['health-timeout']);
  const startPeriod = durationFlag(v['health-start-period']);
  const startInterval = durationFlag(v['health-start-interval']);
  const retries = typeof v['health-retries'] === 'number' ? v['health-retries'] : 0;
  const have = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (v['no-healthcheck'] === true) {
    if (have) throw new Error('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!have) return undefined;
  if (interval < 0) throw new Error('--health-interval cannot be negative');
  if (timeout < 0) throw new Error('--health-timeout cannot be negative');
  if (retries < 0) throw new Error('--health-retries cannot be negative');
  if (startPeriod < 0) throw new Error('--health-start-period cannot be negative');
  if (startInterval < 0) throw new Error('--health-start-interval cannot be negative');
  return {
    Test: cmd ? ['CMD-SHELL', cmd] : null,
    Interval: interval, Timeout: timeout, StartPeriod: startPeriod, StartInterval: startInterval, Retries: retries,
  };
}
