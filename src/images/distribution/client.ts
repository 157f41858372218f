// A client for one repository on one registry: manifests, blobs (ranged
// reads to resume), uploads, mounts. It authenticates on first use (GET
// /v2/ and its challenge) for the scopes the caller asked for, and again
// once if a replayable request meets a 401 later.

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { MANIFEST_ACCEPT } from '../../core/distribution.ts';
import { BerthError, forbidden, invalid, notFound, unavailable } from '../../core/errors.ts';
import { type Challenge, type Credentials, basicHeader, fetchToken, parseChallenge } from './auth.ts';
import { type Endpoint, type FileBody, type Timeouts, DEFAULT_TIMEOUTS, drop, readAll, send } from './transport.ts';
import { type LeanResponse, leanGet } from './lean-get.ts';

export interface ManifestResponse {
  body: Buffer;
  mediaType: string;
  digest: string | null;
}

const MAX_MANIFEST = 4 << 20;

export class RegistryClient {
  readonly endpoint: Endpoint;
  readonly repo: string;
  readonly #creds: Credentials;
  readonly #actions: string[];
  readonly #scope: string | null;
  readonly #timeouts: Timeouts;
  #authorization: string | null = null;
  #challenge: Challenge | null = null;
  #ready: Promise<void> | null = null;

  /** scope: the token scope to ask for instead of the repository's (e.g. "registry:catalog:*"). */
  constructor(endpoint: Endpoint, repo: string, opts: { credentials?: Credentials; actions: string[]; scope?: string; timeouts?: Timeouts }) {
    this.endpoint = endpoint;
    this.repo = repo;
    this.#creds = opts.credentials ?? {};
    this.#actions = opts.actions;
    this.#scope = opts.scope ?? null;
    this.#timeouts = opts.timeouts ?? DEFAULT_TIMEOUTS;
  }

  get base(): string { return `${this.endpoint.scheme}://${this.endpoint.host}`; }

  /** Pings /v2/ and answers its challenge; extraScopes for mounts from other repositories. */
  async authenticate(extraScopes: string[] = []): Promise<void> {
    this.#ready ??= this.#authenticate(extraScopes).catch((err) => { this.#ready = null; throw err; });
    return this.#ready;
  }

  async #authenticate(extraScopes: string[]): Promise<void> {
    const res = await send(this.endpoint, `${this.base}/v2/`, { method: 'GET', timeouts: this.#timeouts });
    drop(res);
    if (res.statusCode === 401) {
      this.#challenge = parseChallenge(res.headers['www-authenticate']);
      await this.#answer(extraScopes);
    } else if (res.statusCode !== 200) {
      throw unavailable(`${this.endpoint.host} does not look like a registry: GET /v2/ answered ${res.statusCode}`);
    }
  }

  async #answer(extraScopes: string[]): Promise<void> {
    const ch = this.#challenge;
    if (!ch) throw unauthorized(this.endpoint.host, 'no supported authentication challenge');
    if (ch.scheme === 'basic') {
      const h = basicHeader(this.#creds);
      if (!h) throw unauthorized(this.endpoint.host, 'authentication required');
      this.#authorization = h;
      return;
    }
    const scopes = [this.#scope ?? `repository:${this.repo}:${this.#actions.join(',')}`, ...extraScopes];
    try {
      this.#authorization = `Bearer ${await fetchToken(this.endpoint, ch, scopes, this.#creds)}`;
    } catch (err) {
      if ((err as { status?: number }).status) throw unauthorized(this.endpoint.host, (err as Error).message);
      throw err;
    }
  }

  /** One request with auth; replayable requests are retried once after a 401 (expired token). */
  async request(method: string, path: string, o: { headers?: Record<string, string>; body?: Buffer | string | Readable | FileBody } = {}): Promise<IncomingMessage> {
    await this.authenticate();
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const go = () => send(this.endpoint, url, {
      method, body: o.body, timeouts: this.#timeouts,
      headers: { ...o.headers, ...(this.#authorization ? { Authorization: this.#authorization } : {}) },
    });
    let res = await go();
    const replayable = o.body === undefined || typeof o.body === 'string' || Buffer.isBuffer(o.body) || !('pipe' in o.body);
    if (res.statusCode === 401 && replayable) {
      drop(res);
      this.#challenge = parseChallenge(res.headers['www-authenticate']) ?? this.#challenge;
      await this.#answer([]);
      res = await go();
    }
    return res;
  }

  /** Resolves a location header against the registry (relative or absolute). */
  resolve(location: string): string {
    return new URL(location, this.base).toString();
  }

  async getManifest(reference: string): Promise<ManifestResponse> {
    const res = await this.request('GET', `/v2/${this.repo}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT } });
    if (res.statusCode !== 200) throw await this.error(res, `manifest for ${this.repo}:${reference}`);
    const body = await readAll(res, MAX_MANIFEST, `manifest from ${this.endpoint.host}`);
    const digest = res.headers['docker-content-digest'];
    return { body, mediaType: (res.headers['content-type'] ?? '').split(';')[0]!.trim(), digest: typeof digest === 'string' ? digest : null };
  }

  /** Every tag of the repository, following the registry's Link pages. */
  async listTags(): Promise<string[]> {
    const tags: string[] = [];
    let path: string | null = `/v2/${this.repo}/tags/list`;
    for (let pages = 0; path && pages < 1000; pages++) {
      const res = await this.request('GET', path);
      if (res.statusCode !== 200) throw await this.error(res, `tags of ${this.repo}`);
      const body = await readAll(res, MAX_MANIFEST, `tag list from ${this.endpoint.host}`);
      let doc: { tags?: unknown };
      try {
        doc = JSON.parse(body.toString());
      } catch {
        throw unavailable(`tag list of ${this.repo} from ${this.endpoint.host} is not JSON`);
      }
      if (Array.isArray(doc.tags)) tags.push(...doc.tags.filter((t): t is string => typeof t === 'string'));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
      path = next ? this.resolve(next[1]!) : null;
    }
    return tags;
  }

  /**
   * The blob's bytes from offset through lean-get.ts; null when that does not apply (https,
   * or any answer but the body: a challenge, a redirect, an error, a chunked body), for
   * getBlob to ask again.
   */
  async leanBlob(digest: string, offset = 0): Promise<{ res: LeanResponse; offset: number } | null> {
    await this.authenticate();
    const res = await leanGet(`${this.base}/v2/${this.repo}/blobs/${digest}`, {
      ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}),
      ...(this.#authorization ? { Authorization: this.#authorization } : {}),
    }, this.#timeouts);
    if (!res) return null;
    if (res.length !== null && res.status === 200) return { res, offset: 0 };
    if (res.length !== null && res.status === 206 && offset > 0 && new RegExp(`^bytes ${offset}-`).test(res.headers['content-range'] ?? '')) {
      return { res, offset };
    }
    res.destroy();
    return null;
  }

  /** The blob's bytes from offset (a ranged GET when resuming); `offset` is what the body starts at. */
  async getBlob(digest: string, offset = 0): Promise<{ body: IncomingMessage; offset: number; total: number | null }> {
    const res = await this.request('GET', `/v2/${this.repo}/blobs/${digest}`, offset > 0 ? { headers: { Range: `bytes=${offset}-` } } : {});
    if (res.statusCode === 206 && offset > 0) {
      const m = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
      return { body: res, offset, total: m ? Number(m[1]) : null };
    }
    if (res.statusCode === 200) {
      const len = Number(res.headers['content-length'] ?? NaN);
      return { body: res, offset: 0, total: Number.isFinite(len) ? len : null };
    }
    throw await this.error(res, `blob ${digest} of ${this.repo}`);
  }

  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${this.repo}/blobs/${digest}`);
    drop(res);
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    throw await this.error(res, `blob ${digest} of ${this.repo}`);
  }

  /** Cross-repository mount; false when the registry opened an upload instead (which is cancelled). */
  async mount(digest: string, from: string): Promise<boolean> {
    const res = await this.request('POST', `/v2/${this.repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`);
    drop(res);
    if (res.statusCode === 201) return true;
    if (res.statusCode === 202 && res.headers.location) {
      const del = await this.request('DELETE', this.resolve(res.headers.location));
      drop(del);
      return false;
    }
    return false;
  }

  async putManifest(reference: string, mediaType: string, body: Buffer): Promise<string | null> {
    const res = await this.request('PUT', `/v2/${this.repo}/manifests/${reference}`, { headers: { 'Content-Type': mediaType }, body });
    if (res.statusCode !== 201) throw await this.error(res, `manifest ${this.repo}:${reference}`);
    drop(res);
    const d = res.headers['docker-content-digest'];
    return typeof d === 'string' ? d : null;
  }

  /** A registry's error answer as a BerthError naming the registry and what was asked. */
  async error(res: IncomingMessage, what: string): Promise<BerthError> {
    let detail = '';
    try {
      const body = await readAll(res, 64 * 1024, 'error body');
      const doc = JSON.parse(body.toString());
      const e = doc.errors?.[0];
      if (e) detail = `${String(e.code ?? '').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`;
    } catch {
      drop(res);
    }
    const status = res.statusCode ?? 0;
    const msg = `${what} on ${this.endpoint.host}: ${detail || `HTTP ${status}`}`;
    if (status === 404) return Object.assign(notFound(`${what} not found on ${this.endpoint.host}: ${detail || 'not found'}`), { registryDetail: detail || 'not found' });
    if (status === 401) return unauthorized(this.endpoint.host, detail || 'authentication required');
    if (status === 403) return forbidden(`${msg}`);
    if (status >= 400 && status < 500) return invalid(msg);
    return unavailable(msg);
  }
}

function unauthorized(host: string, why: string): BerthError {
  return new BerthError('unauthorized', `${host}: ${why}`);
}
