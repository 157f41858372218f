// The --health-* flags of run and create, parsed as docker's CLI does:
// durations with Go's time.ParseDuration (and its messages), negative
// values refused, --no-healthcheck alone or not at all.

import type { HealthConfigBody } from '../../client/types.ts';
import { parseGoDuration } from '../../core/duration.ts';

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
