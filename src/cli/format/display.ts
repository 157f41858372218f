// Small display helpers shared by the formatters: docker's Ellipsis and
// Go's time layouts (Time.String, RFC3339, ANSIC) in the local zone.

import { displayWidth } from './tabwriter.ts';

/** formatter.Ellipsis: cut to maxWidth display columns, ending in "…". */
export function ellipsis(s: string, maxWidth: number): string {
  if (maxWidth <= 0) return '';
  const runes = [...s];
  if (maxWidth === 1) return runes[0] ?? '';
  // Docker's fast path for single-byte text counts bytes, control characters (a tab) included.
  if (Buffer.byteLength(s) === s.length) return s.length <= maxWidth ? s : `${s.slice(0, maxWidth - 1)}…`;
  if (displayWidth(s) <= maxWidth) return s;
  let width = 0;
  let out = '';
  for (const r of runes) {
    const w = displayWidth(r);
    if (width + w > maxWidth - 1) break;
    width += w;
    out += r;
  }
  return `${out}…`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

let zoneNamesFor: { tz: string | undefined; format: Intl.DateTimeFormat } | undefined;

/**
 * One formatter per process (per TZ): making an Intl.DateTimeFormat costs
 * ~0.1-2 ms, once per row of a table with a date column (`ps` with 1,000
 * containers spent seconds there).
 */
function zoneNames(): Intl.DateTimeFormat {
  const tz = process.env.TZ;
  if (!zoneNamesFor || zoneNamesFor.tz !== tz) zoneNamesFor = { tz, format: new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }) };
  return zoneNamesFor.format;
}

function zone(date: Date): { offset: string; colon: string; abbr: string; utc: boolean } {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const h = Math.trunc(Math.abs(minutes) / 60);
  const m = Math.abs(minutes) % 60;
  let abbr = zoneNames().formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
  if (/^GMT[+-]/.test(abbr) || abbr === '') abbr = `${sign}${pad(h)}${m ? pad(m) : ''}`;
  if (minutes === 0 && (abbr === 'GMT' || abbr === '+00') && (process.env.TZ ?? 'UTC').toUpperCase().includes('UTC')) abbr = 'UTC';
  return { offset: `${sign}${pad(h)}${pad(m)}`, colon: `${sign}${pad(h)}:${pad(m)}`, abbr, utc: minutes === 0 };
}

function ymd(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function hms(d: Date): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Go's time.Unix(sec, 0).String(): "2006-01-02 15:04:05 -0700 MST". */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const z = zone(d);
  return `${ymd(d)} ${hms(d)} ${z.offset} ${z.abbr}`;
}

/** Go's time.Unix(sec, 0).Format(time.RFC3339) in the local zone. */
export function rfc3339Local(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const z = zone(d);
  return `${ymd(d)}T${hms(d)}${z.utc ? 'Z' : z.colon}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.ANSIC: "Mon Jan  2 15:04:05 2006"; the input as is when it is not RFC 3339. */
export function ansic(rfc3339: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(rfc3339)) return rfc3339;
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  // Go keeps the zone the string was written in; show the clock time it names.
  const m = /T(\d{2}):(\d{2}):(\d{2})/.exec(rfc3339)!;
  const [y, mo, day] = rfc3339.slice(0, 10).split('-').map(Number);
  const wd = new Date(Date.UTC(y, mo - 1, day)).getUTCDay();
  return `${DAYS[wd]} ${MONTHS[mo - 1]} ${String(day).padStart(2, ' ')} ${m[1]}:${m[2]}:${m[3]} ${y}`;
}

/** Go's time.Unix(sec, nsec).Format("2006-01-02T15:04:05.000000000Z07:00") in the local zone (docker events). */
export function rfc3339NanoFixedLocal(unixSeconds: number, nanos: number): string {
  const d = new Date(unixSeconds * 1000);
  const z = zone(d);
  return `${ymd(d)}T${hms(d)}.${String(nanos).padStart(9, '0')}${z.utc ? 'Z' : z.colon}`;
}
