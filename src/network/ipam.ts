// IPv4 address arithmetic and allocation. Leases live in the metadata
// (store.ts); this module only decides which address is free.

import { invalid } from '../core/errors.ts';

export interface Cidr { base: number; prefix: number }

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw invalid(`invalid IP address: ${ip}`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function isIpv4(ip: string): boolean {
  try { ipToInt(ip); return true; } catch { return false; }
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const mask = (prefix: number) => (prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0);

/** "10.1.2.0/24"; a host part set is refused like dockerd's "invalid subnet" unless loose. */
export function parseCidr(s: string, what = 'subnet'): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (!m || Number(m[2]) > 32) throw invalid(`invalid ${what} ${s}: expected an IPv4 CIDR such as 10.1.0.0/16`);
  let ip: number;
  try { ip = ipToInt(m[1]!); } catch { throw invalid(`invalid ${what} ${s}: expected an IPv4 CIDR such as 10.1.0.0/16`); }
  const prefix = Number(m[2]);
  return { base: (ip & mask(prefix)) >>> 0, prefix };
}

export function cidrString(c: Cidr): string { return `${intToIp(c.base)}/${c.prefix}`; }
export function size(c: Cidr): number { return 2 ** (32 - c.prefix); }
export function broadcast(c: Cidr): number { return c.base + size(c) - 1; }
export function contains(c: Cidr, ip: number): boolean { return ip >= c.base && ip <= broadcast(c); }
export function overlaps(a: Cidr, b: Cidr): boolean { return a.base <= broadcast(b) && b.base <= broadcast(a); }

/** Docker's MAC for an address: 02:42 followed by the IPv4 bytes. */
export function macForIp(ip: string): string {
  const n = ipToInt(ip);
  return ['02', '42', ...[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

export function isMac(s: string): boolean {
  return /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(s);
}

/**
 * The first free address of the subnet (or of ipRange within it), after
 * the last one handed out so addresses are not reused at once, like dockerd.
 */
export function pickAddress(subnet: Cidr, range: Cidr | null, taken: ReadonlySet<number>, after: number): number | null {
  const r = range ?? subnet;
  const first = Math.max(r.base, subnet.base + 1);
  const last = Math.min(broadcast(r), broadcast(subnet) - 1);
  const n = last - first + 1;
  if (n <= 0) return null;
  const start = after >= first && after < last ? after + 1 - first : 0;
  for (let i = 0; i < n; i++) {
    const ip = first + ((start + i) % n);
    if (!taken.has(ip)) return ip;
  }
  return null;
}

export interface AddressPool { base: Cidr; size: number }

/** "base=10.67.0.0/16,size=24" (dockerd's --default-address-pool). */
export function parseAddressPool(s: string): AddressPool {
  const kv = Object.fromEntries(s.split(',').map((p) => p.split('=', 2) as [string, string]));
  if (!kv.base || !kv.size) throw invalid(`invalid default address pool ${s}: want base=CIDR,size=N`);
  const base = parseCidr(kv.base, 'default address pool base');
  const sz = Number(kv.size);
  if (!Number.isInteger(sz) || sz < base.prefix || sz > 30) throw invalid(`invalid default address pool ${s}: size must be between ${base.prefix} and 30`);
  return { base, size: sz };
}

/** The first subnet of the pools that overlaps none of the used ones. */
export function nextPoolSubnet(pools: AddressPool[], used: Cidr[]): Cidr | null {
  for (const p of pools) {
    const step = 2 ** (32 - p.size);
    for (let b = p.base.base; b + step - 1 <= broadcast(p.base); b += step) {
      const c = { base: b >>> 0, prefix: p.size };
      if (!used.some((u) => overlaps(u, c))) return c;
    }
  }
  return null;
}
