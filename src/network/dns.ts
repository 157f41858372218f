// The embedded DNS: one server per user-defined bridge network, on its
// gateway address, port 53, over UDP and TCP (RFC 7766: each message with a
// two-byte length, several per connection). It answers the names of the containers on that
// network (name, short ID, network aliases) and forwards everything else to
// the querying container's --dns servers, or the host's resolvers.

import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import * as packet from 'dns-packet';
import type { Logger } from '../core/logger.ts';
import { inNamespace } from '../sys/netlink.ts';
import { bigToIp6 } from './ipam6.ts';

/**
 * Where a query that berth does not answer goes. `namespace` is the querying
 * container's network namespace when the servers are its own --dns: a
 * loopback one is its own loopback there (dockerd's resolver forwards to it
 * inside the container; only the host's resolv.conf servers are reached on
 * the host's loopback).
 */
export interface Upstreams { servers: string[]; namespace: string | null }

export interface DnsResolver {
  /** Addresses (IPv4 and IPv6) for a name on a network as the container at fromIp sees it, or null when berth does not serve the name. */
  lookup(networkId: string, name: string, fromIp: string): string[] | null;
  /** The container name for an address on the network (PTR), or null. */
  reverse(networkId: string, ip: string): string | null;
  /** The upstream servers for a query from this address (its container's --dns, else the host's). */
  upstreams(networkId: string, fromIp: string): Upstreams;
}

const TTL = 600;
const FORWARD_TIMEOUT_MS = 4000;
const TCP_IDLE_MS = 30_000;

export function hostResolvers(path = '/etc/resolv.conf'): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => !!s && !s.includes(':'));
  } catch { return []; }
}

/** The address a reverse name stands for: a.b.c.d.in-addr.arpa, or 32 nibbles of ip6.arpa (RFC 5952 form). */
export function reverseAddress(name: string): string | null {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
  if (v4) return `${v4[4]}.${v4[3]}.${v4[2]}.${v4[1]}`;
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(name);
  if (!v6) return null;
  return bigToIp6(BigInt(`0x${v6[1]!.split('.').filter(Boolean).reverse().join('')}`));
}

export class EmbeddedDns {
  readonly #servers = new Map<string, { udp: dgram.Socket; tcp: net.Server; conns: Set<net.Socket> }>();
  readonly #resolver: DnsResolver;
  readonly #log: Logger;

  constructor(resolver: DnsResolver, log: Logger) {
    this.#resolver = resolver;
    this.#log = log;
  }

  serve(networkId: string, address: string): void {
    if (this.#servers.has(networkId)) return;
    const udp = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    udp.on('message', (msg, rinfo) => this.#query(networkId, msg, rinfo.address, (out) => {
      try { udp.send(out, rinfo.port, rinfo.address); } catch { /* closed: the network went while a forward was out */ }
    }));
    udp.on('error', (err) => this.#log.warn('embedded DNS socket failed', { networkId, address, err: err.message }));
    udp.bind(53, address);
    const conns = new Set<net.Socket>();
    const tcp = net.createServer((c) => this.#connection(networkId, c, conns));
    tcp.on('error', (err) => this.#log.warn('embedded DNS TCP listener failed', { networkId, address, err: err.message }));
    tcp.listen({ host: address, port: 53, exclusive: true });
    this.#servers.set(networkId, { udp, tcp, conns });
  }

  stop(networkId: string): void {
    const s = this.#servers.get(networkId);
    if (!s) return;
    this.#servers.delete(networkId);
    try { s.udp.close(); } catch { /* already closed */ }
    s.tcp.close();
    for (const c of s.conns) c.destroy();
  }

  stopAll(): void {
    for (const id of [...this.#servers.keys()]) this.stop(id);
  }

  /** Length-prefixed messages on one connection; idle connections are closed after a while. */
  #connection(networkId: string, c: net.Socket, conns: Set<net.Socket>): void {
    conns.add(c);
    c.setTimeout(TCP_IDLE_MS, () => c.destroy());
    c.on('close', () => conns.delete(c));
    c.on('error', () => c.destroy());
    let buf = Buffer.alloc(0);
    c.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        this.#query(networkId, msg, c.remoteAddress?.replace(/^::ffff:/, '') ?? '', (out) => {
          if (c.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          c.write(Buffer.concat([len, out]));
        });
      }
      if (buf.length > 2 + 65535) c.destroy();
    });
  }

  /** A query must never take the daemon down: a failure is logged and the query dropped. */
  #query(networkId: string, msg: Buffer, from: string, respond: (out: Buffer | Uint8Array) => void): void {
    try { this.#answer(networkId, msg, from, respond); } catch (err) { this.#log.warn('embedded DNS query failed', { networkId, err: String(err) }); }
  }

  #answer(networkId: string, msg: Buffer, from: string, respond: (out: Buffer | Uint8Array) => void): void {
    let q: packet.Packet;
    try { q = packet.decode(msg); } catch { return; }
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.replace(/\.$/, '').toLowerCase();
    const reply = (answers: packet.Answer[], rcode = 'NOERROR') => {
      respond(packet.encode({
        id: q.id, type: 'response', flags: ((q.flags ?? 0) & packet.RECURSION_DESIRED) | packet.RECURSION_AVAILABLE,
        questions: q.questions, answers, rcode,
      } as packet.Packet));
    };
    if (question.type === 'PTR') {
      const addr = reverseAddress(name);
      const ptr = addr ? this.#resolver.reverse(networkId, addr) : null;
      if (ptr) return reply([{ type: 'PTR', name: question.name, ttl: TTL, class: 'IN', data: ptr }]);
    } else {
      const ips = this.#resolver.lookup(networkId, name, from);
      if (ips) {
        const type = question.type === 'A' || question.type === 'AAAA' ? question.type : null;
        // A berth name: A and AAAA records only (an empty answer for the other types).
        const want = ips.filter((ip) => (type === 'AAAA') === ip.includes(':'));
        return reply(type ? want.map((ip) => ({ type, name: question.name, ttl: TTL, class: 'IN', data: ip })) : []);
      }
    }
    this.#forward(networkId, msg, from, respond, () => reply([], 'SERVFAIL'));
  }

  #forward(networkId: string, msg: Buffer, from: string, respond: (out: Buffer) => void, fail: () => void): void {
    const { servers, namespace } = this.#resolver.upstreams(networkId, from);
    if (servers.length === 0) return fail();
    const server = servers[0]!;
    const ns = /^127\./.test(server) ? namespace : null;
    const up = ns ? socketIn(ns) : dgram.createSocket('udp4');
    let done = false;
    const finish = () => { if (!done) { done = true; clearTimeout(timer); up.close(); } };
    const timer = setTimeout(() => { finish(); fail(); }, FORWARD_TIMEOUT_MS);
    up.on('message', (answer) => { finish(); respond(answer); });
    up.on('error', () => { finish(); fail(); });
    up.send(msg, 53, server);
  }
}

/**
 * A UDP socket made inside a network namespace: the lookup is synchronous
 * and the bind exclusive, so the socket is created while the thread is
 * there (Node otherwise defers it a tick, to the daemon's namespace).
 */
function socketIn(nsPath: string): dgram.Socket {
  const sock = dgram.createSocket({ type: 'udp4', lookup: (address, _opts, cb) => (cb as (e: null, a: string, f: number) => void)(null, address, 4) });
  inNamespace(nsPath, () => sock.bind({ address: '127.0.0.1', port: 0, exclusive: true }));
  return sock;
}
