// The host's own IPv4 routes (/proc/net/route): subnets a berth network
// must not overlap.

import { readFileSync } from 'node:fs';
import type { Cidr } from './ipam.ts';

export function hostRoutes(): Array<{ device: string; cidr: Cidr }> {
  let text: string;
  try { text = readFileSync('/proc/net/route', 'utf8'); } catch { return []; }
  const out: Array<{ device: string; cidr: Cidr }> = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dest = Number.parseInt(f[1]!, 16);
    const mask = Number.parseInt(f[7]!, 16);
    if (mask === 0) continue; // default routes overlap everything
    // Little-endian hex in the file.
    const be = (n: number) => (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0;
    const m = be(mask);
    const prefix = 32 - Math.log2(((~m) >>> 0) + 1);
    out.push({ device: f[0]!, cidr: { base: be(dest), prefix } });
  }
  return out;
}
