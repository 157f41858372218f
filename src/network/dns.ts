// The embedded DNS: one UDP server per user-defined bridge network, on its
// gateway address, port 53. It answers the names of the containers on that
// network (name, short ID, network aliases) and forwards everything else to
// the querying container's --dns servers, or the host's resolvers.

import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import * as packet from 'dns-packet';
import type { Logger } from '../core/logger.ts';

export interface DnsResolver {
  /** Addresses for a name on a network as the container at fromIp sees it, or null when berth does not serve the name. */
  lookup(networkId: string, name: string, fromIp: string): string[] | null;
  /** The container name for an address on the network (PTR), or null. */
  reverse(networkId: string, ip: string): string | null;
  /** The upstream servers for a query from this address (its container's --dns). */
  upstreams(networkId: string, fromIp: string): string[];
}

const TTL = 600;
const FORWARD_TIMEOUT_MS = 4000;

export function hostResolvers(path = '/etc/resolv.conf'): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => !!s && !s.includes(':'));
  } catch { return []; }
}

export class EmbeddedDns {
  readonly #servers = new Map<string, dgram.Socket>();
  readonly #resolver: DnsResolver;
  readonly #log: Logger;

  constructor(resolver: DnsResolver, log: Logger) {
    this.#resolver = resolver;
    this.#log = log;
  }

  serve(networkId: string, address: string): void {
    if (this.#servers.has(networkId)) return;
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    sock.on('message', (msg, rinfo) => {
      // A query must never take the daemon down: a failure here is logged and the query dropped.
      try { this.#answer(networkId, sock, msg, rinfo); } catch (err) { this.#log.warn('embedded DNS query failed', { networkId, err: String(err) }); }
    });
    sock.on('error', (err) => this.#log.warn('embedded DNS socket failed', { networkId, address, err: err.message }));
    sock.bind(53, address);
    this.#servers.set(networkId, sock);
  }

  stop(networkId: string): void {
    const s = this.#servers.get(networkId);
    if (!s) return;
    this.#servers.delete(networkId);
    try { s.close(); } catch { /* already closed */ }
  }

  stopAll(): void {
    for (const id of [...this.#servers.keys()]) this.stop(id);
  }

  #answer(networkId: string, sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let q: packet.Packet;
    try { q = packet.decode(msg); } catch { return; }
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.replace(/\.$/, '').toLowerCase();
    const reply = (answers: packet.Answer[], rcode = 'NOERROR') => {
      const out = packet.encode({
        id: q.id, type: 'response', flags: ((q.flags ?? 0) & packet.RECURSION_DESIRED) | packet.RECURSION_AVAILABLE,
        questions: q.questions, answers, rcode,
      } as packet.Packet);
      send(sock, out, rinfo);
    };
    if (question.type === 'PTR') {
      const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
      const ptr = m ? this.#resolver.reverse(networkId, `${m[4]}.${m[3]}.${m[2]}.${m[1]}`) : null;
      if (ptr) return reply([{ type: 'PTR', name: question.name, ttl: TTL, class: 'IN', data: ptr }]);
    } else {
      const ips = this.#resolver.lookup(networkId, name, rinfo.address);
      if (ips) {
        if (question.type === 'A') return reply(ips.map((ip) => ({ type: 'A', name: question.name, ttl: TTL, class: 'IN', data: ip })));
        return reply([]); // a berth name: no other record types (no IPv6)
      }
    }
    this.#forward(networkId, msg, rinfo, sock, () => reply([], 'SERVFAIL'));
  }

  #forward(networkId: string, msg: Buffer, rinfo: dgram.RemoteInfo, sock: dgram.Socket, fail: () => void): void {
    const servers = this.#resolver.upstreams(networkId, rinfo.address);
    if (servers.length === 0) return fail();
    const up = dgram.createSocket('udp4');
    let done = false;
    const finish = () => { if (!done) { done = true; clearTimeout(timer); up.close(); } };
    const timer = setTimeout(() => { finish(); fail(); }, FORWARD_TIMEOUT_MS);
    up.on('message', (answer) => { send(sock, answer, rinfo); finish(); });
    up.on('error', () => { finish(); fail(); });
    up.send(msg, 53, servers[0]!);
  }
}

/** Sends unless the network's socket closed meanwhile (its network was removed while a forward was out). */
function send(sock: dgram.Socket, msg: Buffer | Uint8Array, to: dgram.RemoteInfo): void {
  try { sock.send(msg, to.port, to.address); } catch { /* socket closed: nobody left to answer */ }
}
