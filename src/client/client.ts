// The Engine API client: version negotiation and request plumbing. The typed
// calls live in containers.ts, images.ts and system.ts, each holding only the
// Requester role below.

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { parseHost } from './host.ts';
import type { ClientTls } from './tls.ts';
import { ApiError } from './errors.ts';
import { Transport, errorFromResponse, readError } from './transport.ts';
import type { BufferedResponse, Query, RequestOptions, Upgraded } from './transport.ts';
import type { PingInfo } from './types.ts';
import { ContainersApi } from './containers.ts';
import { ImagesApi } from './images.ts';
import { SystemApi } from './system.ts';
import { VolumesApi } from './volumes.ts';
import { NetworksApi } from './networks.ts';
import { ContainerOpsApi } from './container-ops.ts';
import { BuildApi } from './build.ts';
import { ExecApi } from './exec.ts';
import { ArchiveApi } from './archive.ts';

/** The newest API version this client speaks (the spec it was written from). */
export const CLIENT_API_VERSION = '1.56';
/** What a daemon that sends no API-Version header is assumed to speak. */
export const FALLBACK_API_VERSION = '1.24';

export interface ClientOptions {
  /** unix:///path, /path or tcp://host:port */
  host: string;
  /** A fixed API version: no negotiation (DOCKER_API_VERSION's meaning). */
  version?: string;
  userAgent?: string;
  /** TLS for a tcp:// host (the CLI's --tls/--tlsverify). */
  tls?: ClientTls;
}

export interface CallOptions {
  query?: Query;
  json?: unknown;
  body?: Buffer | string | Readable;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** The one role the typed APIs need. */
export interface Requester {
  apiVersion(): Promise<string>;
  /** Versioned request; rejects with ApiError for status >= 400; the body is left unread. */
  call(method: string, path: string, opts?: CallOptions): Promise<IncomingMessage>;
  /** Versioned request whose body is JSON; returns the parsed value and its raw bytes. */
  callJson<T>(method: string, path: string, opts?: CallOptions): Promise<{ value: T; raw: Buffer }>;
  /** Versioned request whose answer is read whole (no streamed body); rejects with ApiError for status >= 400. */
  callBuffered(method: string, path: string, opts?: CallOptions): Promise<Buffer>;
  /** Versioned request, hijacked after `101 Switching Protocols`; `json` is sent as the request body. */
  upgrade(path: string, query?: Query, json?: unknown): Promise<Upgraded>;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export class EngineClient implements Requester {
  readonly host: string;
  #containers: ContainersApi | undefined;
  #images: ImagesApi | undefined;
  #system: SystemApi | undefined;
  #volumes: VolumesApi | undefined;
  #networks: NetworksApi | undefined;
  #build: BuildApi | undefined;
  #ops: ContainerOpsApi | undefined;
  #exec: ExecApi | undefined;
  #archive: ArchiveApi | undefined;
  #transport: Transport;
  #fixedVersion: string | undefined;
  #negotiated: Promise<string> | undefined;

  constructor(opts: ClientOptions) {
    const address = parseHost(opts.host, opts.tls !== undefined);
    this.host = address.url;
    this.#transport = new Transport(address, opts.userAgent ?? 'berth', opts.tls);
    this.#fixedVersion = opts.version;
  }

  // The typed APIs are made on first use: a command uses one or two of them. In the bundled CLI
  // (scripts/bundle-cli.ts) a module is evaluated when one of its exports is first read, so the
  // others' modules are never evaluated (docs/benchmarks.md, CLI start time).
  get containers(): ContainersApi { return this.#containers ??= new ContainersApi(this); }
  get images(): ImagesApi { return this.#images ??= new ImagesApi(this); }
  get system(): SystemApi { return this.#system ??= new SystemApi(this); }
  get volumes(): VolumesApi { return this.#volumes ??= new VolumesApi(this); }
  get networks(): NetworksApi { return this.#networks ??= new NetworksApi(this); }
  get build(): BuildApi { return this.#build ??= new BuildApi(this); }
  get ops(): ContainerOpsApi { return this.#ops ??= new ContainerOpsApi(this); }
  get exec(): ExecApi { return this.#exec ??= new ExecApi(this); }
  get archive(): ArchiveApi { return this.#archive ??= new ArchiveApi(this); }

  /** The version used in request paths: min(client's, daemon's), like the docker CLI. */
  apiVersion(): Promise<string> {
    if (this.#fixedVersion) return Promise.resolve(this.#fixedVersion);
    this.#negotiated ??= this.#negotiate();
    return this.#negotiated;
  }

  /** HEAD /_ping, falling back to GET for daemons that only route GET. */
  async ping(): Promise<PingInfo> {
    let res = await this.#transport.requestBuffered({ method: 'HEAD', path: '/_ping' });
    if (res.statusCode !== 200 && res.statusCode !== 500) {
      res = await this.#transport.requestBuffered({ method: 'GET', path: '/_ping' });
      if (res.statusCode >= 400) throw errorFromResponse(res, '/_ping');
    }
    const header = (name: string) => res.headers[name] ?? '';
    return {
      apiVersion: header('api-version'),
      osType: header('ostype'),
      experimental: header('docker-experimental') === 'true',
    };
  }

  async #request(method: string, path: string, opts: CallOptions): Promise<RequestOptions> {
    return this.#versioned(await this.apiVersion(), method, path, opts);
  }

  #versioned(version: string, method: string, path: string, opts: CallOptions): RequestOptions {
    const headers: Record<string, string> = { ...opts.headers };
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['Content-Type'] = 'application/json';
    }
    return { method, path: `/v${version}${path}`, query: opts.query, headers, body, signal: opts.signal };
  }

  async call(method: string, path: string, opts: CallOptions = {}): Promise<IncomingMessage> {
    const req = await this.#request(method, path, opts);
    const res = await this.#transport.request(req);
    if ((res.statusCode ?? 0) >= 400) throw await readError(res, req.path);
    return res;
  }

  async callJson<T>(method: string, path: string, opts: CallOptions = {}): Promise<{ value: T; raw: Buffer }> {
    const { statusCode, body: raw } = await this.#bufferedOk(method, path, opts);
    if (raw.length === 0) return { value: undefined as T, raw };
    try {
      return { value: JSON.parse(raw.toString('utf8')) as T, raw };
    } catch (err) {
      throw new ApiError(statusCode, `Error reading JSON: ${(err as Error).message}`, true);
    }
  }

  async callBuffered(method: string, path: string, opts: CallOptions = {}): Promise<Buffer> {
    return (await this.#bufferedOk(method, path, opts)).body;
  }

  async #bufferedOk(method: string, path: string, opts: CallOptions): Promise<BufferedResponse> {
    const { req, res } = await this.#buffered(method, path, opts);
    if (res.statusCode >= 400) throw errorFromResponse(res, req.path);
    return res;
  }

  async upgrade(path: string, query?: Query, json?: unknown): Promise<Upgraded> {
    const version = await this.apiVersion();
    const body = json === undefined ? undefined : JSON.stringify(json);
    const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
    return this.#transport.upgrade({ method: 'POST', path: `/v${version}${path}`, query, body, headers });
  }

  /** Drops idle keep-alive connections so the process can exit. */
  close(): void {
    this.#transport.close();
  }

  /**
   * A request whose answer is read whole. The client's first one, when it is
   * a GET or HEAD, goes out at the client's own API version with no ping
   * before it (one round trip less for `berth ps`, `berth version`): a daemon
   * that speaks that version answers it and names its own in Api-Version,
   * which settles the negotiation; one that does not (dockerd: 400 "client
   * version 1.56 is too new", with its version in the header) or that sends no
   * header gets the ping the negotiation always made, and the request again
   * at the negotiated version when that differs. Every other first request
   * (bodies, streams, upgrades) negotiates before it goes out, as the docker
   * CLI does.
   */
  async #buffered(method: string, path: string, opts: CallOptions): Promise<{ req: RequestOptions; res: BufferedResponse }> {
    const safe = (method === 'GET' || method === 'HEAD') && opts.body === undefined && opts.json === undefined;
    if (this.#fixedVersion || this.#negotiated || !safe) {
      const req = await this.#request(method, path, opts);
      return { req, res: await this.#transport.requestBuffered(req) };
    }
    let settle!: (version: Promise<string>) => void;
    this.#negotiated = new Promise<string>((resolve) => { settle = resolve; });
    // Its failure is this request's, thrown below; a later call awaiting it sees it then.
    this.#negotiated.catch(() => {});
    const req = this.#versioned(CLIENT_API_VERSION, method, path, opts);
    let res: BufferedResponse;
    try {
      res = await this.#transport.requestBuffered(req);
    } catch (err) {
      // As a failed ping: later calls fail the same way.
      settle(Promise.reject(err as Error));
      throw err;
    }
    const server = res.headers['api-version'];
    if (server && compareVersions(server, CLIENT_API_VERSION) >= 0) {
      settle(Promise.resolve(CLIENT_API_VERSION));
      return { req, res };
    }
    const negotiation = this.#negotiate();
    settle(negotiation);
    const version = await negotiation;
    if (version === CLIENT_API_VERSION) return { req, res };
    const again = this.#versioned(version, method, path, opts);
    return { req: again, res: await this.#transport.requestBuffered(again) };
  }

  async #negotiate(): Promise<string> {
    let ping: PingInfo;
    try {
      ping = await this.ping();
    } catch (err) {
      if (err instanceof ApiError) return CLIENT_API_VERSION;
      throw err;
    }
    const server = ping.apiVersion || FALLBACK_API_VERSION;
    return compareVersions(server, CLIENT_API_VERSION) < 0 ? server : CLIENT_API_VERSION;
  }
}
