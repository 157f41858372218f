// HTTP to a registry, with what a hostile or dead registry needs: a
// deadline for the connection and the response headers, an idle timeout on
// the body (a registry that stops sending mid-blob fails instead of
// hanging), keep-alive agents, and TLS verification switched off only for
// registries configured as insecure.

import type * as http from 'node:http';
import type * as https from 'node:https';
import { nodeHttp, nodeHttps } from '../../sys/node-http.ts';
import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { rawSocket, sendFileRange } from '../../sys/send-file-range.ts';
import { unavailable } from '../../core/errors.ts';

export interface Endpoint {
  /** "127.0.0.1:5000", "registry.example.com" */
  host: string;
  scheme: 'http' | 'https';
  /** Skip TLS verification (an insecure registry served over https). */
  insecureTls: boolean;
}

export interface Timeouts {
  /** Connect plus response headers. */
  headersMs: number;
  /** No byte for this long on a body, either way: the request fails. */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { headersMs: 30_000, idleMs: 60_000 };

// Made on first use: node:http and node:https load only when a registry is
// spoken to, not at every daemon start (sys/node-http.ts).
let agents: { http: http.Agent; https: https.Agent; insecure: https.Agent } | undefined;
function agentsNow(): NonNullable<typeof agents> {
  agents ??= {
    http: new (nodeHttp().Agent)({ keepAlive: true, maxSockets: 16 }),
    https: new (nodeHttps().Agent)({ keepAlive: true, maxSockets: 16 }),
    insecure: new (nodeHttps().Agent)({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false }),
  };
  return agents;
}

/** A body that is a range of a file: sent by sendfile(2) on plain TCP (never through JavaScript), streamed otherwise. */
export interface FileBody {
  path: string;
  start: number;
  length: number;
}

export interface SendOptions {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable | FileBody;
  timeouts?: Timeouts;
  /** Told how many bytes of a FileBody went out (once it has all gone, for sendfile). */
  onSent?: (n: number) => void;
}

const isFileBody = (b: SendOptions['body']): b is FileBody => typeof b === 'object' && !Buffer.isBuffer(b) && 'path' in b && !('pipe' in b);

/** Sends one request; resolves with the response once its headers are in. The body is the caller's to read or drop. */
export function send(ep: Endpoint, url: string, o: SendOptions): Promise<http.IncomingMessage> {
  const t = o.timeouts ?? DEFAULT_TIMEOUTS;
  const u = new URL(url);
  const a = agentsNow();
  const mod: typeof http = u.protocol === 'https:' ? nodeHttps() as unknown as typeof http : nodeHttp();
  const agent = u.protocol === 'https:' ? (ep.insecureTls ? a.insecure : a.https) : a.http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method: o.method, headers: o.headers, agent });
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(unavailable(`no response from ${ep.host} within ${t.headersMs / 1000}s (${o.method} ${u.pathname})`)), t.headersMs);
    req.on('error', (err) => fail(unavailable(`${o.method} ${url}: ${describe(err)}`)));
    req.on('response', (res) => {
      if (settled) { res.destroy(); return; }
      settled = true;
      clearTimeout(timer);
      // Idle body: destroy with an error the reader sees.
      res.setTimeout(t.idleMs, () => res.destroy(unavailable(`${ep.host} stopped sending (${o.method} ${u.pathname}: nothing for ${t.idleMs / 1000}s)`)));
      resolve(res);
    });
    if (o.body === undefined || typeof o.body === 'string' || Buffer.isBuffer(o.body)) {
      req.end(o.body);
    } else if (isFileBody(o.body)) {
      req.setTimeout(t.idleMs, () => fail(unavailable(`${ep.host} stopped reading (${o.method} ${u.pathname})`)));
      sendFile(req, o.body, o.onSent).catch((err: unknown) => fail(unavailable(`${o.method} ${url}: ${describe(err as Error)}`)));
    } else {
      req.setTimeout(t.idleMs, () => fail(unavailable(`${ep.host} stopped reading (${o.method} ${u.pathname})`)));
      o.body.on('error', (err) => fail(err));
      o.body.pipe(req);
    }
  });
}

/** The request's socket once connected. */
function connected(req: http.ClientRequest): Promise<Socket> {
  return new Promise((resolve) => {
    const ready = (s: Socket) => (s.connecting ? s.once('connect', () => resolve(s)) : resolve(s));
    if (req.socket) ready(req.socket);
    else req.once('socket', ready);
  });
}

/**
 * Writes the headers, then the file range: by sendfile on a plain TCP
 * socket, else streamed. The request's Content-Length must be the range's.
 */
async function sendFile(req: http.ClientRequest, body: FileBody, onSent?: (n: number) => void): Promise<void> {
  req.flushHeaders();
  const raw = rawSocket(await connected(req));
  if (!raw) {
    const src = fs.createReadStream(body.path, { start: body.start, end: body.start + body.length - 1, highWaterMark: 1 << 20 });
    let n = 0;
    src.on('data', (c) => onSent?.((n += c.length)));
    await pipeline(src, req);
    return;
  }
  const fh = await fs.promises.open(body.path, 'r');
  try {
    // Headers Node still holds go first; the body is written around Node, which then only ends the request.
    while ((req as unknown as { outputData?: unknown[] }).outputData?.length) await new Promise((r) => setImmediate(r));
    await sendFileRange(raw, fh.fd, body.start, body.length);
    onSent?.(body.length);
    req.end();
  } finally {
    await fh.close();
  }
}

function describe(err: Error & { code?: string }): string {
  if (err.code === 'ECONNREFUSED') return 'connect: connection refused';
  if (err.code === 'ECONNRESET') return 'connection reset by peer';
  if (err.code === 'EPROTO' || /wrong version number|SSL/i.test(err.message)) return `TLS handshake failed: ${err.message} (is it an http registry? add it to insecure-registries)`;
  return err.message;
}

export async function readAll(res: Readable, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      res.destroy();
      throw unavailable(`${what} exceeds ${max} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Drains and drops a response body (so the connection can be reused). */
export function drop(res: http.IncomingMessage): void {
  res.resume();
  res.on('error', () => {});
}
