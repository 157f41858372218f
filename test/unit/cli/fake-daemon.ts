// A tiny stand-in for berthd on a temporary unix socket: canned JSON per
// route, a record of every request, version negotiation headers, and
// hijacked attach. Enough to run CLI commands in-process (and the real
// docker CLI, to compare outputs) without a daemon.

import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;           // without the /vX.Y prefix
  version: string;        // "1.47", or "" when unversioned
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Reply {
  status?: number;
  json?: unknown;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => Reply | void | Promise<Reply | void>;

export type UpgradeHandler = (req: RecordedRequest, socket: Duplex) => void;

export class FakeDaemon {
  readonly dir: string;
  readonly socketPath: string;
  readonly requests: RecordedRequest[] = [];
  apiVersion = '1.47';
  /** Requests refused for a version above apiVersion (see #tooNew). */
  rejected = 0;
  /** Called for every request (debugging, request-order assertions). */
  onRequest?: (req: RecordedRequest) => void;
  #routes: { method: string; pattern: RegExp; handler: Handler }[] = [];
  #upgrades: { pattern: RegExp; handler: UpgradeHandler }[] = [];
  #server: http.Server;
  #sockets = new Set<Duplex>();

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'berth-cli-test-'));
    this.socketPath = join(this.dir, 'd.sock');
    this.#server = http.createServer((req, res) => { void this.#handle(req, res); });
    this.#server.on('connection', (s) => { this.#sockets.add(s); s.on('close', () => this.#sockets.delete(s)); });
    this.#server.on('upgrade', (req, socket) => { void this.#upgrade(req, socket); });
  }

  get host(): string {
    return `unix://${this.socketPath}`;
  }

  /** `pattern` matches the unversioned path, e.g. /^\/containers\/json$/. */
  on(method: string, pattern: RegExp, handler: Handler): this {
    this.#routes.push({ method, pattern, handler });
    return this;
  }

  onUpgrade(pattern: RegExp, handler: UpgradeHandler): this {
    this.#upgrades.push({ pattern, handler });
    return this;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(this.socketPath, resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Requests other than the version ping. */
  calls(): string[] {
    return this.requests.filter((r) => r.path !== '/_ping').map((r) => `${r.method} ${r.path}${r.query.size ? `?${r.query}` : ''}`);
  }

  async #record(req: IncomingMessage, readBody = true): Promise<RecordedRequest> {
    const chunks: Buffer[] = [];
    if (readBody) for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const url = new URL(req.url ?? '/', 'http://d');
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(m ? m[2] : url.pathname),
      version: m ? m[1] : '',
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    this.requests.push(rec);
    this.onRequest?.(rec);
    return rec;
  }

  /**
   * dockerd's answer to a path versioned above its own API version: 400, its
   * version in Api-Version. Such a request is not recorded: like the ping,
   * it is negotiation, not a call.
   */
  #tooNew(req: IncomingMessage, res: ServerResponse): boolean {
    const v = /^\/v(\d+)\.(\d+)\//.exec(req.url ?? '');
    const own = /^(\d+)\.(\d+)$/.exec(this.apiVersion);
    if (!v || !own || Number(v[1]) * 1000 + Number(v[2]) <= Number(own[1]) * 1000 + Number(own[2])) return false;
    req.resume();
    res.statusCode = 400;
    res.setHeader('Api-Version', this.apiVersion);
    res.setHeader('Content-Type', 'application/json');
    res.end(`${JSON.stringify({ message: `client version ${v[1]}.${v[2]} is too new. Maximum supported API version is ${this.apiVersion}` })}\n`);
    this.rejected++;
    return true;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#tooNew(req, res)) return;
    const rec = await this.#record(req);
    res.setHeader('Api-Version', this.apiVersion);
    res.setHeader('Ostype', 'linux');
    if (rec.path === '/_ping') {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(rec.method === 'HEAD' ? undefined : 'OK');
      return;
    }
    const route = this.#routes.find((r) => r.method === rec.method && r.pattern.test(rec.path));
    if (!route) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ message: `page not found: ${rec.method} ${rec.path}` }));
      return;
    }
    try {
      const reply = await route.handler(rec, res);
      if (!reply || res.writableEnded) return;
      res.statusCode = reply.status ?? 200;
      for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
      if (reply.json !== undefined) {
        res.setHeader('Content-Type', 'application/json');
        res.end(`${JSON.stringify(reply.json)}\n`);
      } else {
        res.end(reply.body ?? '');
      }
    } catch (err) {
      res.statusCode = 500;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ message: String(err) }));
    }
  }

  async #upgrade(req: IncomingMessage, socket: Duplex): Promise<void> {
    const rec = await this.#record(req, false);
    const route = this.#upgrades.find((r) => r.pattern.test(rec.path));
    if (!route) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{"message":"not found"}\n');
      return;
    }
    route.handler(rec, socket);
  }
}

/** Error reply with docker's body shape. */
export function apiError(status: number, message: string): Reply {
  return { status, json: { message } };
}
