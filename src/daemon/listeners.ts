// The API server's sockets: the unix socket (mode 0660, owned by the `berth`
// group so its members need no root) and TCP sockets speaking mutual TLS.
// Each listener hands its connections to the one HTTP server, so every route,
// limit and hijack behaves the same whichever way a client came in.

import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type tls from 'node:tls';
import type { Server } from 'node:http';
import type { Logger } from '../core/logger.ts';
import { invalid } from '../core/errors.ts';
import type { TcpAddress, TlsFiles } from './listen-config.ts';

export type Close = () => Promise<void>;

/** How long a TCP client has to finish its TLS handshake. */
const HANDSHAKE_MS = 10_000;

export function groupId(name: string): number | null {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [g, , gid] = line.split(':');
      if (g === name && gid) return Number(gid);
    }
  } catch { /* no group file */ }
  return null;
}

/** Listens on `path` with mode 0660 and group `group` (root's group, with a warning, when it does not exist). */
export async function listenUnix(server: Server, path: string, group: string, log: Logger): Promise<Close> {
  mkdirSync(path.slice(0, path.lastIndexOf('/')) || '/', { recursive: true });
  // The data-root lock is held, so a socket file here is a stale one.
  if (existsSync(path)) unlinkSync(path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => { server.off('error', reject); resolve(); });
  });
  chmodSync(path, 0o660);
  const gid = groupId(group);
  if (gid !== null) chownSync(path, 0, gid);
  else log.warn('socket group not found: only root can use the API socket', { group, socket: path });
  log.info('API listening', { socket: path, group: gid === null ? null : group, mode: '0660' });
  return async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    rmSync(path, { force: true });
  };
}

export interface TlsMaterial { ca: Buffer; cert: Buffer; key: Buffer }

/** Reads and checks the certificate, key and CA (a bad file fails the daemon's start, naming it). */
export function loadTls(files: TlsFiles): TlsMaterial {
  const read = (what: string, p: string) => {
    try {
      return readFileSync(p);
    } catch (err) {
      throw invalid(`could not read TLS ${what} ${p}: ${(err as Error).message}`);
    }
  };
  const m = { ca: read('CA certificate', files.ca), cert: read('certificate', files.cert), key: read('key', files.key) };
  try {
    process.getBuiltinModule('node:tls').createSecureContext(m);
  } catch (err) {
    throw invalid(`could not load the TLS certificate, key or CA (${files.cert}, ${files.key}, ${files.ca}): ${(err as Error).message}`);
  }
  return m;
}

/**
 * Listens on a TCP address for TLS connections that present a client
 * certificate signed by the CA; the handshake drops any other. A client that
 * speaks plain HTTP gets the answer Go's TLS listener gives it (dockerd's).
 */
export async function listenTls(server: Server, addr: TcpAddress, material: TlsMaterial, log: Logger): Promise<Close> {
  const sockets = new Set<tls.TLSSocket>();
  // node:tls loads only for a TCP listener (most daemons have none).
  const listener = process.getBuiltinModule('node:tls').createServer({
    ...material, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', handshakeTimeout: HANDSHAKE_MS,
    // A client's close_notify is a half-close (docker's CloseWrite on an
    // attach without stdin): the output must still reach it, as over the unix socket.
    allowHalfOpen: true,
  }, (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    server.emit('connection', sock);
  });
  listener.on('tlsClientError', (err: NodeJS.ErrnoException, sock: tls.TLSSocket) => {
    log.debug('TLS client refused', { remote: sock.remoteAddress, err: err.code ?? err.message });
    // The TCP socket under the failed TLS one (node keeps it as _parent).
    const raw = (sock as unknown as { _parent?: net.Socket })._parent;
    if (err.code === 'ERR_SSL_HTTP_REQUEST' && raw && raw.writable) {
      raw.end('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
    } else {
      raw?.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', (err: NodeJS.ErrnoException) => reject(invalid(`cannot listen on tcp://${addr.host}:${addr.port}: ${err.message}`)));
    listener.listen(addr.port, addr.host, () => resolve());
  });
  log.info('API listening', { tcp: `${addr.host}:${addr.port}`, tls: 'mutual' });
  return async () => {
    await new Promise<void>((resolve) => {
      listener.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  };
}
