// Pull-through cache: a registry configured with an upstream serves what
// it has and fetches, stores and serves what it has not, through the
// engine's own registry client (auth challenges, Bearer tokens, timeouts:
// one implementation for berthd's pulls and this).
//
//   - a manifest by tag is asked of the upstream every time (tags move);
//     when the upstream cannot be reached, the cached tag is served;
//   - a manifest by digest and a blob are immutable: served from the cache
//     once there, fetched once otherwise (concurrent requests for the same
//     blob share one download), verified against the digest before they
//     become visible, and recorded in the index like a push would be;
//   - pushes and deletes are refused (405 UNSUPPORTED), as in distribution.

import { createHash } from 'node:crypto';
import { parseManifest, type AnyManifest } from '../core/distribution.ts';
import { isCode } from '../core/errors.ts';
import type { Credentials } from '../images/distribution/auth.ts';
import { RegistryClient } from '../images/distribution/client.ts';
import { isInsecure } from '../images/distribution/endpoints.ts';
import { type Endpoint, drop } from '../images/distribution/transport.ts';
import type { FileContentStore } from '../stores/content.ts';
import { regError } from './errors.ts';
import type { RegistryIndex } from './index-db.ts';

export interface ProxyConfig {
  remoteUrl: string;
  username?: string;
  password?: string;
}

export class ProxyUpstream {
  readonly endpoint: Endpoint;
  readonly #creds: Credentials;
  readonly #clients = new Map<string, RegistryClient>();
  readonly #inflight = new Map<string, Promise<void>>();

  constructor(c: ProxyConfig) {
    const u = new URL(c.remoteUrl);
    this.endpoint = { host: u.host, scheme: u.protocol === 'http:' ? 'http' : 'https', insecureTls: isInsecure(u.host, {}) };
    this.#creds = { ...(c.username ? { username: c.username } : {}), ...(c.password ? { password: c.password } : {}) };
  }

  client(repo: string): RegistryClient {
    let c = this.#clients.get(repo);
    if (!c) {
      c = new RegistryClient(this.endpoint, repo, { credentials: this.#creds, actions: ['pull'] });
      this.#clients.set(repo, c);
    }
    return c;
  }

  /** Fetches a manifest, stores and records it; returns its digest. Falls back to the cached tag when the upstream is down. */
  async manifest(content: FileContentStore, index: RegistryIndex, repo: string, ref: { tag?: string; digest?: string }): Promise<string> {
    if (ref.digest && index.manifest(repo, ref.digest)) return ref.digest;
    const reference = ref.digest ?? ref.tag!;
    let got;
    try {
      got = await this.client(repo).getManifest(reference);
    } catch (err) {
      if (isCode(err, 'not_found')) throw regError('MANIFEST_UNKNOWN', `manifest unknown upstream: ${repo}:${reference}`);
      const cached = ref.tag ? index.tag(repo, ref.tag) : null;
      if (cached && index.manifest(repo, cached)) return cached;
      throw regError('UNAVAILABLE', `upstream ${this.endpoint.host}: ${(err as Error).message}`);
    }
    const digest = `sha256:${createHash('sha256').update(got.body).digest('hex')}`;
    if (ref.digest && ref.digest !== digest) throw regError('UNAVAILABLE', `upstream ${this.endpoint.host} sent a manifest that does not match ${ref.digest}`);
    let m: AnyManifest;
    try {
      m = parseManifest(got.body, got.mediaType);
    } catch (err) {
      throw regError('UNAVAILABLE', `upstream ${this.endpoint.host} sent an invalid manifest: ${(err as Error).message}`);
    }
    await content.writeBlob(got.body, { digest, size: got.body.length });
    const children = m.kind === 'index' ? m.manifests.map((d) => d.digest) : [m.config.digest, ...m.layers.map((l) => l.digest)];
    index.transaction(() => {
      index.putManifest({
        repo, digest, mediaType: m.mediaType, size: got.body.length,
        artifactType: null, subject: m.subject?.digest ?? null, annotations: m.annotations ?? null,
      }, children);
      index.linkBlob(repo, digest);
      if (ref.tag) index.setTag(repo, ref.tag, digest);
    });
    return digest;
  }

  /** Makes the blob present and linked in repo, downloading it once. */
  async blob(content: FileContentStore, index: RegistryIndex, repo: string, digest: string): Promise<void> {
    if (index.hasBlobLink(repo, digest) && await content.has(digest)) return;
    const key = `${repo}@${digest}`;
    let p = this.#inflight.get(key);
    if (!p) {
      p = this.#fetch(content, index, repo, digest).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    await p;
  }

  async #fetch(content: FileContentStore, index: RegistryIndex, repo: string, digest: string): Promise<void> {
    if (!(await content.has(digest))) {
      let res;
      try {
        res = await this.client(repo).getBlob(digest);
      } catch (err) {
        if (isCode(err, 'not_found')) throw regError('BLOB_UNKNOWN', undefined, { digest });
        throw regError('UNAVAILABLE', `upstream ${this.endpoint.host}: ${(err as Error).message}`);
      }
      try {
        await content.ingest(res.body, { digest, ...(res.total !== null ? { size: res.total } : {}) });
      } catch (err) {
        drop(res.body);
        throw regError('UNAVAILABLE', `upstream ${this.endpoint.host}: blob ${digest}: ${(err as Error).message}`);
      }
    }
    index.transaction(() => index.linkBlob(repo, digest));
  }
}
