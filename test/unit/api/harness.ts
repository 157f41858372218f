// Starts the API server on a temporary unix socket with fake services, and
// offers a small HTTP client and a raw-socket client for the hijack tests.
// Everything is torn down by t.after, also when a test fails.

import http from 'node:http';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { ApiLimits } from '../../../src/api/limits.ts';
import { createApiServer } from '../../../src/api/server.ts';
import { nullLogger, type Logger } from '../../../src/core/logger.ts';
import { FakeContainers, FakeEvents, FakeImages, FakeSystem } from './fakes.ts';
import { FakeExecs } from './fake-execs.ts';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json(): any;
}

export interface Api {
  socket: string;
  containers: FakeContainers;
  execs: FakeExecs;
  images: FakeImages;
  system: FakeSystem;
  events: FakeEvents;
  request(method: string, path: string, opts?: { body?: unknown; raw?: Buffer | string; headers?: Record<string, string> }): Promise<Reply>;
  /** A request whose response is handed over as soon as its headers arrive. */
  open(method: string, path: string, opts?: { raw?: Buffer | string; headers?: Record<string, string> }): Promise<{ res: http.IncomingMessage; req: http.ClientRequest }>;
  connect(): Promise<RawConn>;
}

export async function startApi(t: TestContext, opts: { limits?: Partial<ApiLimits>; logger?: Logger; detachKeys?: string; booting?: () => Promise<void> | null } = {}): Promise<Api> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-api-'));
  const socket = path.join(dir, 'api.sock');
  const containers = new FakeContainers();
  const images = new FakeImages();
  const system = new FakeSystem();
  const events = new FakeEvents();
  const execs = new FakeExecs();
  const server = createApiServer({ containers, execs, images, system, events, logger: opts.logger ?? nullLogger, ...(opts.limits ? { limits: opts.limits } : {}), detachKeys: opts.detachKeys, ...(opts.booting ? { booting: opts.booting } : {}) });
  const conns = new Set<net.Socket>();
  t.after(async () => {
    for (const c of conns) c.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });

  const open: Api['open'] = (method, p, opts = {}) => new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path: p, headers: opts.headers, agent: false });
    req.on('socket', (s) => { conns.add(s); });
    req.on('response', (res) => resolve({ res, req }));
    req.on('error', reject);
    req.end(opts.raw);
  });

  const request: Api['request'] = async (method, p, opts = {}) => {
    const headers = { ...(opts.headers ?? {}) };
    let raw = opts.raw;
    if (opts.body !== undefined) {
      raw = JSON.stringify(opts.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const { res } = await open(method, p, { raw, headers });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    return { status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) };
  };

  const connect = async () => {
    const s = net.connect(socket);
    conns.add(s);
    await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
    return new RawConn(s);
  };

  return { socket, containers, execs, images, system, events, request, open, connect };
}

/** A raw client connection that collects everything the server sends. */
export class RawConn {
  readonly socket: net.Socket;
  #buf = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | null = null;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => { this.#buf = Buffer.concat([this.#buf, d]); this.#wake?.(); });
    socket.on('end', () => { this.#ended = true; this.#wake?.(); });
    socket.on('close', () => { this.#ended = true; this.#wake?.(); });
    socket.on('error', () => {});
  }

  get ended(): boolean {
    return this.#ended;
  }

  async #until(ready: () => boolean, what: string, ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ready()) {
      if (this.#ended) throw new Error(`connection ended while waiting for ${what}; got ${JSON.stringify(this.#buf.toString('latin1'))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.#buf.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => { clearTimeout(timer); resolve(); };
      });
      this.#wake = null;
    }
  }

  /** Reads the status line and headers. */
  async readHead(): Promise<{ statusLine: string; headers: Record<string, string> }> {
    await this.#until(() => this.#buf.includes('\r\n\r\n'), 'response headers');
    const end = this.#buf.indexOf('\r\n\r\n');
    const lines = this.#buf.subarray(0, end).toString('latin1').split('\r\n');
    this.#buf = this.#buf.subarray(end + 4);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    return { statusLine: lines[0]!, headers };
  }

  async readBytes(n: number): Promise<Buffer> {
    await this.#until(() => this.#buf.length >= n, `${n} bytes`);
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** One multiplexed frame: [stream, 0, 0, 0, size BE]. */
  async readFrame(): Promise<{ stream: number; data: string }> {
    const head = await this.readBytes(8);
    assertFrameHeader(head);
    const data = await this.readBytes(head.readUInt32BE(4));
    return { stream: head[0]!, data: data.toString() };
  }

  /** Everything until the server closes the connection. */
  async readToEnd(): Promise<Buffer> {
    await this.#until(() => this.#ended, 'end of stream');
    const out = this.#buf;
    this.#buf = Buffer.alloc(0);
    return out;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }
}

function assertFrameHeader(h: Buffer): void {
  if (h[1] !== 0 || h[2] !== 0 || h[3] !== 0 || h[0]! > 3) throw new Error(`not a stream frame header: ${h.toString('hex')}`);
}

/** Splits a multiplexed body into its frames. */
export function parseFrames(body: Buffer): Array<{ stream: number; data: string }> {
  const out: Array<{ stream: number; data: string }> = [];
  let off = 0;
  while (off < body.length) {
    const h = body.subarray(off, off + 8);
    assertFrameHeader(h);
    const size = h.readUInt32BE(4);
    out.push({ stream: h[0]!, data: body.subarray(off + 8, off + 8 + size).toString() });
    off += 8 + size;
  }
  return out;
}

export const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
