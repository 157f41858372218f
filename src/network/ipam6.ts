// IPv6 address arithmetic and allocation for dual-stack networks, on
// bigints. Addresses are written back in RFC 5952's short form, as dockerd
// shows them ("fd42:1::2"). Leases live in the metadata (store.ts), as for
// IPv4 (ipam.ts).

import { isIPv6 } from 'node:net';
import { readFileSync } from 'node:fs';
import { invalid } from '../core/errors.ts';

export interface Cidr6 { base: bigint; prefix: number }

const ALL = (1n << 128n) - 1n;

export function isIpv6(ip: string): boolean {
  return isIPv6(ip) && !ip.includes('%');
}

export function ip6ToBig(ip: string): bigint {
  if (!isIpv6(ip)) throw invalid(`invalid IPv6 address: ${ip}`);
  let s = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) as two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const n = v4.slice(1).map(Number);
    s = s.slice(0, v4.index) + `${((n[0]! << 8) | n[1]!).toString(16)}:${((n[2]! << 8) | n[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as "::". */
export function bigToIp6(n: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len && j - i >= 2) { best = i; len = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + len))}`;
}

export function canonical6(ip: string): string { return bigToIp6(ip6ToBig(ip)); }

const mask6 = (prefix: number) => (prefix === 0 ? 0n : (ALL << BigInt(128 - prefix)) & ALL);

export function parseCidr6(s: string, what = 'subnet'): Cidr6 {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(s);
  if (!m || Number(m[2]) > 128 || !isIpv6(m[1]!)) throw invalid(`invalid ${what} ${s}: expected an IPv6 CIDR such as fd00:1::/64`);
  const prefix = Number(m[2]);
  return { base: ip6ToBig(m[1]!) & mask6(prefix), prefix };
}

export function cidr6String(c: Cidr6): string { return `${bigToIp6(c.base)}/${c.prefix}`; }
export function last6(c: Cidr6): bigint { return c.base | (ALL >> BigInt(c.prefix)); }
export function contains6(c: Cidr6, ip: bigint): boolean { return ip >= c.base && ip <= last6(c); }
export function overlaps6(a: Cidr6, b: Cidr6): boolean { return a.base <= last6(b) && b.base <= last6(a); }

/**
 * The first free address of the subnet, or of ipRange within it (whose
 * own first address dockerd does not hand out either). IPv6 subnets are
 * large: the search stops after a bounded number of taken addresses.
 */
export function pickAddress6(subnet: Cidr6, range: Cidr6 | null, taken: ReadonlySet<bigint>): bigint | null {
  const first = range ? range.base + 1n : subnet.base + 1n;
  const last = range ? last6(range) : last6(subnet);
  for (let ip = first, i = 0; ip <= last && i <= taken.size; ip++, i++) {
    if (!taken.has(ip)) return ip;
  }
  return null;
}

/** The host's IPv6 routes (/proc/net/ipv6_route) but default, link-local and multicast ones. */
export function hostRoutes6(): Array<{ device: string; cidr: Cidr6 }> {
  let text: string;
  try { text = readFileSync('/proc/net/ipv6_route', 'utf8'); } catch { return []; }
  const out: Array<{ device: string; cidr: Cidr6 }> = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const prefix = Number.parseInt(f[1]!, 16);
    const base = BigInt(`0x${f[0]}`);
    if (prefix === 0 || base >> 120n === 0xffn || base >> 118n === 0x3fan || f[9] === 'lo') continue;
    out.push({ device: f[9]!, cidr: { base, prefix } });
  }
  return out;
}
