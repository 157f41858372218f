// The address pools of a new network from its IPAM config: one IPv4 pool
// (given, or cut from the default address pools) and, for a dual-stack
// network, one IPv6 pool (given: like dockerd 20.10, there are no default
// IPv6 pools). Checked as dockerd checks them: overlaps with berth's other
// networks and the host's routes, a gateway, range and auxiliary addresses
// inside their subnet.

import type { IpamPool, NetworkRecord } from '../core/network.ts';
import type { Logger } from '../core/logger.ts';
import { conflict, invalid } from '../core/errors.ts';
import { type AddressPool, broadcast, cidrString, contains, intToIp, ipToInt, isIpv4, nextPoolSubnet, overlaps, parseCidr } from './ipam.ts';
import { bigToIp6, cidr6String, contains6, hostRoutes6, ip6ToBig, isIpv6, last6, overlaps6, parseCidr6 } from './ipam6.ts';
import { hostRoutes } from './host.ts';

export interface PoolContext {
  networks: NetworkRecord[];
  pools: AddressPool[];
  log: Logger;
}

const isV6Config = (c: Partial<IpamPool>) => !!c.subnet?.includes(':');

/** [IPv4 pool, IPv6 pool?]: the IPv4 one always first (the rest of berth reads config[0] as the IPv4 one). */
export function networkPools(configs: Array<Partial<IpamPool>>, ipv6: boolean, ctx: PoolContext): IpamPool[] {
  const v4 = configs.filter((c) => !isV6Config(c));
  const v6 = configs.filter(isV6Config);
  if (v4.length > 1 || v6.length > 1) throw invalid("bridge driver doesn't support multiple subnets");
  const out = [ipv4Pool(v4[0] ?? {}, ctx)];
  if (v6[0]) out.push(ipv6Pool(v6[0], ctx));
  else if (ipv6) throw invalid('could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
  return out;
}

/** The IPv6 pool of a network that gives its containers IPv6 addresses, or undefined. */
export function v6PoolOf(n: NetworkRecord): IpamPool | undefined {
  return n.ipv6 ? n.ipam.config.find((p) => p.subnet.includes(':')) : undefined;
}

function ipv4Pool(c: Partial<IpamPool>, ctx: PoolContext): IpamPool {
  const mine = ctx.networks.flatMap((n) => n.ipam.config.filter((p) => !p.subnet.includes(':')).map((p) => parseCidr(p.subnet)));
  const devices = new Set(ctx.networks.map((n) => n.device));
  const used = [...mine, ...hostRoutes().filter((r) => !devices.has(r.device)).map((r) => r.cidr)];
  if (!c.subnet) {
    if (c.gateway || c.ipRange) throw invalid('a gateway or ip-range needs a subnet (--subnet)');
    const sub = nextPoolSubnet(ctx.pools, used);
    if (!sub) throw invalid('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
    return { subnet: cidrString(sub), gateway: intToIp(sub.base + 1), auto: true };
  }
  // Like dockerd, host bits in the subnet are accepted and dropped.
  const subnet = parseCidr(c.subnet);
  if (subnet.prefix > 30) throw invalid(`invalid subnet ${c.subnet}: too small (at most /30)`);
  const clash = used.find((u) => overlaps(u, subnet));
  if (clash) {
    ctx.log.info('subnet refused', { subnet: c.subnet, overlaps: cidrString(clash) });
    throw conflict('Pool overlaps with other one on this address space');
  }
  let gateway = intToIp(subnet.base + 1);
  const implicitGateway = !c.gateway;
  if (c.gateway) {
    if (!isIpv4(c.gateway)) throw invalid(`invalid gateway ${c.gateway}: not an IPv4 address`);
    const g = ipToInt(c.gateway);
    if (!contains(subnet, g) || g === subnet.base || g === broadcast(subnet)) throw invalid(`no matching subnet for gateway ${c.gateway}: it is not a host address of ${c.subnet}`);
    gateway = c.gateway;
  }
  const pool: IpamPool = { subnet: cidrString(subnet), gateway, ...(implicitGateway ? { implicitGateway } : {}) };
  if (c.ipRange) {
    const r = parseCidr(c.ipRange, 'ip-range');
    if (r.base < subnet.base || broadcast(r) > broadcast(subnet)) throw invalid(`no matching subnet for range ${c.ipRange}: it is not inside ${c.subnet}`);
    pool.ipRange = cidrString(r);
  }
  if (c.auxAddresses && Object.keys(c.auxAddresses).length) {
    for (const [k, v] of Object.entries(c.auxAddresses)) {
      if (!isIpv4(v) || !contains(subnet, ipToInt(v))) throw invalid(`invalid auxiliary address ${k}=${v}: not in ${c.subnet}`);
    }
    pool.auxAddresses = c.auxAddresses;
  }
  return pool;
}

function ipv6Pool(c: Partial<IpamPool>, ctx: PoolContext): IpamPool {
  const subnet = parseCidr6(c.subnet!);
  if (subnet.prefix > 126) throw invalid(`invalid subnet ${c.subnet}: too small (at most /126)`);
  const mine = ctx.networks.flatMap((n) => n.ipam.config.filter((p) => p.subnet.includes(':')).map((p) => parseCidr6(p.subnet)));
  const devices = new Set(ctx.networks.map((n) => n.device));
  const used = [...mine, ...hostRoutes6().filter((r) => !devices.has(r.device)).map((r) => r.cidr)];
  const clash = used.find((u) => overlaps6(u, subnet));
  if (clash) {
    ctx.log.info('subnet refused', { subnet: c.subnet, overlaps: cidr6String(clash) });
    throw conflict('Pool overlaps with other one on this address space');
  }
  let gateway = bigToIp6(subnet.base + 1n);
  if (c.gateway) {
    if (!isIpv6(c.gateway)) throw invalid(`invalid gateway ${c.gateway}: not an IPv6 address`);
    const g = ip6ToBig(c.gateway);
    if (!contains6(subnet, g) || g === subnet.base) throw invalid(`no matching subnet for gateway ${c.gateway}: it is not a host address of ${c.subnet}`);
    gateway = bigToIp6(g);
  }
  const pool: IpamPool = { subnet: cidr6String(subnet), gateway, ...(c.gateway ? {} : { implicitGateway: true }) };
  if (c.ipRange) {
    const r = parseCidr6(c.ipRange, 'ip-range');
    if (r.base < subnet.base || last6(r) > last6(subnet)) throw invalid(`no matching subnet for range ${c.ipRange}: it is not inside ${c.subnet}`);
    // Kept as given, as dockerd shows it (fd42::0/96 stays fd42::0/96).
    pool.ipRange = c.ipRange;
  }
  if (c.auxAddresses && Object.keys(c.auxAddresses).length) {
    for (const [k, v] of Object.entries(c.auxAddresses)) {
      if (!isIpv6(v) || !contains6(subnet, ip6ToBig(v))) throw invalid(`invalid auxiliary address ${k}=${v}: not in ${c.subnet}`);
    }
    pool.auxAddresses = c.auxAddresses;
  }
  return pool;
}
