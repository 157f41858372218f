// Docker's time formats: the human durations of `docker ps`, the
// "seconds.nanoseconds" timestamps clients send for since/until, and the
// fixed-width RFC 3339 timestamps of `docker logs --timestamps`.

import { invalid } from '../core/errors.ts';
import type { ContainerState } from '../core/container.ts';

/** go-units HumanDuration, from milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const exactHours = ms / 3_600_000;
  const hours = Math.trunc(exactHours + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(exactHours) / 24 / 365)} years`;
}

/** Go's zero time, and the empty string, mean "never". */
export function isZeroTime(t: string): boolean {
  return t === '' || t.startsWith('0001-01-01');
}

/** The STATUS column of `docker ps` (dockerd's State.String()). */
export function statusText(s: ContainerState, now = Date.now()): string {
  const since = (t: string) => humanDuration(Math.max(0, now - Date.parse(t)));
  switch (s.status) {
    case 'running': {
      const h = s.health;
      if (!h) return `Up ${since(s.startedAt)}`;
      return `Up ${since(s.startedAt)} (${h.status === 'starting' ? 'health: starting' : h.status})`;
    }
    case 'paused': return `Up ${since(s.startedAt)} (Paused)`;
    case 'restarting': return `Restarting (${s.exitCode}) ${since(s.finishedAt)} ago`;
    case 'removing': return 'Removal In Progress';
    case 'dead': return 'Dead';
    default:
      if (isZeroTime(s.startedAt)) return 'Created';
      if (isZeroTime(s.finishedAt)) return '';
      return `Exited (${s.exitCode}) ${since(s.finishedAt)} ago`;
  }
}

export interface Timestamp {
  /** Unix seconds with the fraction (precision: what a double holds). */
  seconds: number;
  /** Exact unix nanoseconds. */
  nanos: bigint;
  date: Date;
}

/**
 * Parses since/until values. The docker CLI converts durations and dates to
 * "seconds[.nanoseconds]" before sending; RFC 3339 dates are accepted too for
 * hand-written requests. Empty means unset.
 */
export function parseTimestamp(name: string, raw: string | null): Timestamp | undefined {
  if (raw === null || raw === '') return undefined;
  const m = /^(-?\d+)(?:\.(\d{0,20}))?$/.exec(raw);
  if (m) {
    const frac = (m[2] ?? '').slice(0, 9).padEnd(9, '0');
    const nanos = BigInt(m[1]!) * 1_000_000_000n + (m[1]!.startsWith('-') ? -1n : 1n) * BigInt(frac);
    const seconds = Number(m[1]) + Number(frac) / 1e9;
    return { seconds, nanos, date: new Date(Number(nanos / 1_000_000n)) };
  }
  const ms = Date.parse(raw);
  if (/^\d{4}-\d\d-\d\d/.test(raw) && !Number.isNaN(ms)) return { seconds: ms / 1000, nanos: BigInt(ms) * 1_000_000n, date: new Date(ms) };
  throw invalid(`invalid value for "${name}": invalid timestamp ${JSON.stringify(raw)}`);
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i;

/**
 * A log timestamp as dockerd prints it: UTC, always nine fractional digits
 * ("2006-01-02T15:04:05.000000000Z"). Keeps the nanoseconds of the original
 * text (a Date only holds milliseconds); falls back to `time`.
 */
export function fixedNanoTimestamp(text: string, time: Date): string {
  const m = RFC3339.exec(text);
  if (!m) return time.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
  const frac = (m[2] ?? '').slice(0, 9).padEnd(9, '0');
  const zone = m[3]!.toUpperCase();
  if (zone === 'Z' || zone === '+00:00' || zone === '-00:00') return `${m[1]}.${frac}Z`;
  const utc = new Date(Date.parse(`${m[1]}${zone}`)).toISOString().slice(0, 19);
  return `${utc}.${frac}Z`;
}

/** Unix seconds of an RFC 3339 time (docker's `Created` in lists). */
export function unixSeconds(t: string): number {
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/**
 * A prune filter's `until` as unix milliseconds, as dockerd's
 * GetTimestamp reads it: a Go duration before now ("24h", "1h30m"), an
 * RFC 3339 time or date, or unix seconds ("1700000000.5").
 */
export function parseUntil(value: string, now = Date.now()): number {
  const v = value.trim();
  const re = /([+-]?\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let pos = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos > 0 && pos === v.length) return now - ms;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
    if (!Number.isNaN(t)) return t;
  }
  throw invalid(`failed to parse value as time or duration: "${value}"`);
}
