// The container side of networking (ContainerNetworking): endpoints at
// create, namespace + veths + leases + published ports at start, all of it
// undone after exit, and the reconcile after a crash. Also connect and
// disconnect of running containers.

import { randomBytes } from 'node:crypto';
import type { ContainerRecord } from '../core/container.ts';
import type { UsernsSource } from '../core/idmap.ts';
import type {
  ContainerNetworkSettings, ContainerNetworking, EndpointConfig, EndpointRecord, NetworkRecord, NetworkSetup, PortMap,
} from '../core/network.ts';
import { conflict, forbidden, invalid, notFound, isCode, unavailable, wrap } from '../core/errors.ts';
import { SysError } from '../sys/libc.ts';
import { ipToInt, macForIp, parseCidr } from './ipam.ts';
import { parseCidr6 } from './ipam6.ts';
import { v6PoolOf } from './pools.ts';
import { ipv6For, pickIpv4 } from './addresses.ts';
import { NetworkEngine, isRunning, type NetworkEngineDeps } from './service.ts';
import { PortProxies, portRequests } from './ports.ts';
import { EmbeddedDns } from './dns.ts';
import { NetworkNames, dnsNames } from './names.ts';
import { emptyEndpointConfig, endpointConfig } from './endpoint-config.ts';
import { linkEnv, linkHostsLine, parseLink } from './links.ts';

export class NetworkManager extends NetworkEngine implements ContainerNetworking {
  readonly #ports = new PortProxies();
  /** Last address handed out per network: the next lease starts after it (no immediate reuse). */
  readonly #lastIp = new Map<string, number>();
  readonly #dns: EmbeddedDns;
  readonly #names: NetworkNames;

  constructor(deps: NetworkEngineDeps) {
    super(deps);
    this.#names = new NetworkNames(deps);
    this.#dns = new EmbeddedDns({
      lookup: (net, name, from) => this.#names.lookup(net, name, from),
      reverse: (net, ip) => this.#names.reverse(net, ip),
      upstreams: (net, from) => this.#names.upstreams(net, from),
    }, this.log);
  }

  protected override onNetworkUp(n: NetworkRecord): void {
    if (n.driver === 'bridge' && !n.isDefault) this.#dns.serve(n.id, n.ipam.config[0]!.gateway);
  }

  protected override onNetworkDown(n: NetworkRecord): void {
    this.#dns.stop(n.id);
    this.#names.drop(n.id);
  }

  /** The network a container mode names: null for none/host/container:. */
  #modeNetwork(mode: string): NetworkRecord | null {
    if (mode === 'none' || mode === 'host' || mode.startsWith('container:')) return null;
    if (mode === '' || mode === 'default' || mode === 'bridge') {
      const b = this.d.store.networkByName('bridge');
      if (!b) throw notFound('network bridge not found');
      return b;
    }
    const n = this.resolveNetwork(mode);
    return n.driver === 'host' || n.driver === 'null' ? null : n;
  }

  // ---- create / remove ------------------------------------------------------

  register(req: Parameters<ContainerNetworking['register']>[0]): string {
    const mode = req.networkMode || 'default';
    if (['none', 'host', 'default', 'bridge'].includes(mode) || mode.startsWith('container:')) {
      // dockerd registers legacy links at create: an unknown target is a bad parameter there.
      for (const link of req.hostConfig.links ?? []) {
        const [name] = parseLink(link);
        try { this.d.containers.resolve(name); } catch (err) {
          if (isCode(err, 'not_found')) throw invalid(`could not get container for ${name}: ${(err as Error).message}`);
          throw err;
        }
      }
    } else {
      // Like dockerd, a network that does not exist (yet) is an error at start, not at create.
      try { this.resolveNetwork(mode); } catch (err) {
        if (!isCode(err, 'not_found')) throw err;
        portRequests(req.hostConfig.portBindings, req.hostConfig.publishAllPorts ?? false, req.exposedPorts);
        this.#pending.set(req.id, req.endpoints?.[mode] ?? {});
        return mode;
      }
    }
    return this.#register(req);
  }

  /** Endpoint settings of containers created for a network that did not exist yet (kept until start). */
  readonly #pending = new Map<string, Partial<EndpointConfig>>();

  #register(req: Parameters<ContainerNetworking['register']>[0]): string {
    const mode = req.networkMode || 'default';
    if (mode.startsWith('container:')) {
      const target = mode.slice('container:'.length);
      if (!target) throw invalid(`invalid network mode: ${mode}`);
      const t = this.d.containers.resolve(target);
      if (t.id === req.id) throw invalid('cannot join own network namespace');
      if (Object.keys(req.hostConfig.portBindings ?? {}).length || req.hostConfig.publishAllPorts) {
        throw invalid('conflicting options: port publishing and the container type network mode');
      }
      return `container:${t.id}`;
    }
    const primary = this.#modeNetwork(mode);
    const endpoints = new Map<NetworkRecord, EndpointConfig>();
    if (primary) endpoints.set(primary, endpointConfig(primary, req.endpoints?.[mode] ?? req.endpoints?.[primary.name] ?? req.endpoints?.[primary.id], req.hostConfig.links));
    for (const [ref, cfg] of Object.entries(req.endpoints ?? {})) {
      const n = this.#modeNetwork(ref);
      if (!n || [...endpoints.keys()].some((e) => e.id === n.id)) continue;
      if (!primary) throw invalid(`container cannot be connected to network ${ref} with network mode ${mode}`);
      endpoints.set(n, endpointConfig(n, cfg, []));
    }
    portRequests(req.hostConfig.portBindings, req.hostConfig.publishAllPorts ?? false, req.exposedPorts);
    this.d.store.transaction(() => {
      for (const [n, cfg] of endpoints) this.d.store.addEndpoint(req.id, n.id, cfg);
    });
    return mode;
  }

  unregister(id: string): void {
    this.#pending.delete(id);
    this.d.store.removeEndpointsOf(id);
  }

  // ---- start / exit -----------------------------------------------------------

  async setUp(rec: ContainerRecord, opts: { userns?: UsernsSource } = {}): Promise<NetworkSetup> {
    const mode = rec.hostConfig.networkMode || 'default';
    if (mode === 'host') return { spec: 'host', hosts: [], nameservers: null, hostNetwork: true };
    if (mode.startsWith('container:')) {
      const t = this.d.containers.resolve(mode.slice('container:'.length));
      if (!isRunning(t) || !t.state.pid) throw conflict(`cannot join network namespace of a non running container: container ${t.id} is ${t.state.status}`);
      const tm = t.hostConfig.networkMode;
      return { spec: tm === 'host' ? 'host' : { path: `/proc/${t.state.pid}/ns/net` }, hosts: [], nameservers: null, hostNetwork: tm === 'host' };
    }
    let eps = this.d.store.endpointsOf(rec.id);
    if (eps.length === 0) {
      const n = this.#modeNetwork(mode);
      if (!n) return { spec: 'none', hosts: [], nameservers: null, hostNetwork: false };
      this.d.store.addEndpoint(rec.id, n.id, endpointConfig(n, this.#pending.get(rec.id), rec.hostConfig.links));
      this.#pending.delete(rec.id);
      eps = this.d.store.endpointsOf(rec.id);
    }
    const owned = opts.userns ? await this.d.plumbing.createOwnedNamespace(rec.id, opts.userns) : null;
    const nsPath = owned?.path ?? this.d.plumbing.createNamespace(rec.id);
    try {
      const attached = eps.map((ep, i) => this.#attach(rec, ep, `eth${i}`, nsPath, i === 0));
      const first = attached[0]!;
      await this.#publish(rec, first.ip, first.ip6);
      const names = [rec.config.hostname + (rec.config.domainname ? `.${rec.config.domainname}` : '')];
      if (rec.config.domainname) names.push(rec.config.hostname);
      const links = this.#legacyLinks(rec, first.net);
      // dockerd writes the IPv6 address of a dual-stack first network too.
      const hosts = [...links.hosts, `${first.ip}\t${names.join(' ')}`, ...(first.ip6 ? [`${first.ip6}\t${names.join(' ')}`] : [])];
      const user = attached.find((a) => !a.net.isDefault && a.net.driver === 'bridge');
      return { spec: owned ?? { path: nsPath }, hosts, nameservers: user ? [user.net.ipam.config[0]!.gateway] : null, hostNetwork: false, env: links.env };
    } catch (err) {
      await this.tearDown(rec.id).catch((e) => this.log.warn('network teardown after failed setup failed', { id: rec.id, err: e }));
      throw err;
    }
  }

  /** One endpoint into a namespace: lease, veth, addresses. */
  #attach(rec: ContainerRecord, ep: EndpointRecord, ifName: string, nsPath: string, primary: boolean): { ip: string; ip6: string; net: NetworkRecord } {
    const net = this.d.store.getNetwork(ep.networkId);
    if (!net) throw notFound(`network ${ep.networkId} not found`);
    if (net.driver !== 'bridge' && net.driver !== 'macvlan' && net.driver !== 'ipvlan') throw invalid(`network driver ${net.driver} cannot carry containers`);
    const pool = net.ipam.config[0]!;
    const sub = parseCidr(pool.subnet);
    const ip = ep.config.ipv4Address || pickIpv4(this.d.store, net, this.#lastIp.get(net.id) ?? 0);
    const mac = ep.config.macAddress || macForIp(ip);
    const ip6 = ipv6For(this.d.store, net, ep.config.ipv6Address, mac);
    const endpointId = randomBytes(32).toString('hex');
    // The lease first: a taken address fails here, before any device exists.
    this.d.store.lease({ containerId: rec.id, networkId: net.id, endpointId, ip, ip6, mac, hostIf: '' });
    const gateway = primary && !net.internal ? pool.gateway : '';
    const v6pool = v6PoolOf(net);
    const v6 = v6pool ? { ip: ip6, prefixLen: parseCidr6(v6pool.subnet).prefix, gateway: net.internal ? '' : v6pool.gateway } : undefined;
    let hostIf: string;
    if (net.driver === 'bridge') {
      hostIf = this.d.plumbing.addVeth({ nsPath, bridge: net.device, ifName, ip, prefixLen: sub.prefix, gateway, mac, mtu: net.mtu, alias: this.alias, v6 });
    } else {
      // No host end: the link lives in the namespace ("@ifName"), and goes with it.
      try {
        this.d.plumbing.addSublink({ kind: net.driver, parent: net.device, nsPath, ifName, ip, prefixLen: sub.prefix, gateway, mac, mtu: net.mtu, v6 });
      } catch (err) {
        this.d.store.release(rec.id, net.id);
        if (err instanceof Error && /parent interface/.test(err.message)) throw notFound(`${net.driver} network ${net.name}: ${err.message}`);
        // dockerd's words (and, as there, the network itself is made: the kernel is asked at start).
        if (err instanceof SysError && /^(ENOTSUP|EOPNOTSUPP)$/.test(err.code)) throw unavailable(`failed to create the ${net.driver} port: operation not supported`);
        throw err;
      }
      hostIf = `@${ifName}`;
    }
    this.d.store.lease({ containerId: rec.id, networkId: net.id, endpointId, ip, ip6, mac, hostIf });
    this.#lastIp.set(net.id, ipToInt(ip));
    return { ip, ip6, net };
  }

  /**
   * Legacy links of a container on the default bridge (HostConfig.Links):
   * an /etc/hosts line and the environment per link (links.ts). The target
   * must exist and run, as with dockerd. On a user network a link is a DNS
   * alias instead (#lookup).
   */
  #legacyLinks(rec: ContainerRecord, net: NetworkRecord): { hosts: string[]; env: string[] } {
    const out = { hosts: [] as string[], env: [] as string[] };
    if (!net.isDefault) return out;
    for (const link of rec.hostConfig.links ?? []) {
      const [name, alias] = parseLink(link);
      let t: ContainerRecord;
      try { t = this.d.containers.resolve(name); } catch (err) {
        if (isCode(err, 'not_found')) throw notFound(`could not get container for ${name}: No such container: ${name}`);
        throw err;
      }
      const tep = isRunning(t) ? this.d.store.endpointsOf(t.id).find((e) => e.networkId === net.id && e.ip) : undefined;
      if (!isRunning(t)) throw conflict(`Cannot link to a non running container: /${t.name} AS /${rec.name}/${alias}`);
      if (!tep) throw invalid(`Cannot link to /${t.name}, as it does not belong to the default network`);
      const target = {
        name: t.name, hostname: t.config.hostname, domainname: t.config.domainname ?? '', ip: tep.ip,
        exposedPorts: Object.keys(t.config.exposedPorts ?? {}), env: t.config.env ?? [],
      };
      out.hosts.push(linkHostsLine(alias, target));
      out.env.push(...linkEnv(rec.name, alias, target));
    }
    return out;
  }

  linkEnv(rec: ContainerRecord): string[] {
    const ep = this.d.store.endpointsOf(rec.id).find((e) => e.ip);
    const net = ep && this.d.store.getNetwork(ep.networkId);
    return net ? this.#legacyLinks(rec, net).env : [];
  }

  async #publish(rec: ContainerRecord, ip: string, ip6: string): Promise<void> {
    const reqs = portRequests(rec.hostConfig.portBindings, rec.hostConfig.publishAllPorts ?? false, rec.config.exposedPorts);
    if (reqs.length === 0) return;
    const active = await this.#ports.open(rec.id, ip, ip6, reqs).catch((err: unknown) => {
      // dockerd's words: the bridge driver names the endpoint it was programming.
      const ep = this.d.store.endpointsOf(rec.id).find((e) => e.ip);
      throw wrap(err, `driver failed programming external connectivity on endpoint ${rec.name} (${ep?.endpointId ?? ''})`);
    });
    this.d.store.addPorts(rec.id, active);
    await this.applyRules();
  }

  async tearDown(id: string): Promise<void> {
    this.#ports.close(id);
    const hadPorts = this.d.store.portsOf(id).length > 0;
    this.d.store.removePortsOf(id);
    // The veths are not deleted one by one (a synchronous RTM_DELLINK waits
    // ~20-30 ms for RCU here): once the namespace's bind mount goes and its
    // processes are gone, the kernel destroys it and both ends of its veths.
    for (const ep of this.d.store.endpointsOf(id)) {
      if (ep.ip || ep.hostIf) this.d.store.release(id, ep.networkId);
    }
    this.d.plumbing.removeNamespace(id);
    if (hadPorts) await this.applyRules();
  }

  // ---- inspect ------------------------------------------------------------------

  settingsStamp(id: string): string {
    return this.d.store.containerStamp(id);
  }

  settings(rec: ContainerRecord): ContainerNetworkSettings {
    const mode = rec.hostConfig.networkMode || 'default';
    const networks: ContainerNetworkSettings['networks'] = {};
    const running = isRunning(rec);
    for (const ep of this.d.store.endpointsOf(rec.id)) {
      const n = this.d.store.getNetwork(ep.networkId);
      if (!n) continue;
      const live = running && ep.ip !== '';
      const v6 = live && ep.ip6 ? v6PoolOf(n) : undefined;
      networks[n.name] = {
        networkId: n.id, endpointId: live ? ep.endpointId : '', gateway: live ? n.ipam.config[0]!.gateway : '',
        ip: live ? ep.ip : '', prefixLen: live ? parseCidr(n.ipam.config[0]!.subnet).prefix : 0, mac: live ? ep.mac : '',
        gateway6: v6?.gateway ?? '', ip6: v6 ? ep.ip6 : '', prefixLen6: v6 ? parseCidr6(v6.subnet).prefix : 0,
        config: ep.config,
        dnsNames: n.isDefault ? null : dnsNames(rec, ep),
      };
    }
    if (mode === 'host' || mode === 'none') {
      const n = this.d.store.networkByName(mode);
      if (n) networks[mode] = { networkId: n.id, endpointId: '', gateway: '', ip: '', prefixLen: 0, gateway6: '', ip6: '', prefixLen6: 0, mac: '', config: emptyEndpointConfig(), dnsNames: null };
    }
    const ports: PortMap = {};
    // As dockerd: no port list without an endpoint of its own (host, none, container:).
    if (running && this.d.store.endpointsOf(rec.id).some((e) => e.ip)) {
      for (const key of Object.keys(rec.config.exposedPorts ?? {})) ports[key.includes('/') ? key : `${key}/tcp`] = null;
      for (const p of this.d.store.portsOf(rec.id)) {
        const key = `${p.containerPort}/${p.proto}`;
        (ports[key] ??= []).push({ hostIp: p.hostIp, hostPort: String(p.hostPort) });
      }
    }
    return { sandboxKey: running && this.d.store.endpointsOf(rec.id).some((e) => e.ip) ? this.d.plumbing.nsPath(rec.id) : '', ports, networks };
  }

  // ---- connect / disconnect ------------------------------------------------------

  override async connect(ref: string, container: string, config: Partial<EndpointConfig>): Promise<void> {
    const n = this.resolveNetwork(ref);
    const rec = this.d.containers.resolve(container);
    const mode = rec.hostConfig.networkMode || 'default';
    if (n.driver === 'host' || n.driver === 'null' || mode === 'host' || mode === 'none' || mode.startsWith('container:')) {
      throw invalid(`container cannot be disconnected from host network or connected to host network`);
    }
    if (this.d.store.endpointsOf(rec.id).some((e) => e.networkId === n.id)) {
      throw forbidden(`endpoint with name ${rec.name} already exists in network ${n.name}`);
    }
    const cfg = endpointConfig(n, config, []);
    this.d.store.addEndpoint(rec.id, n.id, cfg);
    if (isRunning(rec)) {
      try {
        const ifName = `eth${this.d.store.endpointsOf(rec.id).length - 1}`;
        this.#attach(rec, this.d.store.endpointsOf(rec.id).find((e) => e.networkId === n.id)!, ifName, this.d.plumbing.nsPath(rec.id), false);
      } catch (err) {
        this.d.store.release(rec.id, n.id);
        this.d.store.removeEndpoint(rec.id, n.id);
        throw err;
      }
    }
    this.d.events.emit('network', 'connect', n.id, { container: rec.id, name: n.name, type: n.driver });
  }

  override async disconnect(ref: string, container: string, force: boolean): Promise<void> {
    const n = this.resolveNetwork(ref);
    let rec: ContainerRecord | undefined;
    try { rec = this.d.containers.resolve(container); } catch (err) {
      if (!force || !isCode(err, 'not_found')) throw err;
    }
    const id = rec?.id ?? container;
    const ep = this.d.store.endpointsOf(id).find((e) => e.networkId === n.id);
    if (!ep) {
      if (n.driver === 'host' || n.driver === 'null') throw invalid('container cannot be disconnected from host network or connected to host network');
      throw notFound(`container ${id} is not connected to network ${n.name}`);
    }
    if (ep.hostIf) {
      try {
        if (ep.hostIf.startsWith('@')) this.d.plumbing.removeInNamespace(this.d.plumbing.nsPath(id), ep.hostIf.slice(1));
        else this.d.plumbing.deleteLink(ep.hostIf);
      } catch (err) { this.log.warn('interface removal failed', { id, err }); }
    }
    this.d.store.removeEndpoint(id, n.id);
    this.d.events.emit('network', 'disconnect', n.id, { container: id, name: n.name, type: n.driver });
  }

  // ---- boot -----------------------------------------------------------------------

  /**
   * At boot: leases, namespaces and ports of containers that no longer run
   * go; those of running ones are served again; then the rules are
   * rewritten and the jumps made sure of (reconcileRules).
   */
  async reconcile(): Promise<void> {
    await this.reconcileAttachments();
    await this.reconcileRules();
  }

  /**
   * The first half, before live restore re-adopts anything (an exit it
   * records closes the container's ports: they must be open by then).
   * Quick: the metadata, the namespace files, in-process proxies.
   */
  async reconcileAttachments(): Promise<void> {
    const running = new Set(this.d.containers.listShared().filter(isRunning).map((r) => r.id));
    for (const ep of this.d.store.allEndpoints()) {
      if ((ep.ip || ep.hostIf) && !running.has(ep.containerId)) await this.tearDown(ep.containerId);
      if (!this.d.containers.get(ep.containerId)) this.d.store.removeEndpointsOf(ep.containerId);
    }
    for (const id of this.d.plumbing.namespaces()) {
      if (!running.has(id)) this.d.plumbing.removeNamespace(id);
    }
    for (const p of this.d.store.allPorts()) {
      if (!running.has(p.containerId)) this.d.store.removePortsOf(p.containerId);
    }
    const byContainer = new Map<string, ReturnType<NetworkManager['d']['store']['portsOf']>>();
    for (const p of this.d.store.allPorts()) byContainer.set(p.containerId, [...(byContainer.get(p.containerId) ?? []), p]);
    for (const [id, ports] of byContainer) {
      const ep = this.d.store.endpointsOf(id).find((e) => e.ip);
      if (!ep) continue;
      await this.#ports.open(id, ep.ip, ep.ip6, [], ports).catch((err) => this.log.warn('re-publishing ports failed', { id, err }));
    }
  }

  /** The second half: iptables processes, so it may run beside re-adoption (each apply writes the whole state). */
  async reconcileRules(): Promise<void> {
    await this.applyRules(true);
  }

  shutdown(): void {
    this.#ports.closeAll();
    this.#dns.stopAll();
  }
}
