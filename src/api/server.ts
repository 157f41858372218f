// The Docker Engine API server. berthd listen()s it on a unix socket.
//
// One request: strip the /v{version} prefix, find the route (none: 404
// "page not found", like dockerd), negotiate the version, call the handler
// with a Ctx; whatever it throws becomes an HTTP error through errors.ts.
// Attach asks to take the connection over (`Upgrade: tcp`): Node hands
// such requests to the 'upgrade' event with the raw socket, and only for
// routes that hijack; everything else stays an ordinary request.

import type http from 'node:http';
import { nodeHttp } from '../sys/node-http.ts';
import type { Duplex } from 'node:stream';
import { API_VERSION } from '../core/system.ts';
import type { ApiDeps, Ctx, HijackCtx } from './context.ts';
import { errorBody, httpError, PAGE_NOT_FOUND, type HttpError } from './errors.ts';
import { DEFAULT_LIMITS, setRequestLimits, type ApiLimits } from './limits.ts';
import { Router, type Match } from './router.ts';
import { routes } from './routes.ts';
import { negotiate, splitVersion } from './version.ts';

export type { ApiDeps } from './context.ts';

interface Resolved {
  match: Match;
  query: URLSearchParams;
  requested: string | undefined;
}

function resolve(router: Router, req: http.IncomingMessage): Resolved | null {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://docker');
  } catch {
    return null;
  }
  const { version, path } = splitVersion(url.pathname);
  const match = router.match(req.method ?? 'GET', path);
  return match ? { match, query: url.searchParams, requested: version } : null;
}

/**
 * Whether a failure is the client's leaving rather than the server's fault:
 * its connection closed before the answer (the signal), or Node's
 * "aborted" for a request body cut short, or a reset/broken pipe.
 */
function clientGone(err: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return (code === 'ECONNRESET' && (err as Error).message === 'aborted') || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

class ApiServer extends nodeHttp().Server {
  readonly #deps: ApiDeps;
  readonly #router: Router;
  readonly #common: Record<string, string>;
  readonly #hijacked = new Set<Duplex>();
  readonly #limits: ApiLimits;

  constructor(deps: ApiDeps, router: Router) {
    const limits = { ...DEFAULT_LIMITS, ...deps.limits };
    super({
      // Node's requestTimeout would also cut an import's body and a plain attach's
      // stdin; #bodyDeadline applies berth's own, to the body only (limits.ts).
      requestTimeout: 0,
      headersTimeout: limits.headersTimeoutMs,
      maxHeaderSize: limits.maxHeaderSize,
      // How often Node looks for connections past headersTimeout.
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4) || 30_000)),
      shouldUpgradeCallback: (req) => {
        const r = req.headers.upgrade ? resolve(router, req) : null;
        return r !== null && 'hijack' in r.match.route;
      },
    });
    this.#deps = deps;
    this.#router = router;
    this.#limits = limits;
    this.#common = {
      'Api-Version': API_VERSION,
      'Docker-Experimental': 'false',
      'Ostype': 'linux',
      'Server': `Berth/${deps.system.version().version} (linux)`,
    };
    const crashed = (err: unknown) => deps.logger.error('api dispatcher failed', { err: err instanceof Error ? err.stack : String(err) });
    this.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.#onRequest(req, res).catch((err) => { crashed(err); res.destroy(); });
    });
    this.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#onUpgrade(req, socket, head).catch((err) => { crashed(err); socket.destroy(); });
    });
  }

  /** Also closes the connections attach has taken over, which http.Server no longer tracks. */
  override closeAllConnections(): void {
    super.closeAllConnections();
    for (const s of this.#hijacked) s.destroy();
  }

  async #onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
      this.#deps.logger.debug('api request', { method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started });
    });
    setRequestLimits(req, this.#limits);
    const r = resolve(this.#router, req);
    if (!r) return this.#fail(res, PAGE_NOT_FOUND, req);
    if (!('hijack' in r.match.route)) this.#bodyDeadline(req, res);
    for (const [k, v] of Object.entries(this.#common)) res.setHeader(k, v);
    try {
      const version = negotiate(r.requested);
      const base = { req, params: r.match.params, query: r.query, version, signal: abort.signal, deps: this.#deps };
      const route = r.match.route;
      if (!route.duringBoot) await this.#deps.booting?.();
      if ('handler' in route) await route.handler({ ...base, res } satisfies Ctx);
      else await route.hijack({ ...base, res, upgrade: null } satisfies HijackCtx);
    } catch (err) {
      if (clientGone(err, abort.signal)) return this.#gone(req, err, () => res.destroy());
      this.#fail(res, httpError(err), req, err);
    }
  }

  /** The client left (closed or reset its connection, cut its body): nothing to answer, and no server error to log. */
  #gone(req: http.IncomingMessage, err: unknown, close: () => void): void {
    this.#deps.logger.debug('api client went away', { method: req.method, url: req.url, err: err instanceof Error ? err.message : String(err) });
    close();
  }

  /** A request body not received within requestTimeout: 408 if nothing was answered yet, and the connection is closed. */
  #bodyDeadline(req: http.IncomingMessage, res: http.ServerResponse): void {
    const ms = this.#limits.requestTimeoutMs;
    if (ms <= 0 || req.complete) return;
    const timer = setTimeout(() => {
      if (req.complete) return;
      this.#deps.logger.debug('api request body timed out', { method: req.method, url: req.url, ms });
      if (!res.headersSent) {
        const body = errorBody({ status: 408, message: `request body not received within ${ms} ms (api-request-timeout)` })!;
        res.writeHead(408, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Connection': 'close' });
        res.end(body, () => res.destroy());
      } else {
        res.destroy();
      }
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
  }

  #fail(res: http.ServerResponse, e: HttpError, req: http.IncomingMessage, cause?: unknown): void {
    this.#log(e, req, cause);
    if (res.headersSent) {
      // Mid-stream: the status is gone; cutting the connection is the only signal left.
      res.destroy();
      return;
    }
    const body = errorBody(e);
    res.writeHead(e.status, body === null ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body ?? undefined);
  }

  #log(e: HttpError, req: http.IncomingMessage, cause: unknown): void {
    const fields = { method: req.method, url: req.url, status: e.status, message: e.message };
    if (e.status >= 500) this.#deps.logger.error('api request failed', { ...fields, stack: cause instanceof Error ? cause.stack : undefined });
    else this.#deps.logger.debug('api request refused', fields);
  }

  async #onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    setRequestLimits(req, this.#limits);
    this.#hijacked.add(socket);
    const abort = new AbortController();
    socket.on('error', () => {});
    socket.once('close', () => {
      this.#hijacked.delete(socket);
      abort.abort();
    });
    const r = resolve(this.#router, req);
    try {
      if (!r || !('hijack' in r.match.route)) throw Object.assign(new Error(PAGE_NOT_FOUND.message), { http: PAGE_NOT_FOUND });
      const version = negotiate(r.requested);
      if (!r.match.route.duringBoot) await this.#deps.booting?.();
      await r.match.route.hijack({
        req, params: r.match.params, query: r.query, version, signal: abort.signal, deps: this.#deps,
        res: null, upgrade: { socket, head },
      });
    } catch (err) {
      if (clientGone(err, abort.signal)) return this.#gone(req, err, () => socket.destroy());
      const e = (err as { http?: HttpError }).http ?? httpError(err);
      this.#log(e, req, err);
      this.#writeRawError(socket, e);
    }
  }

  /** An error answer on a connection that left Node's HTTP machinery (nothing was written on it yet). */
  #writeRawError(socket: Duplex, e: HttpError): void {
    if (socket.destroyed || socket.writableEnded) return;
    const body = errorBody(e) ?? '';
    const headers = { ...this.#common, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), 'Connection': 'close' };
    const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 ${e.status} ${nodeHttp().STATUS_CODES[e.status] ?? ''}\r\n${head}\r\n${body}`, () => socket.destroy());
  }
}

/** The Docker Engine API as an http.Server, ready to listen() on a unix socket. */
export function createApiServer(deps: ApiDeps): http.Server {
  return new ApiServer(deps, new Router(routes));
}
