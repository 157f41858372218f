// A small HTTP/1.1 client for the requests whose whole answer is read at
// once: /_ping and the JSON calls (`berth version`, `ps`, `images`, inspect...).
// node:http costs a short-lived CLI ~35 ms of CPU (loading the _http_*
// modules, then compiling their lazily compiled functions on the first
// request): more than the rest of `berth ps` together. A raw net socket
// answering the same two requests costs ~5 ms (docs/benchmarks.md, CLI start).
// Streams, uploads, hijacked connections and TLS stay on node:http.
//
// What it speaks: one request at a time per connection, keep-alive with idle
// connections reused (and unref'd, as node:http's agent does, so they never
// hold the process), Content-Length, chunked and close-delimited bodies, no
// body for HEAD, 1xx, 204 and 304. A GET or HEAD that finds a reused
// connection closed by the server before any answer is retried once on a new
// one. Errors are node:http's: the socket's own (ENOENT, ECONNREFUSED...),
// `socket hang up` (ECONNRESET), AbortError for an aborted signal.
//
// On a unix socket it connects on libuv's pipe handle (pipe-socket.ts), so a
// command that only asks the daemon loads neither node:net nor node:stream;
// TCP, and a Node without that handle, use node:net, loaded then.

import { type Connection, PipeSocket } from './pipe-socket.ts';

export interface LiteRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
}

export interface LiteResponse {
  statusCode: number;
  statusMessage: string;
  /** Names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export type LiteTarget = { socketPath: string } | { host: string; port: number };

const MAX_HEAD = 80 * 1024;

interface Framing { kind: 'none' | 'length' | 'chunked' | 'close'; length: number }

class RetryableError extends Error {}

function hangUp(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason });
}

function parseHead(text: string, method: string): { res: Omit<LiteResponse, 'body'>; framing: Framing; keepAlive: boolean } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!m) throw new Error(`malformed HTTP response: ${JSON.stringify(lines[0].slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`malformed HTTP header: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const statusCode = Number(m[2]);
  const connection = (headers.connection ?? '').toLowerCase();
  let keepAlive = m[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
  let framing: Framing;
  if (method === 'HEAD' || statusCode < 200 || statusCode === 204 || statusCode === 304) {
    framing = { kind: 'none', length: 0 };
  } else if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
    framing = { kind: 'chunked', length: 0 };
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (!Number.isSafeInteger(length) || length < 0) throw new Error(`malformed Content-Length: ${headers['content-length']}`);
    framing = { kind: 'length', length };
  } else {
    framing = { kind: 'close', length: 0 };
    keepAlive = false;
  }
  return { res: { statusCode, statusMessage: m[3] ?? '', headers }, framing, keepAlive };
}

/**
 * Decodes as much of a chunked body as `buf` holds from `pos`: the chunks'
 * data goes to `out`; returns the new position and whether the last chunk
 * (and its trailers) has been read.
 */
function readChunks(buf: Buffer, pos: number, out: Buffer[]): { pos: number; done: boolean } {
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return { pos, done: false };
    const size = parseInt(buf.toString('latin1', pos, eol).split(';')[0].trim(), 16);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error('malformed chunked encoding');
    if (size === 0) {
      // Trailers (usually none) end with an empty line; with none, the search finds this line's CRLF and the empty one.
      const end = buf.indexOf('\r\n\r\n', eol);
      return end < 0 ? { pos, done: false } : { pos: end + 4, done: true };
    }
    if (buf.length < eol + 2 + size + 2) return { pos, done: false };
    out.push(buf.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

export class LiteHttp {
  readonly #target: LiteTarget;
  readonly #hostHeader: string;
  readonly #limit: number;
  #idle: Connection[] = [];

  constructor(target: LiteTarget, limit = 64 * 1024 * 1024) {
    this.#target = target;
    this.#hostHeader = 'socketPath' in target ? 'localhost'
      : `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    this.#limit = limit;
  }

  async request(req: LiteRequest): Promise<LiteResponse> {
    if (req.signal?.aborted) throw abortError(req.signal);
    const reused = this.#idle.pop();
    if (!reused) return this.#exchange(this.#connect(), req, false);
    reused.ref();
    try {
      return await this.#exchange(reused, req, true);
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      if (req.method !== 'GET' && req.method !== 'HEAD') throw err.cause;
      return this.#exchange(this.#connect(), req, false);
    }
  }

  /** Closes the idle connections. */
  close(): void {
    for (const s of this.#idle) s.destroy();
    this.#idle = [];
  }

  #connect(): Connection {
    const t = this.#target;
    const sock: Connection = 'socketPath' in t
      ? PipeSocket.connect(t.socketPath) ?? process.getBuiltinModule('node:net').connect({ path: t.socketPath })
      : process.getBuiltinModule('node:net').connect({ host: t.host, port: t.port, noDelay: true });
    // An idle connection the server resets must not be an unhandled 'error';
    // one it closes leaves the idle list.
    sock.on('error', () => {});
    sock.once('close', () => { this.#idle = this.#idle.filter((s) => s !== sock); });
    return sock;
  }

  #park(sock: Connection): void {
    sock.unref();
    this.#idle.push(sock);
  }

  #serialize(req: LiteRequest): Buffer {
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    let head = `${req.method} ${req.path} HTTP/1.1\r\nHost: ${this.#hostHeader}\r\n`;
    for (const [name, value] of Object.entries(req.headers)) head += `${name}: ${value}\r\n`;
    if (body !== undefined) head += `Content-Length: ${body.length}\r\n`;
    else if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') head += 'Content-Length: 0\r\n';
    head += '\r\n';
    return body === undefined ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]);
  }

  #exchange(sock: Connection, req: LiteRequest, reused: boolean): Promise<LiteResponse> {
    return new Promise((resolve, reject) => {
      let buf: Buffer = Buffer.alloc(0);
      let received = false;
      let parsed: ReturnType<typeof parseHead> | undefined;
      let bodyStart = 0;
      let chunkPos = 0;
      const chunks: Buffer[] = [];
      let settled = false;

      const cleanup = () => {
        settled = true;
        sock.off('data', onData);
        sock.off('end', onEnd);
        sock.off('close', onEnd);
        sock.off('error', onError);
        req.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: Error) => {
        if (settled) return;
        cleanup();
        sock.destroy();
        reject(reused && !received ? new RetryableError('reused connection closed', { cause: err }) : err);
      };
      const finish = (body: Buffer, keepAlive: boolean) => {
        if (settled) return;
        cleanup();
        if (keepAlive && buf.length === 0) this.#park(sock);
        else sock.destroy();
        resolve({ ...parsed!.res, body });
      };
      const step = () => {
        if (!parsed) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) {
            if (buf.length > MAX_HEAD) throw new Error('HTTP response header too large');
            return;
          }
          parsed = parseHead(buf.toString('latin1', 0, end), req.method);
          bodyStart = end + 4;
          if (parsed.res.statusCode < 200) {
            // 100 Continue and the like: the real answer follows.
            buf = buf.subarray(bodyStart);
            parsed = undefined;
            step();
            return;
          }
          chunkPos = bodyStart;
        }
        const { framing, keepAlive } = parsed;
        if (buf.length - bodyStart > this.#limit) throw new Error(`response body exceeds ${this.#limit} bytes`);
        if (framing.kind === 'none') {
          buf = buf.subarray(bodyStart);
          finish(Buffer.alloc(0), keepAlive);
        } else if (framing.kind === 'length' && buf.length - bodyStart >= framing.length) {
          const body = Buffer.from(buf.subarray(bodyStart, bodyStart + framing.length));
          buf = buf.subarray(bodyStart + framing.length);
          finish(body, keepAlive);
        } else if (framing.kind === 'chunked') {
          const r = readChunks(buf, chunkPos, chunks);
          chunkPos = r.pos;
          if (r.done) {
            buf = buf.subarray(chunkPos);
            finish(Buffer.concat(chunks), keepAlive);
          }
        }
      };
      const onData = (data: Buffer) => {
        received = true;
        buf = buf.length === 0 ? data : Buffer.concat([buf, data]);
        try {
          step();
        } catch (err) {
          fail(err as Error);
        }
      };
      const onEnd = () => {
        if (parsed?.framing.kind === 'close') finish(Buffer.from(buf.subarray(bodyStart)), false);
        else fail(hangUp());
      };
      const onError = (err: Error) => fail(err);
      const onAbort = () => {
        if (settled) return;
        cleanup();
        sock.destroy();
        reject(abortError(req.signal!));
      };

      sock.on('data', onData);
      sock.on('end', onEnd);
      sock.on('close', onEnd);
      sock.on('error', onError);
      req.signal?.addEventListener('abort', onAbort, { once: true });
      sock.write(this.#serialize(req));
    });
  }
}
