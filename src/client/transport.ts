// HTTP/1.1 over the daemon's unix socket (or TCP), with a keep-alive agent so
// a command's several requests share one connection. Hijacked connections
// (attach) get a socket of their own: the daemon takes it over after 101.
// Requests whose answer is read whole (requestBuffered: ping, JSON calls) go
// through lite-http.ts where no TLS is involved; node:http is loaded only
// for the others.

import type http from 'node:http';
import { nodeHttp, nodeHttps } from '../sys/node-http.ts';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { HostAddress } from './host.ts';
import type { ClientTls } from './tls.ts';
import { ApiError, connectionError } from './errors.ts';
import { LiteHttp, type LiteResponse } from './lite-http.ts';

export type QueryValue = string | number | boolean | undefined | null | readonly string[];
export type Query = Record<string, QueryValue>;

/** Encodes like the docker client: true -> "1", false/undefined omitted, arrays repeated. */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === false) continue;
    if (value === true) params.append(key, '1');
    else if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export interface RequestOptions {
  method: string;
  path: string;
  query?: Query;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
  signal?: AbortSignal;
}

export interface Upgraded {
  socket: Socket;
  /** Bytes the daemon sent right after the 101 response. */
  head: Buffer;
  contentType: string;
}

/** A whole answer: status, headers (lower-case names, one string each) and body. */
export type BufferedResponse = LiteResponse;

export class Transport {
  readonly address: HostAddress;
  readonly userAgent: string;
  #agentCache: http.Agent | undefined;
  #tls: ClientTls | undefined;
  #lite: LiteHttp | undefined;

  /** `tls` applies to TCP hosts: HTTPS with the given CA and client certificate. */
  constructor(address: HostAddress, userAgent: string, tls?: ClientTls) {
    this.address = address;
    this.userAgent = userAgent;
    this.#tls = address.socketPath ? undefined : tls;
    if (!this.#tls) {
      this.#lite = new LiteHttp(address.socketPath ? { socketPath: address.socketPath } : { host: address.hostname ?? 'localhost', port: address.port ?? 2375 });
    }
  }

  get #http(): typeof import('node:http') {
    return this.#tls ? nodeHttps() as unknown as typeof import('node:http') : nodeHttp();
  }

  get #agent(): http.Agent {
    this.#agentCache ??= this.#tls
      ? new (nodeHttps().Agent)({ keepAlive: true, maxSockets: 8, ...this.#tlsOptions() })
      : new (nodeHttp().Agent)({ keepAlive: true, maxSockets: 8 });
    return this.#agentCache;
  }

  /** The whole answer to a request whose body, if any, is a string or a buffer. */
  async requestBuffered(opts: RequestOptions): Promise<BufferedResponse> {
    if (this.#lite && !isStream(opts.body)) {
      try {
        return await this.#lite.request({
          method: opts.method,
          path: opts.path + encodeQuery(opts.query),
          headers: { 'User-Agent': this.userAgent, ...opts.headers },
          body: opts.body,
          signal: opts.signal,
        });
      } catch (err) {
        throw this.#mapError(err as Error);
      }
    }
    const res = await this.request(opts);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return { statusCode: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers, body: await readBody(res) };
  }

  #tlsOptions(): Record<string, unknown> {
    const t = this.#tls!;
    return { ca: t.ca, cert: t.cert, key: t.key, rejectUnauthorized: t.verify };
  }

  /** Resolves when the response headers arrive; the body is left unread. */
  request(opts: RequestOptions): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.#http.request(this.#requestOptions(opts, this.#agent), resolve);
      req.on('error', (err) => reject(this.#mapError(err)));
      this.#sendBody(req, opts.body, reject);
    });
  }

  /**
   * POSTs with `Connection: Upgrade` and `Upgrade: tcp` and hands back the raw
   * socket once the daemon answers 101. Any other status is an ApiError.
   */
  upgrade(opts: RequestOptions): Promise<Upgraded> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...opts.headers, Connection: 'Upgrade', Upgrade: 'tcp' };
      // A body (exec start's JSON) goes with a length: the daemon reads it before taking the socket over.
      const body = typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : undefined;
      if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
      const req = this.#http.request(this.#requestOptions({ ...opts, headers }, false));
      req.on('upgrade', (res, socket, head) => {
        // Hold the output until someone reads it: the caller has more
        // requests to make (wait, start) before it starts copying.
        socket.pause();
        resolve({ socket: socket as Socket, head, contentType: String(res.headers['content-type'] ?? '') });
      });
      req.on('response', (res) => {
        readError(res, opts.path).then(reject, reject);
      });
      req.on('error', (err) => reject(this.#mapError(err)));
      req.end(body);
    });
  }

  close(): void {
    this.#agentCache?.destroy();
    this.#lite?.close();
  }

  #requestOptions(opts: RequestOptions, agent: http.Agent | false): http.RequestOptions {
    const headers: Record<string, string> = { 'User-Agent': this.userAgent, ...opts.headers };
    const base: http.RequestOptions = {
      method: opts.method,
      path: opts.path + encodeQuery(opts.query),
      headers,
      agent,
      signal: opts.signal,
    };
    if (this.address.socketPath) return { ...base, socketPath: this.address.socketPath };
    const tcp = { ...base, host: this.address.hostname, port: this.address.port };
    // A hijacked request has no agent to carry the TLS settings.
    return this.#tls && agent === false ? { ...tcp, ...this.#tlsOptions() } : tcp;
  }

  #sendBody(req: http.ClientRequest, body: RequestOptions['body'], reject: (e: unknown) => void): void {
    if (isStream(body)) {
      body.on('error', (err) => { req.destroy(err); reject(err); });
      body.pipe(req);
    } else {
      req.end(body);
    }
  }

  #mapError(err: Error): Error {
    if (err.name === 'AbortError') return err;
    return connectionError(this.address.url, this.address.socketPath, err as NodeJS.ErrnoException);
  }
}

/** A body to stream: neither a string nor a buffer (no instanceof, so that node:stream is not loaded to ask). */
function isStream(body: RequestOptions['body']): body is Readable {
  return body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);
}

export async function readBody(res: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error(`response body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Builds the error for a response with status >= 400, as the docker client words it. */
export async function readError(res: IncomingMessage, path = ''): Promise<ApiError> {
  let body: Buffer | undefined;
  try {
    body = await readBody(res, 1024 * 1024);
  } catch {
    body = undefined;
  }
  const type = String(res.headers['content-type'] ?? '');
  return errorFromResponse({ statusCode: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: { 'content-type': type }, body }, path);
}

/** readError for an answer read whole; `body` undefined: it could not be read. */
export function errorFromResponse(res: Omit<BufferedResponse, 'body'> & { body: Buffer | undefined }, path = ''): ApiError {
  const status = res.statusCode;
  const statusText = `${status} ${res.statusMessage || nodeHttp().STATUS_CODES[status] || ''}`.trim();
  const body = res.body;
  if (body === undefined || body.length > 1024 * 1024) {
    return new ApiError(status, `request returned ${statusText} with a message (> 1048576 bytes); check if the server supports the requested API version`, true);
  }
  if (body.length === 0) {
    return new ApiError(status, `request returned ${statusText} for API route and version ${path}, check if the server supports the requested API version`, true);
  }
  const type = res.headers['content-type'] ?? '';
  if (type.startsWith('application/json')) {
    let message: string;
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { message?: unknown };
      message = typeof parsed.message === 'string' ? parsed.message.trim() : '';
    } catch (err) {
      return new ApiError(status, `Error reading JSON: ${(err as Error).message}`, true);
    }
    if (!message) message = `API returned a ${status} (${nodeHttp().STATUS_CODES[status] ?? ''}) but provided no error-message`;
    return new ApiError(status, message);
  }
  return new ApiError(status, body.toString('utf8').trim());
}
