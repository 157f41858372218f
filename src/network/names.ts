// What the embedded DNS answers on a network: the names of the containers
// with an address there (name, short ID, aliases, and on user networks the
// aliases of --link), their reverse names, and where other names go.

import type { ContainerRecord } from '../core/container.ts';
import type { EndpointRecord } from '../core/network.ts';
import type { NetworkEngineDeps } from './service.ts';
import { hostResolvers, type Upstreams } from './dns.ts';

type Deps = Pick<NetworkEngineDeps, 'store' | 'containers' | 'plumbing'>;

/** Names a container answers to on a network: name, short ID, aliases (Docker's DNSNames). */
export function dnsNames(rec: ContainerRecord, ep: EndpointRecord): string[] {
  return [rec.name, rec.id.slice(0, 12), ...ep.config.aliases];
}

/** An endpoint's addresses: IPv4, and IPv6 on a dual-stack network (A and AAAA answers). */
const addrs = (ep: EndpointRecord) => (ep.ip6 ? [ep.ip, ep.ip6] : [ep.ip]);

export class NetworkNames {
  readonly #d: Deps;

  constructor(deps: Deps) {
    this.#d = deps;
  }

  /** Forget a network that went away. */
  drop(networkId: string): void {
    this.#index.delete(networkId);
  }

  /**
   * Per network: the endpoints with an address and the names they answer
   * to, rebuilt only after the store's endpoints change, so a query costs a
   * map lookup, not a scan of every container on the network.
   */
  readonly #index = new Map<string, { gen: number; eps: EndpointRecord[]; names: Map<string, Array<{ ep: EndpointRecord; name: string | null }>> }>();
  #indexOf(networkId: string) {
    const gen = this.#d.store.endpointGeneration;
    const hit = this.#index.get(networkId);
    if (hit && hit.gen === gen) return hit;
    const eps = this.#d.store.endpointsOn(networkId).filter((e) => e.ip);
    const names = new Map<string, Array<{ ep: EndpointRecord; name: string | null }>>();
    for (const ep of eps) {
      const rec = this.#d.containers.get(ep.containerId);
      if (!rec) continue;
      for (const n of new Set(dnsNames(rec, ep).map((x) => x.toLowerCase()))) {
        const list = names.get(n) ?? [];
        list.push({ ep, name: n === rec.name.toLowerCase() ? rec.name : null });
        names.set(n, list);
      }
    }
    const idx = { gen, eps, names };
    this.#index.set(networkId, idx);
    return idx;
  }

  lookup(networkId: string, name: string, fromIp: string): string[] | null {
    const idx = this.#indexOf(networkId);
    const eps = idx.eps;
    const ips: string[] = [];
    for (const h of idx.names.get(name) ?? []) {
      // A container renamed since the index was built no longer answers to its old name.
      if (h.name !== null && this.#d.containers.byName(h.name) !== h.ep.containerId) continue;
      ips.push(...addrs(h.ep));
    }
    if (ips.length) return ips;
    // ... and answers to its new one.
    try {
      const rec = this.#d.containers.resolve(name);
      const ep = rec.name.toLowerCase() === name ? eps.find((e) => e.containerId === rec.id) : undefined;
      if (ep) return addrs(ep);
    } catch { /* not a container */ }
    // Links on a user network (--link target:alias): the alias is the linking container's own name for the target.
    const from = eps.find((e) => e.ip === fromIp || e.ip6 === fromIp);
    for (const link of from?.config.links ?? []) {
      const [target, alias] = link.replace(/^\//, '').split(':');
      if ((alias ?? target)!.toLowerCase() !== name) continue;
      const t = eps.find((e) => this.#d.containers.get(e.containerId)?.name === target);
      if (t) return addrs(t);
    }
    return null;
  }

  reverse(networkId: string, ip: string): string | null {
    const ep = this.#indexOf(networkId).eps.find((e) => e.ip === ip || e.ip6 === ip);
    const rec = ep && this.#d.containers.get(ep.containerId);
    const net = this.#d.store.getNetwork(networkId);
    return rec && net ? `${rec.name}.${net.name}` : null;
  }

  upstreams(networkId: string, fromIp: string): Upstreams {
    const ep = this.#indexOf(networkId).eps.find((e) => e.ip === fromIp || e.ip6 === fromIp);
    const rec = ep && this.#d.containers.get(ep.containerId);
    return rec?.hostConfig.dns.length
      ? { servers: rec.hostConfig.dns, namespace: this.#d.plumbing.nsPath(rec.id) }
      : { servers: hostResolvers(), namespace: null };
  }
}
