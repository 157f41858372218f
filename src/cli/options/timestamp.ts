// `logs --since/--until`: docker's GetTimestamp turns a Go duration ("10m",
// "1h30m"), an RFC 3339 time (with or without zone, date only...), or unix
// seconds[.nanos] into the "seconds.nanoseconds" string the API takes.

const UNITS: Record<string, number> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

/** time.ParseDuration, in nanoseconds. */
export function parseGoDuration(s: string): number {
  const orig = s;
  const invalid = () => new Error(`time: invalid duration ${JSON.stringify(orig)}`);
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s.length > 0) {
    const num = /^(\d*)(\.\d*)?/.exec(s)!;
    if (num[0] === '' || num[0] === '.') throw invalid();
    s = s.slice(num[0].length);
    const unit = /^[^\d.]+/.exec(s)?.[0];
    if (!unit) throw new Error(`time: missing unit in duration ${JSON.stringify(orig)}`);
    const scale = UNITS[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(orig)}`);
    s = s.slice(unit.length);
    total += Number(num[0].startsWith('.') ? `0${num[0]}` : num[0]) * scale;
  }
  return neg ? -total : total;
}

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|[+-]\d{2}:\d{2})?$/;

function parseTime(value: string, inLocation: boolean): { seconds: number; nanos: number } {
  const m = TIME_RE.exec(value);
  if (!m || (inLocation && m[8]) || (!inLocation && !m[8])) {
    throw new Error(`parsing time ${JSON.stringify(value)}: cannot parse as RFC 3339`);
  }
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  const nums = [y, mo, d, h, mi, sec].map(Number);
  if (nums[1] < 1 || nums[1] > 12 || nums[2] < 1 || nums[2] > 31 || nums[3] > 23 || nums[4] > 59 || nums[5] > 59) {
    throw new Error(`parsing time ${JSON.stringify(value)}: out of range`);
  }
  let ms: number;
  if (inLocation) {
    ms = new Date(nums[0], nums[1] - 1, nums[2], nums[3], nums[4], nums[5]).getTime();
  } else {
    ms = Date.UTC(nums[0], nums[1] - 1, nums[2], nums[3], nums[4], nums[5]);
    if (zone && zone !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60000;
    }
  }
  return { seconds: Math.floor(ms / 1000), nanos: Number(frac.padEnd(9, '0') || '0') };
}

export function getTimestamp(value: string, now: number): string {
  if (value !== '0') {
    try {
      const ns = parseGoDuration(value);
      return String(Math.floor((now * 1e6 - ns) / 1e9));
    } catch { /* not a duration */ }
  }
  const inLocation = !/[zZ+]/.test(value) && value.split('-').length - 1 !== 3;
  try {
    const t = parseTime(value.replace(/z$/, 'Z'), inLocation);
    return `${t.seconds}.${String(t.nanos).padStart(9, '0')}`;
  } catch (err) {
    if (value.includes('-')) throw err;
    if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
    return value;
  }
}
