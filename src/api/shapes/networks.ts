// Networks on the wire: docker's Network (inspect, list), the create body,
// and the NetworkSettings of a container.

import type { ContainerNetworkSettings, EndpointConfig, EndpointView, NetworkCreateRequest, NetworkView } from '../../core/network.ts';
import { invalid } from '../../core/errors.ts';
import { JsonFields } from './json-fields.ts';

export function toDockerNetwork(n: NetworkView, withContainers: boolean): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const c of n.containers) {
    containers[c.containerId] = {
      Name: c.name, EndpointID: c.endpointId, MacAddress: c.mac, IPv4Address: `${c.ip}/${c.prefixLen}`,
      IPv6Address: c.ip6 ? `${c.ip6}/${c.prefixLen6}` : '',
    };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: n.ipv6,
    IPAM: {
      Driver: n.ipam.driver,
      Options: n.driver === 'bridge' && !n.isDefault ? n.ipam.options : (Object.keys(n.ipam.options ?? {}).length ? n.ipam.options : null),
      Config: n.ipam.config.map((p) => ({
        Subnet: p.subnet,
        ...(p.implicitGateway && (!n.isDefault || p.subnet.includes(':')) ? {} : { Gateway: p.gateway }),
        ...(p.ipRange ? { IPRange: p.ipRange } : {}),
        ...(p.auxAddresses ? { AuxiliaryAddresses: p.auxAddresses } : {}),
      })),
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    ...(withContainers ? { Containers: containers } : { Containers: {} }),
    Options: n.options,
    Labels: n.labels,
  };
}

export function decodeNetworkCreate(body: unknown): NetworkCreateRequest {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('invalid JSON: the request body must be a JSON object');
  const f = new JsonFields(body as Record<string, unknown>, '');
  const req: NetworkCreateRequest = { name: f.str('Name') ?? '' };
  const driver = f.str('Driver');
  if (driver) req.driver = driver;
  req.internal = f.bool('Internal') ?? false;
  req.attachable = f.bool('Attachable') ?? false;
  req.ipv6 = f.bool('EnableIPv6') ?? false;
  req.labels = f.strMap('Labels') ?? {};
  req.options = f.strMap('Options') ?? {};
  if (f.bool('Ingress')) throw invalid('ingress networks need swarm mode, which berth does not have');
  if (f.str('Scope') && f.str('Scope') !== 'local') throw invalid(`scope ${f.str('Scope')} is not supported: berth networks are local`);
  if (f.bool('ConfigOnly') || f.obj('ConfigFrom')?.Network) throw invalid('config-only networks are not supported by berth');
  const ipam = f.obj('IPAM');
  if (ipam) {
    const i = new JsonFields(ipam, 'IPAM.');
    const cfg = (ipam.Config ?? []) as unknown;
    if (!Array.isArray(cfg)) throw invalid('IPAM.Config must be a list');
    req.ipam = {
      driver: i.str('Driver') || 'default',
      options: i.strMap('Options') ?? null,
      config: cfg.map((c: unknown, k) => {
        const p = new JsonFields((c ?? {}) as Record<string, unknown>, `IPAM.Config[${k}].`);
        const out: { subnet?: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> } = {};
        if (p.str('Subnet')) out.subnet = p.str('Subnet');
        if (p.str('Gateway')) out.gateway = p.str('Gateway');
        if (p.str('IPRange')) out.ipRange = p.str('IPRange');
        const aux = p.strMap('AuxiliaryAddresses') ?? p.strMap('AuxAddress');
        if (aux && Object.keys(aux).length) out.auxAddresses = aux;
        return out;
      }),
    };
  }
  return req;
}

export function decodeEndpointConfig(raw: Record<string, unknown> | undefined): Partial<EndpointConfig> {
  if (!raw) return {};
  const f = new JsonFields(raw, 'EndpointConfig.');
  const ipam = f.obj('IPAMConfig');
  const i = ipam ? new JsonFields(ipam, 'EndpointConfig.IPAMConfig.') : undefined;
  return {
    aliases: f.strList('Aliases') ?? [],
    links: f.strList('Links') ?? [],
    ipv4Address: i?.str('IPv4Address') ?? '',
    ...(i?.str('IPv6Address') ? { ipv6Address: i.str('IPv6Address') } : {}),
    macAddress: f.str('MacAddress') ?? '',
  };
}

function endpointSettings(e: EndpointView): Record<string, unknown> {
  return {
    IPAMConfig: e.config.ipv4Address || e.config.ipv6Address
      ? { ...(e.config.ipv4Address ? { IPv4Address: e.config.ipv4Address } : {}), ...(e.config.ipv6Address ? { IPv6Address: e.config.ipv6Address } : {}) }
      : null,
    Links: e.config.links.length ? e.config.links : null,
    Aliases: e.config.aliases.length ? e.config.aliases : null,
    MacAddress: e.mac,
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: e.networkId,
    EndpointID: e.endpointId,
    Gateway: e.gateway,
    IPAddress: e.ip,
    IPPrefixLen: e.prefixLen,
    IPv6Gateway: e.gateway6,
    GlobalIPv6Address: e.ip6,
    GlobalIPv6PrefixLen: e.prefixLen6,
    DNSNames: e.dnsNames,
  };
}

/** Container inspect's NetworkSettings (legacy top-level fields from the default bridge before API 1.52). */
export function toNetworkSettings(s: ContainerNetworkSettings | undefined, legacy: boolean): Record<string, unknown> {
  const networks: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(s?.networks ?? {})) networks[name] = endpointSettings(e);
  const ports: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.ports ?? {})) ports[k] = v ? v.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort })) : null;
  const out: Record<string, unknown> = { SandboxID: s?.sandboxKey ? s.sandboxKey.split('/').pop() : '', SandboxKey: s?.sandboxKey ?? '', Ports: ports };
  if (legacy) {
    const b = s?.networks.bridge;
    Object.assign(out, {
      Bridge: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: b?.endpointId ?? '', Gateway: b?.gateway ?? '',
      GlobalIPv6Address: b?.ip6 ?? '', GlobalIPv6PrefixLen: b?.prefixLen6 ?? 0, IPAddress: b?.ip ?? '', IPPrefixLen: b?.prefixLen ?? 0,
      IPv6Gateway: b?.gateway6 ?? '', MacAddress: b?.mac ?? '',
    });
  }
  out.Networks = networks;
  return out;
}

/** `docker ps`'s Ports: one entry per binding, exposed ports without one as bare PrivatePort. */
export function toSummaryPorts(s: ContainerNetworkSettings | undefined): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const [k, v] of Object.entries(s?.ports ?? {})) {
    const [port, type] = k.split('/');
    if (!v || v.length === 0) out.push({ PrivatePort: Number(port), Type: type });
    else for (const b of v) out.push({ IP: b.hostIp, PrivatePort: Number(port), PublicPort: Number(b.hostPort), Type: type });
  }
  return out;
}

export function toSummaryNetworks(s: ContainerNetworkSettings | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(s?.networks ?? {})) out[name] = endpointSettings(e);
  return out;
}
