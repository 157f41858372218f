// The network service: networks (create, list, inspect, remove, prune,
// connect, disconnect) and, through attachments.ts, the container side.
// See src/core/network.ts for the lifecycle.

import type { ContainerRecord } from '../core/container.ts';
import type { EventSink } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type {
  EndpointConfig, NetworkCreateRequest, NetworkFilters, NetworkRecord, NetworkService, NetworkView,
} from '../core/network.ts';
import { conflict, forbidden, invalid, notFound } from '../core/errors.ts';
import { type NetworkConfig, builtinNetworks, newNetworkId } from './config.ts';
import { broadcast, cidrString, intToIp, overlaps, parseCidr } from './ipam.ts';
import { parseCidr6 } from './ipam6.ts';
import { networkPools, v6PoolOf } from './pools.ts';
import type { Iptables, BridgeRules, PortRule } from './iptables.ts';
import type { Plumbing } from './plumbing.ts';
import type { NetworkStore } from './store.ts';
import { hostRoutes } from './host.ts';

export interface ContainerLookup {
  get(id: string): ContainerRecord | undefined;
  resolve(ref: string): ContainerRecord;
  /** The ID of the container with exactly this name (an index lookup, no record read). */
  byName(name: string): string | undefined;
  list(): ContainerRecord[];
  /** Every record, shared and read-only (no parse per record). */
  listShared(): ReadonlyArray<Readonly<ContainerRecord>>;
}

export interface NetworkEngineDeps {
  store: NetworkStore;
  plumbing: Plumbing;
  iptables: Iptables | null;
  events: EventSink;
  logger: Logger;
  config: NetworkConfig;
  /** Marks this daemon's devices (ifalias "berth:<tag>") and chains. */
  tag: string;
  containers: ContainerLookup;
}

const BRIDGE_NAME = 'com.docker.network.bridge.name';
const MTU = 'com.docker.network.driver.mtu';
const ICC = 'com.docker.network.bridge.enable_icc';
const MASQ = 'com.docker.network.bridge.enable_ip_masquerade';
const DRIVERS = new Set(['bridge', 'macvlan', 'ipvlan']);
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function isRunning(rec: Readonly<ContainerRecord> | undefined): boolean {
  const s = rec?.state.status;
  return s === 'running' || s === 'paused' || s === 'restarting';
}

export class NetworkEngine implements NetworkService {
  protected readonly d: NetworkEngineDeps;
  protected readonly log: Logger;

  constructor(deps: NetworkEngineDeps) {
    this.d = deps;
    this.log = deps.logger.child({ component: 'network' });
  }

  get alias(): string { return `berth:${this.d.tag}`; }

  // ---- lookup -----------------------------------------------------------

  /** Docker's order: full ID, exact name, unique ID prefix. */
  resolveNetwork(ref: string): NetworkRecord {
    const s = this.d.store;
    const found = s.getNetwork(ref) ?? s.networkByName(ref);
    if (found) return found;
    if (/^[a-f0-9]+$/.test(ref)) {
      const byPrefix = s.networksByIdPrefix(ref);
      if (byPrefix.length > 1) throw invalid(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
      if (byPrefix.length === 1) return byPrefix[0]!;
    }
    throw notFound(`network ${ref} not found`);
  }

  // ---- create -----------------------------------------------------------

  async create(req: NetworkCreateRequest): Promise<{ id: string; warning: string }> {
    const name = req.name ?? '';
    if (!name) throw invalid('network name must not be empty');
    if (!NAME.test(name)) throw invalid(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const driver = req.driver || 'bridge';
    if (['bridge', 'host', 'none', 'default'].includes(name)) {
      if (this.d.store.networkByName(name) || name === 'default') throw forbidden(`operation is not permitted on predefined ${name} network `);
    }
    if (this.d.store.networkByName(name)) throw conflict(`network with name ${name} already exists`);
    if (!DRIVERS.has(driver)) {
      if (driver === 'host' || driver === 'null') throw forbidden(`only one instance of "${driver}" network is allowed`);
      throw notFound(`plugin "${driver}" not found`);
    }
    if (req.ipam?.driver && req.ipam.driver !== 'default') throw notFound(`plugin "${req.ipam.driver}" not found`);
    const options = req.options ?? {};
    const ipv6 = req.ipv6 ?? false;
    const pools = networkPools(req.ipam?.config ?? [], ipv6, { networks: this.d.store.listNetworks(), pools: this.d.config.pools, log: this.log });
    const id = newNetworkId();
    const rec: NetworkRecord = {
      id, name, driver: driver as NetworkRecord['driver'], created: new Date().toISOString(),
      internal: req.internal ?? false, attachable: req.attachable ?? false, ipv6,
      labels: req.labels ?? {}, options, ipam: { driver: 'default', options: req.ipam?.options ?? null, config: pools },
      device: '', mtu: 0, icc: true, isDefault: false,
    };
    if (driver === 'bridge') {
      rec.device = options[BRIDGE_NAME] || `br-${id.slice(0, 12)}`;
      if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(rec.device)) throw invalid(`invalid bridge name ${rec.device}: 1 to 15 characters of [a-zA-Z0-9_.-]`);
      if (this.d.store.listNetworks().some((n) => n.device === rec.device) || this.d.plumbing.linkExists(rec.device)) {
        throw conflict(`bridge name ${rec.device} is already in use`);
      }
      rec.mtu = options[MTU] ? Number(options[MTU]) : this.d.config.mtu;
      if (!Number.isInteger(rec.mtu) || rec.mtu < 68 || rec.mtu > 65535) throw invalid(`invalid MTU ${options[MTU]}: want 68 to 65535`);
      rec.icc = options[ICC] === undefined ? true : parseBool(options[ICC], ICC);
      if (options[MASQ] !== undefined) parseBool(options[MASQ], MASQ);
    } else {
      rec.device = options.parent ?? '';
      if (!rec.device) throw invalid(`${driver} networks need a parent interface: -o parent=IFNAME`);
      if (!this.d.plumbing.linkExists(rec.device)) throw notFound(`-o parent interface ${rec.device} was not found on the host`);
      // dockerd's rule and words: one network of a driver per parent, named by its dummy-link name (dm-/di-<id12>).
      const taken = this.d.store.listNetworks().find((n) => n.driver === driver && n.device === rec.device);
      if (taken) throw conflict(`network ${driver === 'macvlan' ? 'dm' : 'di'}-${taken.id.slice(0, 12)} is already using parent interface ${rec.device}`);
      const mode = options[`${driver}_mode`];
      if (mode && !(driver === 'macvlan' ? ['bridge'] : ['l2']).includes(mode)) throw invalid(`${driver}_mode ${mode} is not supported by this berthd (${driver === 'macvlan' ? 'bridge' : 'l2'} only)`);
    }
    this.d.store.putNetwork(rec);
    try {
      if (rec.driver === 'bridge') {
        this.#makeBridge(rec);
        await this.applyRules();
      }
    } catch (err) {
      this.d.store.deleteNetwork(rec.id);
      if (rec.driver === 'bridge') {
        this.d.plumbing.deleteLink(rec.device);
        await this.applyRules().catch(() => {});
      }
      throw err;
    }
    this.onNetworkUp(rec);
    this.d.events.emit('network', 'create', id, { name, type: driver });
    return { id, warning: '' };
  }

  /** Hook for the embedded DNS (attachments.ts). */
  protected onNetworkUp(_rec: NetworkRecord): void {}
  protected onNetworkDown(_rec: NetworkRecord): void {}

  #makeBridge(rec: NetworkRecord): void {
    const pool = rec.ipam.config[0]!;
    const sub = parseCidr(pool.subnet);
    const v6 = v6PoolOf(rec);
    this.d.plumbing.ensureBridge(rec.device, pool.gateway, sub.prefix, intToIp(broadcast(sub)), rec.mtu, this.alias,
      v6 ? { gateway: v6.gateway, prefixLen: parseCidr6(v6.subnet).prefix } : undefined);
    if (this.d.iptables) this.d.plumbing.routeLocalnet(rec.device);
  }

  // ---- rules --------------------------------------------------------------

  /** Rewrites this daemon's chains from the networks and the published ports. */
  async applyRules(ensureJumps = false): Promise<void> {
    if (!this.d.iptables) return;
    const bridges: BridgeRules[] = this.d.store.listNetworks().filter((n) => n.driver === 'bridge').map((n) => ({
      device: n.device, subnet: n.ipam.config[0]!.subnet, internal: n.internal, icc: n.icc,
      masquerade: n.isDefault ? this.d.config.ipMasq : n.options[MASQ] !== 'false',
      ...(v6PoolOf(n) ? { subnet6: v6PoolOf(n)!.subnet } : {}),
    }));
    const ports: PortRule[] = [];
    const ports6: PortRule[] = [];
    for (const p of this.d.store.allPorts()) {
      const ep = this.d.store.endpointsOf(p.containerId).find((e) => e.ip);
      if (!ep) continue;
      const device = this.d.store.getNetwork(ep.networkId)?.device ?? '';
      const rule = { proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, port: p.containerPort, device };
      if (!p.hostIp.includes(':')) ports.push({ ...rule, ip: ep.ip });
      // IPv6 bindings of a container with an IPv6 address (iptables.ts); ::1 and the rest are the relay's.
      else if (ep.ip6 && p.hostIp !== '::1') ports6.push({ ...rule, ip: ep.ip6 });
    }
    await this.d.iptables.apply(bridges, ports, ports6, ensureJumps);
  }

  // ---- read side ----------------------------------------------------------

  view(n: NetworkRecord): NetworkView {
    const containers: NetworkView['containers'] = [];
    const prefix = parseCidr(n.ipam.config[0]?.subnet ?? '0.0.0.0/0').prefix;
    const v6 = v6PoolOf(n);
    const prefix6 = v6 ? parseCidr6(v6.subnet).prefix : 0;
    for (const ep of this.d.store.endpointsOn(n.id)) {
      if (!ep.ip) continue;
      const c = this.d.containers.get(ep.containerId);
      containers.push({
        containerId: ep.containerId, name: c?.name ?? '', endpointId: ep.endpointId, mac: ep.mac, ip: ep.ip, prefixLen: prefix,
        ip6: ep.ip6, prefixLen6: ep.ip6 ? prefix6 : 0,
      });
    }
    return { ...n, containers };
  }

  list(filters: NetworkFilters = {}): NetworkView[] {
    return this.d.store.listNetworks().filter((n) => this.#matches(n, filters)).map((n) => this.view(n));
  }

  #matches(n: NetworkRecord, f: NetworkFilters): boolean {
    const builtin = ['bridge', 'host', 'none'].includes(n.name) && (n.isDefault || n.driver !== 'bridge');
    if (f.name?.length && !f.name.some((x) => n.name.includes(x))) return false;
    if (f.id?.length && !f.id.some((x) => n.id.startsWith(x))) return false;
    if (f.driver?.length && !f.driver.includes(n.driver)) return false;
    if (f.scope?.length && !f.scope.includes('local')) return false;
    if (f.type?.length) {
      for (const t of f.type) if (t !== 'custom' && t !== 'builtin') throw invalid(`invalid filter: 'type'='${t}'`);
      if (!f.type.includes(builtin ? 'builtin' : 'custom')) return false;
    }
    if (f.label?.length) {
      for (const l of f.label) {
        const i = l.indexOf('=');
        if (i < 0 ? !(l in n.labels) : n.labels[l.slice(0, i)] !== l.slice(i + 1)) return false;
      }
    }
    if (f.dangling?.length) {
      const want = f.dangling[0] === 'true' || f.dangling[0] === '1';
      if (!['true', 'false', '1', '0'].includes(f.dangling[0]!)) throw invalid(`invalid filter 'dangling=${f.dangling[0]}'`);
      const dangling = !builtin && !this.d.store.endpointsOn(n.id).some((e) => e.ip);
      if (dangling !== want) return false;
    }
    return true;
  }

  inspect(ref: string): NetworkView {
    return this.view(this.resolveNetwork(ref));
  }

  // ---- remove ---------------------------------------------------------------

  async remove(ref: string): Promise<void> {
    const n = this.resolveNetwork(ref);
    if (['bridge', 'host', 'none'].includes(n.name) && (n.isDefault || n.driver !== 'bridge')) {
      throw forbidden(`${n.name} is a pre-defined network and cannot be removed`);
    }
    // Like dockerd, only running containers hold an endpoint; created or
    // stopped ones lose theirs with the network (their start then fails).
    const eps = this.d.store.endpointsOn(n.id).filter((e) => e.ip);
    if (eps.length) {
      const names = eps.map((e) => this.d.containers.get(e.containerId)?.name ?? e.containerId.slice(0, 12));
      this.log.info('network in use', { network: n.name, containers: names });
      throw conflict(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    }
    this.d.store.transaction(() => {
      for (const e of this.d.store.endpointsOn(n.id)) this.d.store.removeEndpoint(e.containerId, n.id);
      this.d.store.deleteNetwork(n.id);
    });
    this.onNetworkDown(n);
    if (n.driver === 'bridge') {
      this.d.plumbing.deleteLink(n.device);
      await this.applyRules();
    }
    this.d.events.emit('network', 'destroy', n.id, { name: n.name, type: n.driver });
  }

  async prune(filters: NetworkFilters = {}): Promise<string[]> {
    const gone: string[] = [];
    for (const n of this.list({ ...filters, type: ['custom'] })) {
      if (this.d.store.endpointsOn(n.id).some((e) => e.ip)) continue;
      if (!this.#untilOk(n, filters) || !this.#labelNotOk(n, filters)) continue;
      await this.remove(n.id);
      gone.push(n.name);
    }
    if (gone.length) this.d.events.emit('network', 'prune', '', { reclaimed: '0' });
    return gone;
  }

  /** prune's label!=key[=value]: networks carrying that label are kept. */
  #labelNotOk(n: NetworkRecord, f: NetworkFilters & { 'label!'?: string[] }): boolean {
    for (const l of f['label!'] ?? []) {
      const i = l.indexOf('=');
      if (i < 0 ? l in n.labels : n.labels[l.slice(0, i)] === l.slice(i + 1)) return false;
    }
    return true;
  }

  #untilOk(n: NetworkRecord, f: NetworkFilters & { until?: string[] }): boolean {
    if (!f.until?.length) return true;
    const t = Date.parse(f.until[0]!) || Number(f.until[0]) * 1000;
    return Date.parse(n.created) < t;
  }

  // ---- connect / disconnect: attachments.ts -----------------------------------

  async connect(_ref: string, _container: string, _config: Partial<EndpointConfig>): Promise<void> {
    throw invalid('connect is implemented by the attachment layer');
  }

  async disconnect(_ref: string, _container: string, _force: boolean): Promise<void> {
    throw invalid('disconnect is implemented by the attachment layer');
  }

  // ---- boot -------------------------------------------------------------------

  /** The builtin networks, every bridge device, and the rules, as the metadata says. */
  async bootNetworks(): Promise<void> {
    const builtins = builtinNetworks(this.d.config, (name) => this.d.store.networkByName(name));
    for (const n of builtins) this.d.store.putNetwork(n);
    if (this.d.config.bridge === 'none') {
      const stale = this.d.store.networkByName('bridge');
      if (stale?.isDefault && this.d.store.endpointsOn(stale.id).length === 0) this.d.store.deleteNetwork(stale.id);
    }
    const def = this.d.store.networkByName('bridge');
    if (def?.isDefault) {
      const mine = parseCidr(def.ipam.config[0]!.subnet);
      const clash = hostRoutes().find((r) => r.device !== def.device && overlaps(r.cidr, mine));
      if (clash) throw invalid(`default bridge ${def.device} ${def.ipam.config[0]!.subnet} overlaps the route ${cidrString(clash.cidr)} of ${clash.device}: choose another --bip`);
    }
    const devices = new Set<string>();
    for (const n of this.d.store.listNetworks()) {
      if (n.driver !== 'bridge') continue;
      this.#makeBridge(n);
      devices.add(n.device);
      this.onNetworkUp(n);
    }
    // Bridges of networks removed while the daemon was down.
    for (const l of this.d.plumbing.links()) {
      if (l.kind === 'bridge' && l.alias === this.alias && !devices.has(l.name)) this.d.plumbing.deleteLink(l.name);
    }
  }
}

function parseBool(v: string, what: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalid(`invalid value for ${what}: ${v} (want true or false)`);
}
