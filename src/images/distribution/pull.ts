// Pulling an image, the way dockerd does and what it prints:
//
//   1. resolve the tag (or digest) to a manifest; an index or manifest list
//      is resolved to this platform's manifest; every manifest's bytes are
//      checked against the digest they were asked by;
//   2. fetch and verify the config; its diff_ids give the chain IDs;
//   3. layers whose chain is already a snapshot (and whose blob is here)
//      are skipped ("Already exists"); the others download concurrently
//      into keyed ingests (a cut download resumes with a Range request),
//      compressed as fetched, verified before they become blobs;
//   4. each layer is extracted as soon as it and its parent are in, while
//      later layers still download; its diffID must match the config;
//   5. config and manifest blobs are stored, then one transaction records
//      the image, the tag and the repo digest.
// Everything the pull writes is held against GC until it is recorded.

import { type Descriptor, type ImageManifest, type Platform, isIndexType, layerCompression, parseManifest } from '../../core/distribution.ts';
import type { ImageConfigFile } from '../../core/image.ts';
import { BerthError, internal, invalid, isCode, notFound, wrap } from '../../core/errors.ts';
import type { Snapshotter } from '../../core/snapshot.ts';
import type { ContentStore } from '../../stores/content.ts';
import type { ImageRow, LayerRecord } from '../../stores/metadata/images.ts';
import { chainIds, goArch, sha256 } from '../records.ts';
import { type Reference, familiarName, familiarString, refString, repoName } from '../reference.ts';
import type { Credentials } from './auth.ts';
import { RegistryClient } from './client.ts';
import { type RegistryOptions, pickEndpoint } from './endpoints.ts';
import { extractLayer, LayerDownload } from './layer-fetch.ts';
import { LayerProgress, type ProgressSink, shortDigest } from './progress.ts';
import { readAll } from './transport.ts';

export interface PullDeps {
  content: ContentStore;
  snapshotter: Snapshotter;
  hold(keys: string[]): Promise<() => void>;
  register(row: ImageRow, tags: string[], digests: string[]): Promise<{ isNew: boolean; upToDate: boolean }>;
  /** Collects what a failed pull wrote, unless something else reaches it. */
  discard(chainIds: string[], blobs: string[]): Promise<void>;
  registry: RegistryOptions;
  /** Unpacked bytes of a layer already on this host (by diffID), for the image's size. */
  layerSize(diffId: string): number;
  /** How much a layer may expand (src/images/compression.ts); the snapshotter bounds its size. */
  maxCompressionRatio?: number;
}

export interface PullOptions {
  ref: Reference;
  /** "linux/arm64/v8"; default this machine's. */
  platform?: string;
  credentials?: Credentials;
  concurrency?: number;
  /** false: no closing "Status: ..." line (pull-all.ts writes one for all tags). */
  statusLine?: boolean;
}

export interface PullResult {
  id: string;
  /** The tag already named this image: nothing new was recorded. */
  upToDate: boolean;
}

const MAX_CONFIG = 32 << 20;

function wantedPlatform(p?: string): Platform {
  if (!p) return { os: 'linux', architecture: goArch() };
  const [os, architecture, variant] = p.toLowerCase().split('/');
  if (!os || !architecture) throw invalid(`invalid platform "${p}" (want os/arch[/variant])`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function pickPlatform(list: Descriptor[], want: Platform, what: string): Descriptor {
  const match = (d: Descriptor, strictVariant: boolean) => {
    const p = d.platform;
    if (!p || p.os !== want.os || p.architecture !== want.architecture) return false;
    if (want.variant) return p.variant === want.variant || (!strictVariant && !p.variant);
    return true;
  };
  const found = list.find((d) => match(d, true)) ?? list.find((d) => match(d, false));
  if (!found) {
    const v = want.variant ? `/${want.variant}` : '';
    throw notFound(`no matching manifest for ${want.os}/${want.architecture}${v} in the manifest list entries of ${what}`);
  }
  return found;
}

/** Runs the pull; messages go to sink. */
export async function pullImage(deps: PullDeps, o: PullOptions, sink: ProgressSink): Promise<PullResult> {
  const ref = o.ref;
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const what = familiarString(ref);
  const ep = await pickEndpoint(ref.domain, deps.registry).catch((err) => { throw wrap(err, `pulling ${what}: registry ${ref.domain} unreachable`); });
  const client = new RegistryClient(ep, ref.path, {
    credentials: o.credentials ?? {}, actions: ['pull'], ...(deps.registry.timeouts ? { timeouts: deps.registry.timeouts } : {}),
  });

  // 1. manifest (and platform resolution)
  let top = await client.getManifest(reference).catch((err) => { throw manifestError(err, what, ref); });
  const topDigest = checkManifestDigest(top.body, ref.digest ?? top.digest, what);
  let m = parseOrFail(top.body, top.mediaType, what);
  let manifestDigest = topDigest;
  if (m.kind === 'index') {
    const d = pickPlatform(m.manifests, wantedPlatform(o.platform), what);
    top = await client.getManifest(d.digest).catch((err) => { throw manifestError(err, what, ref); });
    manifestDigest = checkManifestDigest(top.body, d.digest, what);
    m = parseOrFail(top.body, top.mediaType, what);
    if (m.kind === 'index') throw invalid(`${what}: an index inside an index is not an image`);
  }
  const manifest = m as ImageManifest;
  const manifestBytes = top.body;
  sink({ status: `Pulling from ${ref.path}`, id: reference });

  // 2. config (one stored here was verified when it was written)
  const haveConfig = await deps.content.has(manifest.config.digest);
  const cfgBytes = haveConfig
    ? await deps.content.readBlob(manifest.config.digest)
    : await readAll((await client.getBlob(manifest.config.digest)).body, MAX_CONFIG, `config of ${what}`);
  if (!haveConfig && sha256(cfgBytes) !== manifest.config.digest) throw invalid(`${what}: config blob from ${ep.host} does not match its digest ${manifest.config.digest}`);
  let config: ImageConfigFile;
  try {
    config = JSON.parse(cfgBytes.toString());
  } catch {
    throw invalid(`${what}: image config from ${ep.host} is not JSON`);
  }
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layers = manifest.layers;
  if (diffIds.length !== layers.length) throw invalid(`${what}: manifest has ${layers.length} layers but the config ${diffIds.length} diff_ids`);
  for (const l of layers) {
    if (!layerCompression(l.mediaType) && !/tar/.test(l.mediaType)) throw invalid(`${what}: unsupported layer media type ${l.mediaType}`);
  }
  const chains = chainIds(diffIds);

  const release = await deps.hold([manifest.config.digest, manifestDigest, ...layers.map((l) => l.digest), ...chains]);
  let done = false;
  try {
    const records = await fetchAndApply(deps, client, what, layers, diffIds, chains, sink, o.concurrency ?? 3);
    // 5. record
    // Checked again under the hold: a collector may have taken an unreferenced config since.
    if (!(await deps.content.has(manifest.config.digest))) await deps.content.writeBlob(cfgBytes, { digest: manifest.config.digest, size: cfgBytes.length });
    if (!(await deps.content.has(manifestDigest))) await deps.content.writeBlob(manifestBytes, { digest: manifestDigest, size: manifestBytes.length });
    const row: ImageRow = {
      id: manifest.config.digest, manifestDigest, created: config.created ?? new Date(0).toISOString(),
      size: records.reduce((a, r) => a + r.uncompressedSize, 0), config, chainId: chains[chains.length - 1] ?? null,
      parent: '', layers: records, added: Date.now(),
    };
    const tags = ref.digest ? [] : [refString({ domain: ref.domain, path: ref.path, tag: ref.tag ?? 'latest' })];
    const digests = [`${repoName(ref)}@${topDigest}`];
    const r = await deps.register(row, tags, digests);
    sink({ status: `Digest: ${topDigest}` });
    if (o.statusLine !== false) sink({ status: r.upToDate ? `Status: Image is up to date for ${what}` : `Status: Downloaded newer image for ${what}` });
    done = true;
    return { id: row.id, upToDate: r.upToDate };
  } finally {
    release();
    if (!done) await deps.discard(chains, [manifest.config.digest, manifestDigest, ...layers.map((l) => l.digest)]);
  }
}

async function fetchAndApply(
  deps: PullDeps, client: RegistryClient, what: string, layers: Descriptor[], diffIds: string[], chains: string[],
  sink: ProgressSink, concurrency: number,
): Promise<LayerRecord[]> {
  const progress = layers.map((l) => new LayerProgress(sink, shortDigest(l.digest)));
  const present = await Promise.all(layers.map(async (l, i) => await deps.snapshotter.hasLayer(chains[i]!) && await deps.content.has(l.digest)));
  const stored = await Promise.all(layers.map(async (l, i) => present[i] || await deps.content.has(l.digest)));
  // Docker names every layer first.
  layers.forEach((_l, i) => progress[i]!.status(present[i] ? 'Already exists' : 'Pulling fs layer'));
  const slots = new Slots(concurrency);
  const downloads = layers.map((l, i) => {
    if (stored[i]) {
      if (!present[i]) progress[i]!.status('Download complete');
      return null;
    }
    const d = new LayerDownload(deps.content, client, what, l, progress[i]!);
    if (slots.full) progress[i]!.status('Waiting');
    // Nothing unhandled if a download fails while an earlier layer is extracting. A slot is held while
    // the bytes come, not while the finished download waits for its unpacker's digest and commits.
    slots.run(() => {
      d.start().catch(() => {});
      return d.untilFetched();
    }).catch(() => {});
    return d;
  });
  const records: LayerRecord[] = [];
  try {
    // Each layer unpacks on its parent, so in order; each from its download's tail as the bytes arrive.
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i]!;
      const d = downloads[i] ?? null;
      let size: number;
      if (present[i]) {
        size = deps.layerSize(diffIds[i]!);
      } else if (await deps.snapshotter.hasLayer(chains[i]!)) {
        // Unpacked meanwhile by another pull: only the blob is still wanted.
        if (d) {
          d.hashItself();
          await d.settled();
          if (d.error) throw d.error;
        }
        size = deps.layerSize(diffIds[i]!);
        progress[i]!.status('Pull complete');
      } else {
        size = await extractLayer(deps, l, chains[i]!, i > 0 ? chains[i - 1]! : null, diffIds[i]!, what, progress[i]!, d);
        progress[i]!.status('Pull complete');
      }
      records.push({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: diffIds[i]!, uncompressedSize: size });
    }
  } catch (err) {
    for (const d of downloads) d?.cancel(err instanceof Error ? err : internal(String(err)));
    throw err;
  } finally {
    await Promise.all(downloads.map((d) => d?.settled()));
    await Promise.all(downloads.map((d) => d?.dispose()));
  }
  // A layer unpacks once its bytes are verified, while its blob is still being stored: that must have worked too.
  for (const d of downloads) if (d?.error) throw d.error;
  return records;
}

/** At most n tasks at once, started in the order they were queued. */
class Slots {
  readonly #n: number;
  #running = 0;
  readonly #queue: Array<() => void> = [];

  constructor(n: number) { this.#n = Math.max(1, n); }

  get full(): boolean { return this.#running >= this.#n; }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#n) await new Promise<void>((r) => this.#queue.push(r));
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      this.#queue.shift()?.();
    }
  }
}

function checkManifestDigest(body: Buffer, expected: string | null, what: string): string {
  const actual = sha256(body);
  if (expected && expected.startsWith('sha256:') && expected !== actual) {
    throw invalid(`${what}: manifest digest ${actual} does not match the expected ${expected}`);
  }
  return actual;
}

function parseOrFail(body: Buffer, contentType: string, what: string) {
  try {
    return parseManifest(body, isIndexType(contentType) || contentType.includes('manifest') ? contentType : '');
  } catch (err) {
    throw wrap(err, `${what}: invalid manifest`);
  }
}

function manifestError(err: unknown, what: string, ref: Reference): unknown {
  if (isCode(err, 'not_found')) {
    return notFound(`manifest for ${what} not found: ${(err as { registryDetail?: string }).registryDetail ?? (err as Error).message}`);
  }
  if (err instanceof BerthError && (err.code === 'unauthorized' || err.code === 'forbidden')) {
    return new BerthError(err.code, `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${err.message}`);
  }
  return wrap(err, `pulling ${what}`);
}
