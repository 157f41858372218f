// Published ports: berthd itself listens on the host port (which also
// reserves it: a taken port is a clear error at start) and relays to the
// container. iptables DNAT serves the host's other addresses and other
// containers; this proxy serves loopback, which DNAT cannot reach.

import net from 'node:net';
import dgram from 'node:dgram';
import { conflict, invalid } from '../core/errors.ts';
import type { PortMap } from '../core/network.ts';
import type { ActivePort } from './store.ts';

export interface PortRequest { proto: 'tcp' | 'udp'; containerPort: number; hostIp: string; hostPorts: [number, number] }

/** PortBindings (+ -P's exposed ports) as a list of what to bind; every bad value is named. */
export function portRequests(bindings: PortMap | undefined, publishAll: boolean, exposed: Record<string, object> | undefined): PortRequest[] {
  const out: PortRequest[] = [];
  const add = (key: string, hostIp: string, hostPort: string) => {
    const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
    if (!m) throw invalid(`invalid port specification: "${key}"`);
    const containerPort = Number(m[1]);
    if (containerPort < 1 || containerPort > 65535) throw invalid(`invalid port specification: "${key}"`);
    if (m[2] === 'sctp') throw invalid(`sctp ports are not supported by this berthd: ${key}`);
    let range: [number, number] = [0, 0];
    if (hostPort) {
      const r = /^(\d+)(?:-(\d+))?$/.exec(hostPort);
      if (!r) throw invalid(`invalid hostPort: ${hostPort}`);
      range = [Number(r[1]), Number(r[2] ?? r[1])];
      if (range[0] < 1 || range[1] > 65535 || range[0] > range[1]) throw invalid(`invalid hostPort: ${hostPort}`);
    }
    if (hostIp && net.isIPv6(hostIp)) return; // no IPv6 on berth's networks: like dockerd without ip6tables, skip [::] bindings
    if (hostIp && !net.isIPv4(hostIp)) throw invalid(`invalid host IP address: ${hostIp}`);
    out.push({ proto: (m[2] ?? 'tcp') as 'tcp' | 'udp', containerPort, hostIp: hostIp || '0.0.0.0', hostPorts: range });
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

  /** Binds every requested port for a container whose address is ip; all or nothing. */
  async open(containerId: string, ip: string, reqs: PortRequest[], fixed?: ActivePort[]): Promise<ActivePort[]> {
    const opened: Open[] = [];
    const active: ActivePort[] = [];
    try {
      const list = fixed ? fixed.map((f) => ({ proto: f.proto, containerPort: f.containerPort, hostIp: f.hostIp, hostPorts: [f.hostPort, f.hostPort] as [number, number] })) : reqs;
      for (const r of list) {
        const { handle, port } = await this.#bindRange(r, ip);
        opened.push(handle);
        active.push({ proto: r.proto, containerPort: r.containerPort, hostIp: r.hostIp, hostPort: port });
      }
    } catch (err) {
      for (const o of opened) o.close();
      throw err;
    }
    this.#open.set(containerId, [...(this.#open.get(containerId) ?? []), ...opened]);
    return active;
  }

  close(containerId: string): void {
    for (const o of this.#open.get(containerId) ?? []) o.close();
    this.#open.delete(containerId);
  }

  closeAll(): void {
    for (const id of [...this.#open.keys()]) this.close(id);
  }

  async #bindRange(r: PortRequest, ip: string): Promise<{ handle: Open; port: number }> {
    const [lo, hi] = r.hostPorts;
    let lastErr: unknown;
    for (let p = lo; p <= hi; p++) {
      try {
        return r.proto === 'tcp' ? await tcpProxy(r.hostIp, p, ip, r.containerPort) : await udpProxy(r.hostIp, p, ip, r.containerPort);
      } catch (err) {
        lastErr = err;
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
      }
    }
    const code = (lastErr as NodeJS.ErrnoException).code;
    const what = `${r.hostIp}:${lo === hi ? lo : `${lo}-${hi}`}`;
    if (code === 'EADDRINUSE') throw conflict(`Bind for ${what} failed: port is already allocated`);
    if (code === 'EADDRNOTAVAIL') throw invalid(`Bind for ${what} failed: cannot assign requested address`);
    throw conflict(`Bind for ${what} failed: ${(lastErr as Error).message}`);
  }
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
    server.listen({ host: hostIp, port: hostPort, exclusive: true }, () => {
      server.off('error', reject);
      resolve({ port: (server.address() as net.AddressInfo).port, handle: { close: () => { server.close(); for (const c of conns) c.destroy(); } } });
    });
  });
}

function udpProxy(hostIp: string, hostPort: number, ip: string, port: number): Promise<{ handle: Open; port: number }> {
  const sock = dgram.createSocket({ type: 'udp4' });
  const flows = new Map<string, { s: dgram.Socket; timer: NodeJS.Timeout }>();
  sock.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let f = flows.get(key);
    if (!f) {
      const s = dgram.createSocket('udp4');
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
