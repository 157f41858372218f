// docker/go-units as the docker CLI prints with it: HumanDuration for
// "CREATED", HumanSizeWithPrecision for image and container sizes, BytesSize
// for memory. Go's %g differs from JavaScript's toPrecision (no trailing
// zeros, two-digit exponents, ties to even), so it is reproduced here.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** go-units HumanDuration, for a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / HOUR + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / HOUR) / 24 / 365)} years`;
}

/** "<duration> ago" from a unix timestamp in seconds, as docker's CreatedSince. */
export function createdSince(unixSeconds: number, now: number = Date.now()): string {
  return `${humanDuration(now - unixSeconds * 1000)} ago`;
}

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]];
}

/** go-units HumanSizeWithPrecision: decimal units, `precision` significant digits ("4.26MB"). */
export function humanSize(size: number, precision = 3): string {
  const [value, unit] = sizeAndUnit(size, 1000, DECIMAL);
  return formatG(value, precision) + unit;
}

/** go-units BytesSize: binary units, 4 significant digits ("7.645GiB"). */
export function bytesSize(size: number): string {
  const [value, unit] = sizeAndUnit(size, 1024, BINARY);
  return formatG(value, 4) + unit;
}

/**
 * Go's fmt "%.<prec>g": rounds to prec significant digits (ties to even, on
 * the exact binary value), uses an exponent when it is < -4 or >= prec, and
 * drops trailing zeros.
 */
export function formatG(x: number, prec: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  if (prec === 0) prec = 1;
  const neg = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  if (abs === 0) return neg ? '-0' : '0';
  const rounded = roundDigits(exactDigits(abs), prec);
  const exp = rounded.exp;
  const digits = rounded.digits.replace(/0+$/, '') || '0';
  let out: string;
  if (exp < -4 || exp >= prec) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    out = `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = digits + '0'.repeat(exp + 1 - digits.length);
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${out}` : out;
}

/** The exact decimal digits of a positive double and the exponent of the first one. */
function exactDigits(x: number): { digits: string; exp: number } {
  // toPrecision(100) is exact for every double in the ranges sizes reach.
  const s = x.toPrecision(100);
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m) return { digits: (m[1] + (m[2] ?? '')).replace(/0+$/, '') || '0', exp: Number(m[3] ?? 0) };
  // Fixed notation: "123.456..." or "0.000123..."
  const [int, frac = ''] = s.split('.');
  if (int !== '0') return { digits: (int + frac).replace(/0+$/, ''), exp: int.length - 1 };
  const lead = frac.length - frac.replace(/^0+/, '').length;
  return { digits: frac.slice(lead).replace(/0+$/, ''), exp: -lead - 1 };
}

function roundDigits(d: { digits: string; exp: number }, prec: number): { digits: string; exp: number } {
  if (d.digits.length <= prec) return d;
  const keep = d.digits.slice(0, prec);
  const next = d.digits.charCodeAt(prec) - 48;
  const rest = d.digits.slice(prec + 1);
  let up = next > 5 || (next === 5 && /[1-9]/.test(rest));
  if (next === 5 && !/[1-9]/.test(rest)) up = (keep.charCodeAt(prec - 1) - 48) % 2 === 1;
  if (!up) return { digits: keep, exp: d.exp };
  const inc = (BigInt(keep) + 1n).toString();
  if (inc.length > keep.length) return { digits: inc.slice(0, prec), exp: d.exp + 1 };
  return { digits: inc, exp: d.exp };
}
