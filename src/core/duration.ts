// Go's time.Duration as text, both ways: what docker's flags take
// (`--health-interval 1m30s`), what Dockerfile and --change flags take,
// and how dockerd prints a duration back ("Health check exceeded timeout (1s)").
// Values are nanoseconds.

const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** time.ParseDuration, with Go's messages ("time: missing unit in duration \"1\""). */
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

/** Duration.String(): "30s", "1m0s", "1.5s", "500ms", "250µs". */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let u = Math.round(Math.abs(ns));
  const frac = (whole: number, part: number, digits: number) => {
    const f = String(part).padStart(digits, '0').replace(/0+$/, '');
    return f ? `${whole}.${f}` : String(whole);
  };
  if (u < 1000) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${frac(Math.floor(u / 1e3), u % 1e3, 3)}µs`;
  if (u < 1e9) return `${sign}${frac(Math.floor(u / 1e6), u % 1e6, 6)}ms`;
  const h = Math.floor(u / 3600e9);
  u -= h * 3600e9;
  const m = Math.floor(u / 60e9);
  u -= m * 60e9;
  let out = `${frac(Math.floor(u / 1e9), u % 1e9, 9)}s`;
  if (h || m) out = `${m}m${out}`;
  if (h) out = `${h}h${out}`;
  return sign + out;
}
