// The settings of a container's endpoint on a network (EndpointsConfig of
// create and connect), checked the way dockerd checks them.

import type { EndpointConfig, NetworkRecord } from '../core/network.ts';
import { conflict, invalid } from '../core/errors.ts';
import { contains, ipToInt, isIpv4, isMac, parseCidr } from './ipam.ts';
import { contains6, ip6ToBig, isIpv6, parseCidr6 } from './ipam6.ts';
import { v6PoolOf } from './pools.ts';

export const emptyEndpointConfig = (): EndpointConfig => ({ aliases: [], ipv4Address: '', macAddress: '', links: [] });

/** `raw` merged over the defaults and validated; `links` are the container's --link (kept on user networks only). */
export function endpointConfig(n: NetworkRecord, raw: Partial<EndpointConfig> | undefined, links: string[] | undefined): EndpointConfig {
  const cfg = { ...emptyEndpointConfig(), ...(raw ?? {}) };
  cfg.aliases = [...(cfg.aliases ?? [])];
  // On the default bridge links stay in HostConfig.Links (the endpoint shows none, as with dockerd).
  cfg.links = [...new Set([...(n.isDefault ? [] : links ?? []), ...(cfg.links ?? [])])];
  if (cfg.ipv4Address) {
    if (n.isDefault) throw invalid('user specified IP address is supported on user defined networks only');
    if (n.ipam.config[0]?.auto) throw invalid('user specified IP address is supported only when connecting to networks with user configured subnets');
    if (!isIpv4(cfg.ipv4Address)) throw invalid(`invalid IPv4 address: ${cfg.ipv4Address}`);
    const pool = n.ipam.config[0]!;
    const sub = parseCidr(pool.subnet);
    if (!contains(sub, ipToInt(cfg.ipv4Address))) throw invalid(`Invalid address ${cfg.ipv4Address}: It does not belong to any of this network's subnets`);
    if (cfg.ipv4Address === pool.gateway) throw conflict('Address already in use');
  }
  if (cfg.ipv6Address) {
    if (n.isDefault) throw invalid('user specified IP address is supported on user defined networks only');
    // Like dockerd, --ip6 on a network without IPv6 is not an error: it is not used there.
    const v6 = v6PoolOf(n);
    if (v6) {
      if (!isIpv6(cfg.ipv6Address)) throw invalid(`invalid IPv6 address: ${cfg.ipv6Address}`);
      const ip = ip6ToBig(cfg.ipv6Address);
      if (!contains6(parseCidr6(v6.subnet), ip)) throw invalid(`Invalid address ${cfg.ipv6Address}: It does not belong to any of this network's subnets`);
      if (ip === ip6ToBig(v6.gateway)) throw conflict('Address already in use');
    }
  }
  if (cfg.macAddress && !isMac(cfg.macAddress)) throw invalid(`invalid MAC address: ${cfg.macAddress}`);
  if (cfg.aliases.length && n.isDefault) throw invalid('network-scoped alias is supported only for containers in user defined networks');
  return cfg;
}
