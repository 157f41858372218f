// Where berthd listens (-H, daemon.json "hosts") and with what TLS
// (--tlsverify, --tlscacert, --tlscert, --tlskey, as dockerd names them).
// A unix socket is guarded by its mode and group; a TCP socket has no such
// guard, so berthd serves TCP only with mutual TLS: every client presents a
// certificate signed by the configured CA. Plain or server-only TLS over TCP
// (dockerd's -H tcp:// without --tlsverify) is refused at start.

import { invalid } from '../core/errors.ts';

export interface TcpAddress { host: string; port: number }

export interface TlsFiles { ca: string; cert: string; key: string }

export interface ListenConfig {
  /** The unix socket path, or '' when only TCP was asked for. */
  host: string;
  tcpHosts: TcpAddress[];
  /** Set when tcpHosts is not empty: the files of the mutual TLS every TCP listener uses. */
  tls: TlsFiles | null;
}

export interface RawListen {
  hosts: string[];
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

export const DEFAULT_SOCKET = 'unix:///run/berth/berth.sock';
const TLS_PORT = 2376;

export function parseListenAddress(raw: string): { unix: string } | { tcp: TcpAddress } {
  const h = raw.trim();
  if (h.startsWith('/')) return { unix: h };
  if (h.startsWith('unix://')) {
    const path = h.slice('unix://'.length);
    if (!path.startsWith('/')) throw invalid(`invalid host ${JSON.stringify(raw)}: a unix socket needs an absolute path (unix:///path)`);
    return { unix: path };
  }
  if (h.startsWith('tcp://')) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:/[\]]*)(?::(\d*))?\/?$/.exec(h.slice('tcp://'.length));
    const port = m?.[2] ? Number(m[2]) : TLS_PORT;
    if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw invalid(`invalid host ${JSON.stringify(raw)}: want tcp://[host]:port with a port from 1 to 65535`);
    }
    return { tcp: { host: m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1', port } };
  }
  const proto = /^([a-z0-9+.-]+):\/\//i.exec(h)?.[1];
  if (proto) throw invalid(`invalid host ${JSON.stringify(raw)}: protocol ${proto} is not supported (unix:// or tcp:// with --tlsverify)`);
  throw invalid(`invalid host ${JSON.stringify(raw)}: want unix:///path or tcp://host:port`);
}

export function listenConfig(raw: RawListen): ListenConfig {
  const hosts = raw.hosts.length ? raw.hosts : [DEFAULT_SOCKET];
  const unix: string[] = [];
  const tcpHosts: TcpAddress[] = [];
  for (const h of hosts) {
    const a = parseListenAddress(h);
    if ('unix' in a) unix.push(a.unix); else tcpHosts.push(a.tcp);
  }
  if (unix.length > 1) throw invalid(`berthd listens on one unix socket; got ${unix.length}: ${unix.join(', ')}`);
  const files = { ca: raw.tlscacert, cert: raw.tlscert, key: raw.tlskey };
  const anyTls = raw.tls || raw.tlsverify || Object.values(files).some(Boolean);
  if (tcpHosts.length === 0) {
    if (anyTls && raw.tlsverify) requireFiles(files);
    return { host: unix[0] ?? '', tcpHosts, tls: null };
  }
  const where = tcpHosts.map((t) => `tcp://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`).join(', ');
  if (!raw.tlsverify) {
    throw invalid(`refusing to listen on ${where} without mutual TLS: give --tlsverify with --tlscacert, --tlscert and --tlskey (a TCP socket is open to anyone who can reach it)`);
  }
  return { host: unix[0] ?? '', tcpHosts, tls: requireFiles(files) };
}

function requireFiles(f: { ca?: string; cert?: string; key?: string }): TlsFiles {
  const missing = (['ca', 'cert', 'key'] as const).filter((k) => !f[k]).map((k) => `--tls${k === 'ca' ? 'cacert' : k}`);
  if (missing.length) throw invalid(`--tlsverify needs ${missing.join(', ')}`);
  return f as TlsFiles;
}
