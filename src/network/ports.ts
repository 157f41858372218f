// Published ports: berthd itself listens on the host port (which also
// reserves it: a taken port is a clear error at start) and relays to the
// container. iptables DNAT serves the host's other addresses and other
// containers; this proxy serves loopback, which DNAT cannot reach.
// As dockerd 20.10 with its userland proxy: a binding without a host IP
// is published on 0.0.0.0 and, when the host has IPv6, on [::] with the
// same port; IPv6 bindings ([::], [::1]) are served by this relay, to the
// container's IPv6 address, or its IPv4 one when it has none (iptables.ts
// DNATs IPv6 clients but loopback ones to a container with IPv6).
// sctp ports are held by a bound SCTP socket and served by DNAT alone
// (Node has no SCTP to relay with): loopback [::1] clients and a daemon
// with --iptables=false get nothing, where docker-proxy would relay. On a
// kernel without SCTP the start fails as dockerd's does.

import net from 'node:net';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { conflict, invalid, unavailable } from '../core/errors.ts';
import type { PortMap } from '../core/network.ts';
import type { ActivePort, PortProto } from './store.ts';
import { bindSctp, closeSctp } from '../sys/sctp.ts';
import { ipv4Bytes, ipv6Bytes } from './rtnl.ts';

/** hostIp '' is dockerd's unspecified address: 0.0.0.0, plus [::] where the host has IPv6. */
export interface PortRequest { proto: PortProto; containerPort: number; hostIp: string; hostPorts: [number, number] }

/** PortBindings (+ -P's exposed ports) as a list of what to bind; every bad value is named. */
export function portRequests(bindings: PortMap | undefined, publishAll: boolean, exposed: Record<string, object> | undefined): PortRequest[] {
  const out: PortRequest[] = [];
  const add = (key: string, hostIp: string, hostPort: string) => {
    const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
    if (!m) throw invalid(`invalid port specification: "${key}"`);
    const containerPort = Number(m[1]);
    if (containerPort < 1 || containerPort > 65535) throw invalid(`invalid port specification: "${key}"`);
    let range: [number, number] = [0, 0];
    if (hostPort) {
      const r = /^(\d+)(?:-(\d+))?$/.exec(hostPort);
      if (!r) throw invalid(`invalid hostPort: ${hostPort}`);
      range = [Number(r[1]), Number(r[2] ?? r[1])];
      if (range[0] < 1 || range[1] > 65535 || range[0] > range[1]) throw invalid(`invalid hostPort: ${hostPort}`);
    }
    if (hostIp && !net.isIP(hostIp)) throw invalid(`invalid host IP address: ${hostIp}`);
    out.push({ proto: (m[2] ?? 'tcp') as PortProto, containerPort, hostIp, hostPorts: range });
  };
  for (const [key, list] of Object.entries(bindings ?? {})) {
    if (!list || list.length === 0) add(key, '', '');
    else for (const b of list) add(key, b.hostIp ?? '', b.hostPort ?? '');
  }
  if (publishAll) {
    for (const key of Object.keys(exposed ?? {})) {
      const k = key.includes('/') ? key : `${key}/tcp`;
      if (!bindings || !(k in bindings)) add(k, '', '');
    }
  }
  return out;
}

interface Open { close(): void }

export class PortProxies {
  readonly #open = new Map<string, Open[]>();
  /** What each container holds, as proto/hostIp/port: a second claim is dockerd's "already allocated". */
  readonly #bound = new Map<string, Set<string>>();

  /**
   * Binds every requested port for a container whose addresses are ip (and
   * ip6 on a dual-stack network); all or nothing. fixed: the bindings a
   * restarted daemon had, each on its own address.
   */
  async open(containerId: string, ip: string, ip6: string, reqs: PortRequest[], fixed?: ActivePort[]): Promise<ActivePort[]> {
    const opened: Open[] = [];
    const active: ActivePort[] = [];
    try {
      const list = fixed ? fixed.map((f) => ({ proto: f.proto, containerPort: f.containerPort, hostIp: f.hostIp, hostPorts: [f.hostPort, f.hostPort] as [number, number] })) : reqs;
      for (const r of list) {
        const hostIps = r.hostIp ? [r.hostIp] : ipv6Listenable() ? ['0.0.0.0', '::'] : ['0.0.0.0'];
        const { handles, port } = await this.#bindRange(r, hostIps, ip, ip6 || ip);
        opened.push(...handles);
        for (const hostIp of hostIps) active.push({ proto: r.proto, containerPort: r.containerPort, hostIp, hostPort: port });
      }
    } catch (err) {
      for (const o of opened) o.close();
      throw err;
    }
    this.#open.set(containerId, [...(this.#open.get(containerId) ?? []), ...opened]);
    const held = this.#bound.get(containerId) ?? new Set<string>();
    for (const a of active) held.add(`${a.proto}/${a.hostIp}/${a.hostPort}`);
    this.#bound.set(containerId, held);
    return active;
  }

  close(containerId: string): void {
    for (const o of this.#open.get(containerId) ?? []) o.close();
    this.#open.delete(containerId);
    this.#bound.delete(containerId);
  }

  closeAll(): void {
    for (const id of [...this.#open.keys()]) this.close(id);
  }

  /** The first port of the range free on every one of hostIps (a random one for 0). */
  async #bindRange(r: PortRequest, hostIps: string[], ip: string, ip6: string): Promise<{ handles: Open[]; port: number }> {
    const [lo, hi] = r.hostPorts;
    let lastErr: unknown;
    let failedOn = hostIps[0]!;
    // A random port (0) is the kernel's pick on the first address; retried when another address has it.
    const tries = lo === 0 ? 20 : hi - lo + 1;
    for (let i = 0; i < tries; i++) {
      const handles: Open[] = [];
      let port = lo === 0 ? 0 : lo + i;
      try {
        for (const hostIp of hostIps) {
          failedOn = hostIp;
          const to = net.isIPv6(hostIp) ? ip6 : ip;
          const h = r.proto === 'tcp' ? await tcpProxy(hostIp, port, to, r.containerPort)
            : r.proto === 'udp' ? await udpProxy(hostIp, port, to, r.containerPort) : sctpHold(hostIp, port);
          handles.push(h.handle);
          port = h.port;
        }
        return { handles, port };
      } catch (err) {
        for (const h of handles) h.close();
        lastErr = err;
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
      }
    }
    const code = (lastErr as NodeJS.ErrnoException).code;
    // docker-proxy's words (ishidawataru/sctp passes the errno on bare); dockerd answers 500,
    // berthd 503 (the kernel cannot, now), which keeps the start from prefixing its own context.
    if (code === 'EPROTONOSUPPORT') throw unavailable('Error starting userland proxy: protocol not supported');
    const hostPort = lo === hi ? String(lo) : `${lo}-${hi}`;
    // dockerd's words: its port allocator's for a port it holds, its userland proxy's for the rest.
    if (code === 'EADDRINUSE' && lo === hi && this.#holds(r.proto, failedOn, lo)) {
      throw conflict(`Bind for ${failedOn}:${hostPort} failed: port is already allocated`);
    }
    const addr = net.isIPv6(failedOn) ? `[${failedOn}]` : failedOn;
    const reason = code === 'EADDRINUSE' ? 'address already in use' : code === 'EADDRNOTAVAIL' ? 'cannot assign requested address' : (lastErr as Error).message;
    const err = code === 'EADDRNOTAVAIL' ? invalid : conflict;
    throw err(`Error starting userland proxy: listen ${r.proto}${net.isIPv6(failedOn) ? 6 : 4} ${addr}:${hostPort}: bind: ${reason}`);
  }

  #holds(proto: string, hostIp: string, port: number): boolean {
    return [...this.#bound.values()].some((s) => s.has(`${proto}/${hostIp}/${port}`));
  }
}

let v6: boolean | undefined;
/** dockerd's netutils.IsV6Listenable: the host has IPv6 (an address in /proc/net/if_inet6). */
function ipv6Listenable(): boolean {
  if (v6 === undefined) {
    try { v6 = readFileSync('/proc/net/if_inet6', 'utf8').trim() !== ''; } catch { v6 = false; }
  }
  return v6;
}

function tcpProxy(hostIp: string, hostPort: number, ip: string, port: number): Promise<{ handle: Open; port: number }> {
  const conns = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ host: ip, port, noDelay: true });
    conns.add(client).add(upstream);
    const done = () => { client.destroy(); upstream.destroy(); conns.delete(client); conns.delete(upstream); };
    client.pipe(upstream).on('error', done);
    upstream.pipe(client).on('error', done);
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // [::] must not take 0.0.0.0's port too: dockerd's proxies hold each family apart.
    server.listen({ host: hostIp, port: hostPort, exclusive: true, ipv6Only: net.isIPv6(hostIp) }, () => {
      server.off('error', reject);
      resolve({ port: (server.address() as net.AddressInfo).port, handle: { close: () => { server.close(); for (const c of conns) c.destroy(); } } });
    });
  });
}

function sctpHold(hostIp: string, hostPort: number): { handle: Open; port: number } {
  const { fd, port } = bindSctp(hostIp, net.isIPv6(hostIp) ? ipv6Bytes(hostIp) : ipv4Bytes(hostIp), hostPort);
  return { port, handle: { close: () => closeSctp(fd) } };
}

function udpProxy(hostIp: string, hostPort: number, ip: string, port: number): Promise<{ handle: Open; port: number }> {
  const sock = dgram.createSocket({ type: net.isIPv6(hostIp) ? 'udp6' : 'udp4', ipv6Only: net.isIPv6(hostIp) });
  const flows = new Map<string, { s: dgram.Socket; timer: NodeJS.Timeout }>();
  sock.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let f = flows.get(key);
    if (!f) {
      const s = dgram.createSocket(net.isIPv6(ip) ? 'udp6' : 'udp4');
      s.on('message', (reply) => sock.send(reply, rinfo.port, rinfo.address));
      s.on('error', () => {});
      f = { s, timer: setTimeout(() => {}, 0) };
      flows.set(key, f);
    }
    clearTimeout(f.timer);
    const flow = f;
    f.timer = setTimeout(() => { flow.s.close(); flows.delete(key); }, 90_000).unref();
    f.s.send(msg, port, ip);
  });
  sock.on('error', () => {});
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address: hostIp, port: hostPort, exclusive: true }, () => {
      sock.off('error', reject);
      resolve({
        port: sock.address().port,
        handle: { close: () => { sock.close(); for (const f of flows.values()) { clearTimeout(f.timer); f.s.close(); } flows.clear(); } },
      });
    });
  });
}
