// The engine's distribution service: pull and push over the registry
// protocol for the API, with the image service's stores, leases and
// metadata. The API hands it parsed references and credentials.

import { BerthError, invalid, notFound, wrap } from '../../core/errors.ts';
import { KEYED_INGEST_TTL_MS } from '../../stores/content.ts';
import type { BerthImageService } from '../service.ts';
import { familiarName, familiarString, parseNormalized, refString, repoName, validateTag, type Reference } from '../reference.ts';
import { type Credentials, basicHeader, fetchToken, parseChallenge } from './auth.ts';
import { pickEndpoint } from './endpoints.ts';
import { drop, send } from './transport.ts';
import type { RegistryOptions } from './endpoints.ts';
import type { ProgressSink } from './progress.ts';
import { type PullDeps, pullImage } from './pull.ts';
import { pullAllTags } from './pull-all.ts';
import { type SearchFilters, type SearchResult, searchRegistry } from './search.ts';
import { type PushTarget, pushImages } from './push.ts';

export class DistributionService {
  readonly #images: BerthImageService;
  readonly #registry: RegistryOptions;

  constructor(images: BerthImageService, registry: RegistryOptions = {}) {
    this.#images = images;
    this.#registry = registry;
  }

  get registryOptions(): RegistryOptions { return this.#registry; }

  /**
   * Checks credentials against a registry as dockerd's /auth does: a
   * registry that asks for nothing accepts anyone; Basic is tried on /v2/;
   * Bearer asks the token service with the credentials.
   */
  async login(serverAddress: string, credentials: Credentials): Promise<void> {
    const domain = registryHost(serverAddress);
    const ep = await pickEndpoint(domain, this.#registry).catch((err) => { throw wrap(err, `login to ${domain}`); });
    const url = `${ep.scheme}://${ep.host}/v2/`;
    const res = await send(ep, url, { method: 'GET' });
    drop(res);
    if (res.statusCode === 200) return;
    const failed = (status: string) => new BerthError('unauthorized', `login attempt to ${url} failed with status: ${status}`);
    if (res.statusCode !== 401) throw failed(`${res.statusCode} ${res.statusMessage ?? ''}`.trim());
    const ch = parseChallenge(res.headers['www-authenticate']);
    if (ch?.scheme === 'bearer') {
      try {
        await fetchToken(ep, ch, [], credentials);
        return;
      } catch (err) {
        if ((err as { status?: number }).status) throw new BerthError('unauthorized', `Get "${ch.params.realm}": ${(err as Error).message}`);
        throw err;
      }
    }
    const basic = basicHeader(credentials);
    if (!basic) throw failed('401 Unauthorized');
    const again = await send(ep, url, { method: 'GET', headers: { Authorization: basic } });
    drop(again);
    if (again.statusCode !== 200) throw failed(`${again.statusCode} ${again.statusMessage ?? ''}`.trim());
  }

  /** docker search: the registry the term names, through its v1 search API or its catalog (search.ts). */
  async search(term: string, limit: number, filters: SearchFilters, credentials: Credentials): Promise<SearchResult[]> {
    return searchRegistry(this.#registry, term, limit, filters, credentials);
  }

  /** A reference with neither tag nor digest pulls every tag of the repository (docker pull --all-tags). */
  async pull(ref: Reference, o: { platform?: string; credentials?: Credentials }, sink: ProgressSink): Promise<string> {
    const img = this.#images;
    // Recorded with an expiry: if berthd dies mid-pull, what the pull committed stays for its resume.
    const label = `pull ${refString(ref)}`;
    const deps: PullDeps = {
      content: img.content, snapshotter: img.snapshotter, registry: this.#registry, maxCompressionRatio: img.layerLimits.maxRatio,
      hold: (keys) => img.hold(keys, { label, expiresAt: Date.now() + KEYED_INGEST_TTL_MS }),
      register: (row, tags, digests) => img.register(row, tags, digests),
      layerSize: (d) => img.layerSize(d),
      discard: (c, b) => img.discard(c, b),
    };
    const opts = { ref, ...(o.platform ? { platform: o.platform } : {}), ...(o.credentials ? { credentials: o.credentials } : {}) };
    const id = ref.tag === undefined && !ref.digest ? await pullAllTags(deps, opts, sink) : (await pullImage(deps, opts, sink)).id;
    await img.supersedeLeases(label);
    return id;
  }

  /** name: "host/repo"; tag empty: every tag of that repository. */
  async push(name: string, tag: string, credentials: Credentials, sink: ProgressSink): Promise<void> {
    const repo = parseNormalized(name);
    if (repo.digest) throw invalid('cannot push a digest reference');
    if (repo.tag !== undefined && tag) throw invalid(`invalid reference ${name} with tag ${tag}`);
    const t = tag || repo.tag;
    const base: Reference = { domain: repo.domain, path: repo.path };
    const targets: PushTarget[] = [];
    const prefix = `${repoName(base)}:`;
    for (const rec of await this.#images.list({ all: true })) {
      for (const tg of rec.tags) {
        const r = parseNormalized(tg);
        if (refString(r).startsWith(prefix)) targets.push({ ref: r, row: this.#images.row(refString(r)) });
      }
    }
    // dockerd: no tag of the repository at all is an error before the stream; a missing tag is one inside it.
    if (!targets.length) throw notFound(`An image does not exist locally with the tag: ${familiarName(base)}`);
    if (t) {
      validateTag(t);
      const one = targets.find((x) => x.ref.tag === t);
      if (!one) {
        sink({ status: `The push refers to repository [${repoName(base)}]` });
        throw notFound(`tag does not exist: ${familiarString({ ...base, tag: t })}`);
      }
      targets.splice(0, targets.length, one);
    }
    await pushImages({
      content: this.#images.content, registry: this.#registry,
      hold: (keys) => this.#images.hold(keys),
      reposWithBlob: (d) => this.#images.reposWithBlob(d),
      addDigest: (ref, id) => this.#images.addDigest(ref, id),
    }, base, targets, credentials, sink);
  }
}

/** "https://index.docker.io/v1/", "http://127.0.0.1:5000", "127.0.0.1:5000" -> the registry's domain. */
export function registryHost(address: string): string {
  const a = address.trim();
  if (!a || /^(https?:\/\/)?(index\.)?docker\.io(\/|$)/.test(a)) return 'docker.io';
  const host = a.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (!host) throw invalid(`invalid registry address "${address}"`);
  return host;
}
