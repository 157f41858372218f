// The daemon's network settings (dockerd's --bridge, --bip,
// --default-address-pool, --iptables, --ipv6 with --fixed-cidr-v6) and how
// records are made from them.

import { randomBytes } from 'node:crypto';
import type { NetworkRecord } from '../core/network.ts';
import { invalid } from '../core/errors.ts';
import { parseAddressPool, parseCidr, intToIp, ipToInt, type AddressPool } from './ipam.ts';
import { bigToIp6, cidr6String, parseCidr6 } from './ipam6.ts';

export interface NetworkConfig {
  /** Default bridge device name, or "none" for no default bridge. */
  bridge: string;
  /** Gateway address and prefix of the default bridge ("10.66.0.1/16"). */
  bip: string;
  /** Pools user-defined networks take their subnets from. */
  pools: AddressPool[];
  mtu: number;
  iptables: boolean;
  ipMasq: boolean;
  icc: boolean;
  /** --ipv6: the default bridge is dual-stack on fixedCidrV6 (normalised, '' without --ipv6). */
  ipv6: boolean;
  fixedCidrV6: string;
}

export const DEFAULT_BRIDGE = 'berth0';
export const DEFAULT_BIP = '10.66.0.1/16';
export const DEFAULT_POOL = 'base=10.67.0.0/16,size=24';

export interface NetworkOptions {
  bridge?: string; bip?: string; pools?: string[]; mtu?: number; iptables?: boolean; ipMasq?: boolean; icc?: boolean; ipv6?: boolean; fixedCidrV6?: string;
}

export function networkConfig(o: NetworkOptions): NetworkConfig {
  const bridge = o.bridge || DEFAULT_BRIDGE;
  if (bridge !== 'none' && !/^[a-zA-Z0-9_.-]{1,15}$/.test(bridge)) throw invalid(`invalid bridge name ${bridge}: 1 to 15 characters of [a-zA-Z0-9_.-]`);
  const bip = o.bip || DEFAULT_BIP;
  const m = /^([\d.]+)\/(\d+)$/.exec(bip);
  if (!m) throw invalid(`invalid --bip ${bip}: want an address with a prefix length, such as 10.66.0.1/16`);
  const c = parseCidr(bip, 'bip');
  if (ipToInt(m[1]!) === c.base) throw invalid(`invalid --bip ${bip}: the address is the network address; give the gateway's, such as ${intToIp(c.base + 1)}/${c.prefix}`);
  // dockerd 20.10's words; it refuses to start too.
  if (o.ipv6 && !o.fixedCidrV6) throw invalid('IPv6 is enabled for the default bridge, but no subnet is configured. Specify an IPv6 subnet using --fixed-cidr-v6');
  const v6 = o.fixedCidrV6 ? parseCidr6(o.fixedCidrV6, 'fixed-cidr-v6') : null;
  if (v6 && v6.prefix > 126) throw invalid(`invalid --fixed-cidr-v6 ${o.fixedCidrV6}: too small (at most /126)`);
  return {
    bridge, bip, mtu: o.mtu || 1500,
    ipv6: (o.ipv6 ?? false) && bridge !== 'none', fixedCidrV6: o.ipv6 && v6 ? cidr6String(v6) : '',
    pools: (o.pools && o.pools.length ? o.pools : [DEFAULT_POOL]).map(parseAddressPool),
    iptables: o.iptables ?? true, ipMasq: o.ipMasq ?? true, icc: o.icc ?? true,
  };
}

export function newNetworkId(): string {
  return randomBytes(32).toString('hex');
}

/** The three networks every daemon has: bridge (unless --bridge=none), host, none. */
export function builtinNetworks(cfg: NetworkConfig, existing: (name: string) => NetworkRecord | undefined): NetworkRecord[] {
  const now = new Date().toISOString();
  const base = (name: string, driver: NetworkRecord['driver']): NetworkRecord => existing(name) ?? {
    id: newNetworkId(), name, driver, created: now, internal: false, attachable: false, ipv6: false, labels: {},
    options: {}, ipam: { driver: 'default', options: {}, config: [] }, device: '', mtu: 0, icc: true, isDefault: false,
  };
  const out = [base('host', 'host'), base('none', 'null')];
  if (cfg.bridge !== 'none') {
    const b = base('bridge', 'bridge');
    const [gw, prefix] = cfg.bip.split('/');
    const subnet = parseCidr(cfg.bip, 'bip');
    // The daemon's flags decide the default bridge at every start.
    const v6 = cfg.ipv6 ? parseCidr6(cfg.fixedCidrV6) : null;
    Object.assign(b, {
      device: cfg.bridge, mtu: cfg.mtu, icc: cfg.icc, isDefault: true, ipv6: cfg.ipv6,
      ipam: { driver: 'default', options: {}, config: [
        { subnet: `${intToIp(subnet.base)}/${prefix}`, gateway: gw! },
        // Shown without its gateway, as dockerd does (the bridge has prefix::1).
        ...(v6 ? [{ subnet: cfg.fixedCidrV6, gateway: bigToIp6(v6.base + 1n), implicitGateway: true }] : []),
      ] },
      options: {
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_icc': String(cfg.icc),
        'com.docker.network.bridge.enable_ip_masquerade': String(cfg.ipMasq),
        'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        'com.docker.network.bridge.name': cfg.bridge,
        'com.docker.network.driver.mtu': String(cfg.mtu),
      },
    });
    out.unshift(b);
  }
  return out;
}
