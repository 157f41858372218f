// Devices and namespaces, done in-process over rtnetlink (rtnl.ts):
// bridges, a namespace file per container under <exec-root>/netns that the
// runtime joins, and veth pairs from a bridge into it.

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { MNT_DETACH, MS_BIND, SysError, mount, umount2 } from '../sys/libc.ts';
import { inNamespace, inNewNamespace, openRouteSocket } from '../sys/netlink.ts';
import { RouteSocket, type LinkInfo } from './rtnl.ts';
import { pinUsernsAndNet } from './userns-netns.ts';
import type { UsernsSource } from '../core/idmap.ts';

export interface VethRequest {
  nsPath: string;
  bridge: string;
  ifName: string;       // eth0, eth1...
  ip: string;
  prefixLen: number;
  gateway: string;      // '' for no default route
  mac: string;
  mtu: number;
  /** ifalias of the host end: marks the daemon's devices. */
  alias: string;
  /** On a dual-stack network: the IPv6 address, and the gateway for a default route ('' for none). */
  v6?: Addr6;
}

export interface Addr6 { ip: string; prefixLen: number; gateway: string }

export class Plumbing {
  readonly #nsDir: string;
  #host: RouteSocket | undefined;

  constructor(execRoot: string) {
    this.#nsDir = `${execRoot}/netns`;
  }

  get #sock(): RouteSocket {
    this.#host ??= new RouteSocket();
    return this.#host;
  }

  nsPath(containerId: string): string { return `${this.#nsDir}/${containerId}`; }
  /** The pin of the user namespace owning a remapped container's network namespace (userns-netns.ts). */
  usernsPath(containerId: string): string { return `${this.#nsDir}/${containerId}.user`; }

  links(): LinkInfo[] { return this.#sock.listLinks(); }
  linkExists(name: string): boolean { return this.#sock.linkIndex(name) !== 0; }

  /** The bridge, with its gateway address, up; made if missing. */
  ensureBridge(name: string, gateway: string, prefixLen: number, broadcast: string, mtu: number, alias: string, v6?: { gateway: string; prefixLen: number }): void {
    const s = this.#sock;
    if (!s.linkIndex(name)) s.createBridge(name, { mtu: mtu || undefined, alias });
    const index = s.linkIndex(name);
    s.addAddress(index, gateway, prefixLen, broadcast);
    if (v6) {
      writeFileSync(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, '0');
      s.addAddress(index, v6.gateway, v6.prefixLen);
      // dockerd's too, beside the kernel's own link-local address: the gateway's well-known link-local one.
      s.addAddress(index, 'fe80::1', 64);
    }
    s.setLink(index, { up: true });
  }

  /**
   * Lets loopback-sourced packets be routed out of this bridge (published
   * ports DNATed for a loopback client; iptables.ts drops the other way).
   */
  routeLocalnet(name: string): void {
    writeFileSync(`/proc/sys/net/ipv4/conf/${name}/route_localnet`, '1');
  }

  deleteLink(name: string): void {
    const index = this.#sock.linkIndex(name);
    if (!index) return;
    try { this.#sock.deleteLink(index); } catch (err) { if (!(err instanceof SysError && err.code === 'ENODEV')) throw err; }
  }

  /** A new namespace with lo up, pinned by a bind mount at nsPath(id). */
  createNamespace(containerId: string): string {
    mkdirSync(this.#nsDir, { recursive: true, mode: 0o700 });
    const path = this.nsPath(containerId);
    writeFileSync(path, '', { mode: 0o400 });
    let fd: number;
    try {
      fd = inNewNamespace(() => {
        mount('/proc/thread-self/ns/net', path, null, MS_BIND, null);
        return openRouteSocket();
      });
    } catch (err) {
      rmSync(path, { force: true });
      throw err;
    }
    const ns = new RouteSocket(fd);
    try { ns.setLink(1, { up: true }); } finally { ns.close(); }
    return path;
  }

  /** The same, owned by a user namespace made (or joined) for the container; both pinned. */
  async createOwnedNamespace(containerId: string, src: UsernsSource): Promise<{ path: string; userns: string }> {
    mkdirSync(this.#nsDir, { recursive: true, mode: 0o700 });
    const path = this.nsPath(containerId);
    const userns = this.usernsPath(containerId);
    try {
      await pinUsernsAndNet(src, userns, path);
      const ns = new RouteSocket(inNamespace(path, () => openRouteSocket()));
      try { ns.setLink(1, { up: true }); } finally { ns.close(); }
    } catch (err) {
      this.removeNamespace(containerId);
      throw err;
    }
    return { path, userns };
  }

  removeNamespace(containerId: string): void {
    for (const path of [this.nsPath(containerId), this.usernsPath(containerId)]) {
      if (!existsSync(path)) continue;
      try { umount2(path, MNT_DETACH); } catch (err) { if (!(err instanceof SysError && (err.code === 'EINVAL' || err.code === 'ENOENT'))) throw err; }
      rmSync(path, { force: true });
    }
  }

  /** Containers with namespace files present (for the reconcile after a crash). */
  namespaces(): string[] {
    let names: string[];
    try { names = readdirSync(this.#nsDir); } catch { return []; }
    return [...new Set(names.map((n) => n.replace(/\.user$/, '')))];
  }

  /** A veth from the bridge into the namespace, addressed and up; returns the host end's name. */
  addVeth(req: VethRequest): string {
    const s = this.#sock;
    const hostIf = `veth${randomBytes(4).toString('hex').slice(0, 7)}`;
    const nsFd = openSync(req.nsPath, 'r');
    try {
      s.createVeth(hostIf, req.ifName, nsFd, { mtu: req.mtu || undefined, peerMac: req.mac });
    } finally {
      closeSync(nsFd);
    }
    try {
      const hostIndex = s.linkIndex(hostIf);
      s.setLink(hostIndex, { master: s.linkIndex(req.bridge), up: true, alias: req.alias });
      const ns = new RouteSocket(inNamespace(req.nsPath, () => openRouteSocket()));
      try {
        const idx = ns.linkIndex(req.ifName);
        const bcast = broadcastOf(req.ip, req.prefixLen);
        ns.addAddress(idx, req.ip, req.prefixLen, bcast);
        ns.setLink(idx, { up: true });
        if (req.gateway) ns.addDefaultRoute(req.gateway, idx);
        addV6(ns, idx, req.v6);
      } finally {
        ns.close();
      }
    } catch (err) {
      this.deleteLink(hostIf);
      throw err;
    }
    return hostIf;
  }

  /**
   * A macvlan (bridge mode) or ipvlan (l2) link on the host's `parent`,
   * created straight into the namespace as ifName, addressed and up.
   */
  addSublink(req: Omit<VethRequest, 'bridge' | 'alias'> & { kind: 'macvlan' | 'ipvlan'; parent: string }): void {
    const s = this.#sock;
    const parent = s.linkIndex(req.parent);
    if (!parent) throw new Error(`parent interface ${req.parent} is gone`);
    const nsFd = openSync(req.nsPath, 'r');
    try {
      s.createSublink(req.kind, req.ifName, parent, nsFd, {
        mtu: req.mtu || undefined, mode: req.kind === 'macvlan' ? 4 /* MACVLAN_MODE_BRIDGE */ : 0 /* IPVLAN_MODE_L2 */,
        ...(req.kind === 'macvlan' ? { mac: req.mac } : {}),
      });
    } finally {
      closeSync(nsFd);
    }
    const ns = new RouteSocket(inNamespace(req.nsPath, () => openRouteSocket()));
    try {
      const idx = ns.linkIndex(req.ifName);
      ns.addAddress(idx, req.ip, req.prefixLen, broadcastOf(req.ip, req.prefixLen));
      ns.setLink(idx, { up: true });
      if (req.gateway) ns.addDefaultRoute(req.gateway, idx);
      addV6(ns, idx, req.v6);
    } finally {
      ns.close();
    }
  }

  /** Removes an interface inside a namespace (disconnect of a running container). */
  removeInNamespace(nsPath: string, ifName: string): void {
    const ns = new RouteSocket(inNamespace(nsPath, () => openRouteSocket()));
    try {
      const idx = ns.linkIndex(ifName);
      if (idx) ns.deleteLink(idx);
    } finally {
      ns.close();
    }
  }
}

/**
 * The IPv6 address and, unless the namespace has one already (a first
 * network without IPv6, or an earlier dual-stack one), the default route:
 * dockerd too routes IPv6 through the first network that has it.
 */
function addV6(ns: RouteSocket, idx: number, v6: Addr6 | undefined): void {
  if (!v6) return;
  ns.addAddress(idx, v6.ip, v6.prefixLen);
  if (v6.gateway) ns.addDefaultRoute(v6.gateway, idx, true);
}

export function broadcastOf(ip: string, prefixLen: number): string {
  const n = ip.split('.').reduce((a, p) => a * 256 + Number(p), 0);
  const host = prefixLen === 32 ? 0 : 2 ** (32 - prefixLen) - 1;
  const b = (n | host) >>> 0;
  return [b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255].join('.');
}
