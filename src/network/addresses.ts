// Which address a container gets on a network when it asked for none:
// the first free one after the last handed out for IPv4 (no immediate
// reuse, like dockerd), the first free one for IPv6 (as dockerd 20.10).
// The store's unique (network, address) indexes are what make a lease
// safe; this only chooses.

import type { NetworkRecord } from '../core/network.ts';
import { conflict, forbidden } from '../core/errors.ts';
import { intToIp, ipToInt, parseCidr, pickAddress } from './ipam.ts';
import { bigToIp6, ip6ToBig, parseCidr6, pickAddress6 } from './ipam6.ts';
import { v6PoolOf } from './pools.ts';
import type { NetworkStore } from './store.ts';

export function pickIpv4(store: NetworkStore, net: NetworkRecord, after: number): string {
  const pool = net.ipam.config[0]!;
  const sub = parseCidr(pool.subnet);
  const taken = new Set(store.leasedIps(net.id).map(ipToInt));
  taken.add(ipToInt(pool.gateway));
  for (const a of Object.values(pool.auxAddresses ?? {})) taken.add(ipToInt(a));
  // Static addresses of stopped containers stay theirs.
  for (const ep of store.endpointsOn(net.id)) if (ep.config.ipv4Address) taken.add(ipToInt(ep.config.ipv4Address));
  const ip = pickAddress(sub, pool.ipRange ? parseCidr(pool.ipRange) : null, taken, after);
  if (ip === null) throw conflict(`no available IPv4 addresses on network ${net.name}`);
  return intToIp(ip);
}

/**
 * The container's IPv6 address on a dual-stack network ('' on others): its
 * --ip6, or a free one; on the default bridge (--fixed-cidr-v6) the subnet
 * with the MAC address as its last 48 bits, as dockerd's bridge driver.
 */
export function ipv6For(store: NetworkStore, net: NetworkRecord, asked: string | undefined, mac: string): string {
  const pool = v6PoolOf(net);
  if (!pool) return '';
  if (asked) return bigToIp6(ip6ToBig(asked));
  if (net.isDefault) {
    const sub = parseCidr6(pool.subnet);
    if (sub.prefix > 80) throw forbidden(`Cannot self generate an IPv6 address on network ${pool.gateway}/${sub.prefix}: At least 48 host bits are needed.`);
    return bigToIp6(sub.base | BigInt(`0x${mac.replace(/:/g, '')}`));
  }
  const taken = new Set(store.leasedIp6s(net.id).map(ip6ToBig));
  taken.add(ip6ToBig(pool.gateway));
  for (const a of Object.values(pool.auxAddresses ?? {})) taken.add(ip6ToBig(a));
  for (const ep of store.endpointsOn(net.id)) if (ep.config.ipv6Address) taken.add(ip6ToBig(ep.config.ipv6Address));
  const ip = pickAddress6(parseCidr6(pool.subnet), pool.ipRange ? parseCidr6(pool.ipRange) : null, taken);
  if (ip === null) throw conflict(`no available IPv6 addresses on network ${net.name}`);
  return bigToIp6(ip);
}
