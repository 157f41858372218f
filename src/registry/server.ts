// `berth registry serve`: the OCI Distribution / Docker Registry v2 server.
//
//   <root>/registry.db              the index (repos, links, manifests, tags)
//   <root>/content/blobs/sha256/..  the blobs (berth's content store)
//   <root>/content/ingest/..        uploads in progress
//
// Requests are routed by path (names.ts), authorized (auth.ts, when
// configured), then handled; every failure answers in the spec's error form.

import type * as http from 'node:http';
import { nodeHttp, nodeHttps } from '../sys/node-http.ts';
import type { AddressInfo } from 'node:net';
import { FileContentStore } from '../stores/content.ts';
import { cancelUpload, deleteBlob, getBlob, patchUpload, putUpload, startUpload, uploadStatus } from './blobs.ts';
import type { RegistryConfig } from './config.ts';
import { RegistryError, asRegistryError } from './errors.ts';
import { type RegistryRoot, type RegistryState, type Req, send, sendError, sendJson } from './http.ts';
import { type RegistryStore, RootStore } from './storage.ts';
import { RegistryIndex } from './index-db.ts';
import { catalog, deleteManifest, getManifest, listTags, putManifest, referrers } from './manifests.ts';
import { matchRoute, type Route } from './names.ts';
import { search } from './search.ts';
import { UploadSessions } from './uploads.ts';
import { BodyCache } from './body-cache.ts';
import { ProxyUpstream } from './proxy.ts';
import { type GcReport, collectGarbage, scheduleGc } from './gc.ts';
import type { Authorizer } from './access.ts';
import { requiredAccess } from './access.ts';
import { RegistryAuth, TOKEN_PATH } from './auth.ts';

export interface RegistryServerOptions {
  config: RegistryConfig;
  /**
   * A read-only store to serve instead of the registry root (berthd's image
   * store, engine-store.ts): config.root, gc and the proxy are then unused
   * and every write is refused.
   */
  store?: RegistryStore;
  /** Decides who may do what (auth.ts); none: everyone may do everything. */
  authorizer?: Authorizer;
  /** Called for each finished request (method, path, status, ms). */
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
}

export class RegistryServer {
  readonly state: RegistryState;
  readonly #server: http.Server;
  readonly #opts: RegistryServerOptions;
  readonly #auth: RegistryAuth | null = null;
  #stopGc: (() => void) | null = null;

  constructor(opts: RegistryServerOptions) {
    this.#opts = opts;
    const c = opts.config;
    if (c.auth && !opts.authorizer) this.#auth = new RegistryAuth(c);
    let root: RegistryRoot | null = null;
    if (!opts.store) {
      const content = new FileContentStore(`${c.root}/content`);
      root = { content, index: new RegistryIndex(`${c.root}/registry.db`), uploads: new UploadSessions(content) };
    }
    this.state = {
      store: opts.store ?? new RootStore(root!.content, root!.index),
      root,
      readOnly: c.readOnly || !root,
      deleteEnabled: c.deleteEnabled && !!root,
      maxManifestBytes: c.maxManifestBytes,
      bodies: new BodyCache(),
      ...(c.proxy && root ? { proxy: new ProxyUpstream(c.proxy) } : {}),
    };
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.#handle(req, res);
    this.#server = c.tls ? nodeHttps().createServer({ cert: c.tls.cert, key: c.tls.key }, handler) : nodeHttp().createServer(handler);
    this.#server.keepAliveTimeout = 30_000;
    this.#server.headersTimeout = 60_000;
    // Big blobs take long; a client that goes silent is dropped.
    this.#server.requestTimeout = 0;
    this.#server.timeout = 5 * 60_000;
  }

  async listen(): Promise<{ host: string; port: number }> {
    const [host, port] = splitListen(this.#opts.config.listen);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => { this.#server.off('error', reject); resolve(); });
    });
    const a = this.#server.address() as AddressInfo;
    const gc = this.#opts.config.gc;
    if (gc.intervalMs > 0 && !this.state.readOnly) this.#stopGc = scheduleGc(async () => { await this.collectGarbage().catch(() => {}); }, gc.intervalMs);
    return { host: a.address, port: a.port };
  }

  /** One garbage collection while serving (also what the schedule runs). */
  async collectGarbage(opts: { dryRun?: boolean } = {}): Promise<GcReport> {
    const log = this.#opts.config.log;
    const root = this.state.root;
    if (!root) throw new Error('this registry has no root of its own to collect');
    try {
      const r = await collectGarbage(root.content, root.index, { graceMs: this.#opts.config.gc.graceMs, ...opts });
      if (r.blobs) log?.(`registry: garbage collection removed ${r.blobs} blobs (${r.bytes} bytes) of ${r.examined}`);
      return r;
    } catch (err) {
      log?.(`registry: garbage collection failed: ${(err as Error).message}`);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.#stopGc?.();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    await this.state.root?.uploads.close();
    this.state.root?.index.close();
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://registry');
    } catch {
      url = new URL('http://registry/');
    }
    const head = method === 'HEAD';
    try {
      if (url.pathname === TOKEN_PATH && this.#auth?.tokenMode && method === 'GET') {
        await this.#auth.serveToken(req, res, url);
        return;
      }
      const route = matchRoute(url.pathname);
      if (!route) throw new RegistryError('UNSUPPORTED', `no route for ${method} ${url.pathname.slice(0, 200)}`, null, { status: 404 });
      const r: Req = { req, res, url, state: this.state };
      const authorizer = this.#opts.authorizer ?? this.#auth;
      if (authorizer) await authorizer.authorize(req, requiredAccess(route, method, url));
      await this.#dispatch(r, route, method);
    } catch (err) {
      const e = asRegistryError(err);
      if (e.status >= 500) this.#opts.config.log?.(`registry: ${method} ${url.pathname}: ${e.message}`);
      // Whatever is left of a refused request body is not read: close the connection after answering.
      if (!req.complete) res.setHeader('Connection', 'close');
      sendError(res, e, head);
    } finally {
      const done = () => this.#opts.onRequest?.({ method, path: url.pathname, status: res.statusCode, ms: performance.now() - t0 });
      if (res.writableFinished) done(); else res.once('close', done);
    }
  }

  async #dispatch(r: Req, route: Route, method: string): Promise<void> {
    const bad = () => { throw new RegistryError('UNSUPPORTED', `method ${method} not allowed here`, null, { status: 405 }); };
    switch (route.kind) {
      case 'base':
        if (method !== 'GET' && method !== 'HEAD') return bad();
        return sendJson(r.res, 200, {});
      case 'catalog':
        if (method !== 'GET') return bad();
        return catalog(r);
      case 'tags':
        if (method !== 'GET') return bad();
        return listTags(r, route.name);
      case 'manifest':
        if (method === 'GET' || method === 'HEAD') return getManifest(r, route.name, route.reference, method === 'HEAD');
        if (method === 'PUT') return putManifest(r, route.name, route.reference);
        if (method === 'DELETE') return deleteManifest(r, route.name, route.reference);
        return bad();
      case 'blob':
        if (method === 'GET' || method === 'HEAD') return getBlob(r, route.name, route.digest, method === 'HEAD');
        if (method === 'DELETE') return deleteBlob(r, route.name, route.digest);
        return bad();
      case 'uploads':
        if (method === 'POST') return startUpload(r, route.name);
        return bad();
      case 'upload':
        if (method === 'PATCH') return patchUpload(r, route.name, route.uuid);
        if (method === 'PUT') return putUpload(r, route.name, route.uuid);
        if (method === 'GET') return uploadStatus(r, route.name, route.uuid);
        if (method === 'DELETE') return cancelUpload(r, route.name, route.uuid);
        return bad();
      case 'referrers':
        if (method !== 'GET') return bad();
        return referrers(r, route.name, route.digest);
      case 'v1ping':
        if (method !== 'GET' && method !== 'HEAD') return bad();
        return send(r.res, 200, { 'Content-Type': 'application/json', 'X-Docker-Registry-Version': '0.6.0' }, method === 'HEAD' ? undefined : 'true');
      case 'search':
        if (method !== 'GET') return bad();
        return search(r);
    }
  }
}

export { send };

/** "host:port", ":port", "[::1]:port" as [host, port]. */
export function splitListen(listen: string): [string, number] {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`invalid listen address "${listen}" (want ADDR:PORT)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in listen address "${listen}"`);
  return [m[1] ?? (m[2] || '0.0.0.0'), port];
}
