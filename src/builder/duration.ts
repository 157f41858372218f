// Go time.ParseDuration for HEALTHCHECK flags, in nanoseconds (what the image config stores).

import { invalid } from '../core/errors.ts';

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseDuration(s: string, flag: string): number {
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== s.length || pos === 0) throw invalid(`invalid duration "${s}" for --${flag}`);
  if (total < 1e6 && total !== 0) throw invalid(`Interval "${flag}" cannot be less than 1ms`);
  return Math.round(total);
}
