// Networks: a bridge device (or none/host), a subnet with a gateway, and
// the endpoints of the containers attached to it.
//
// Lifecycle, as the network service runs it:
//   boot       -> networks "bridge" (the daemon's default bridge), "host"
//                 and "none" exist; every bridge network's device and
//                 iptables rules are (re)made from the metadata, and what a
//                 crash left behind (namespaces, leases of containers that
//                 no longer run, devices of networks that are gone) is removed.
//   create     -> validate (subnet overlap, gateway inside, options), write
//                 the record, make the bridge and its rules; any failure
//                 undoes the earlier steps.
//   container create -> register(): the container's endpoints (network,
//                 aliases, static IP/MAC) are recorded; nothing is made yet.
//   container start  -> setUp(): a network namespace file the runtime joins,
//                 one veth per network (eth0, eth1...), an address leased in
//                 the metadata, routes, published ports.
//   container exit   -> tearDown(): ports, veths, namespace and leases go.
//   container remove -> unregister(): its endpoint rows go.
//   remove     -> refused while a container is attached; rules, device, record go.

/** An IPv4 pool, or the IPv6 one of a dual-stack network (config[1]; config[0] is always IPv4). */
export interface IpamPool {
  subnet: string;       // "10.88.0.0/16", "fd42:1::/64"
  gateway: string;      // "10.88.0.1"
  ipRange?: string;     // a sub-range to allocate from
  auxAddresses?: Record<string, string>;
  /** The gateway was chosen, not given: dockerd's inspect then omits it. */
  implicitGateway?: boolean;
  /** No subnet was given: the pool came from the default address pools (no static --ip on it). */
  auto?: boolean;
}

export interface NetworkRecord {
  id: string;           // 64 hex
  name: string;
  driver: 'bridge' | 'host' | 'null' | 'macvlan' | 'ipvlan';
  created: string;      // RFC 3339 nano
  internal: boolean;
  attachable: boolean;
  ipv6: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** options: null when the create request sent none (inspect shows null, as dockerd does). */
  ipam: { driver: string; options: Record<string, string> | null; config: IpamPool[] };
  /** The host device: the bridge's name, or a macvlan/ipvlan parent. */
  device: string;
  mtu: number;
  /** Containers on it may talk to each other (bridge option enable_icc). */
  icc: boolean;
  /** The daemon's default bridge ("bridge"): no DNS, /etc/hosts and --link only. */
  isDefault: boolean;
}

/** What a user asked for one network of a container (docker's EndpointSettings, request side). */
export interface EndpointConfig {
  aliases: string[];
  ipv4Address: string;
  /** --ip6: used on dual-stack networks only (ignored elsewhere, as by dockerd). */
  ipv6Address?: string;
  macAddress: string;
  links: string[];
}

/** One container on one network, as stored. */
export interface EndpointRecord {
  containerId: string;
  networkId: string;
  config: EndpointConfig;
  /** Set while the container runs. */
  endpointId: string;
  ip: string;
  /** The IPv6 address on a dual-stack network, or ''. */
  ip6: string;
  mac: string;
  /** Host-side interface name. */
  hostIf: string;
}

export interface PortBinding { hostIp: string; hostPort: string }
/** "80/tcp" -> bindings, Docker's PortMap. */
export type PortMap = Record<string, PortBinding[] | null>;

export interface NetworkCreateRequest {
  name: string;
  driver?: string;
  internal?: boolean;
  attachable?: boolean;
  ipv6?: boolean;
  checkDuplicate?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  ipam?: { driver?: string; options?: Record<string, string> | null; config?: Array<Partial<IpamPool>> };
}

export interface NetworkFilters {
  name?: string[];
  id?: string[];
  driver?: string[];
  label?: string[];
  type?: string[];      // custom | builtin
  scope?: string[];
  dangling?: string[];
}

export interface NetworkView extends NetworkRecord {
  containers: Array<{ containerId: string; name: string; endpointId: string; mac: string; ip: string; prefixLen: number; ip6: string; prefixLen6: number }>;
}

export interface NetworkService {
  create(req: NetworkCreateRequest): Promise<{ id: string; warning: string }>;
  list(filters?: NetworkFilters): NetworkView[];
  inspect(ref: string): NetworkView;
  remove(ref: string): Promise<void>;
  prune(filters?: NetworkFilters): Promise<string[]>;
  connect(ref: string, container: string, config: Partial<EndpointConfig>): Promise<void>;
  disconnect(ref: string, container: string, force: boolean): Promise<void>;
}

/** What start needs from the network layer. */
export interface NetworkSetup {
  /**
   * 'none' (loopback only), 'host', or a namespace the runtime joins; with
   * userns, the user namespace that owns it (a remapped container's), which
   * the runtime joins too.
   */
  spec: 'none' | 'host' | { path: string; userns?: string };
  /** Extra /etc/hosts lines ("<ip>\t<names>"), after the defaults. */
  hosts: string[];
  /** Nameservers that replace the host's in resolv.conf (the embedded DNS), or null to keep them. */
  nameservers: string[] | null;
  /** The host's /etc/hosts and hostname apply (host network, or another container's namespace on it). */
  hostNetwork: boolean;
  /** Variables of legacy links (--link on the default bridge), merged by withLinkEnv. */
  env?: string[];
}

export interface EndpointView {
  networkId: string;
  endpointId: string;
  gateway: string;
  ip: string;
  prefixLen: number;
  gateway6: string;
  ip6: string;
  prefixLen6: number;
  mac: string;
  config: EndpointConfig;
  dnsNames: string[] | null;
}

export interface ContainerNetworkSettings {
  sandboxKey: string;
  ports: PortMap;
  /** By network name. */
  networks: Record<string, EndpointView>;
}

/**
 * The container service's side of networking. register at create (throws
 * for an unknown network or bad endpoint settings, nothing recorded then),
 * setUp at start, tearDown after exit or a failed start (idempotent),
 * unregister at removal.
 */
export interface ContainerNetworking {
  register(req: { id: string; name: string; networkMode: string; endpoints?: Record<string, Partial<EndpointConfig>>; hostConfig: { portBindings?: PortMap; publishAllPorts?: boolean; links?: string[] }; exposedPorts?: Record<string, object> }): string;
  /** userns: a remapped container's user namespace, which then owns its network namespace. */
  setUp(rec: import('./container.ts').ContainerRecord, opts?: { userns?: import('./idmap.ts').UsernsSource }): Promise<NetworkSetup>;
  tearDown(id: string): Promise<void>;
  unregister(id: string): void;
  settings(rec: import('./container.ts').ContainerRecord): ContainerNetworkSettings;
  /** Variables of the legacy links of a running container, as of now (dockerd recomputes them for every exec). */
  linkEnv(rec: import('./container.ts').ContainerRecord): string[];
  /** Changes whenever settings() of this container may change other than through its record (endpoints, leases, ports, networks). */
  settingsStamp(id: string): string;
}

/** The linking container's environment: link variables after PATH/HOSTNAME/TERM, its own values winning. */
export function withLinkEnv(env: string[], links: string[]): string[] {
  if (links.length === 0) return env;
  const own = new Set(env.map((e) => e.slice(0, e.indexOf('=') >>> 0)));
  const extra = links.filter((e) => !own.has(e.slice(0, e.indexOf('='))));
  const at = env.findIndex((e) => !/^(PATH|HOSTNAME|TERM)=/.test(e));
  const i = at < 0 ? env.length : at;
  return [...env.slice(0, i), ...extra, ...env.slice(i)];
}
