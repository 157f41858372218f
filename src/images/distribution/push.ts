// Pushing an image: its blobs exactly as stored (layers compressed as they
// were fetched or imported, so digests never change and nothing is
// recompressed), then the stored manifest bytes under the tag. For each
// layer: HEAD (present: "Layer already exists"), else a cross-repository
// mount from another repository of the same registry this host pulled it
// from ("Mounted from ..."), else an upload; layers go concurrently.

import { parseManifest } from '../../core/distribution.ts';
import { notFound, wrap } from '../../core/errors.ts';
import type { ContentReader } from '../../stores/content.ts';
import type { ImageRow } from '../../stores/metadata/images.ts';
import { type Reference, familiarName, parseNormalized, repoName } from '../reference.ts';
import type { Credentials } from './auth.ts';
import { RegistryClient } from './client.ts';
import { type RegistryOptions, pickEndpoint } from './endpoints.ts';
import { LayerProgress, type ProgressSink, shortDigest } from './progress.ts';
import { Transform } from 'node:stream';
import { uploadBlob } from './upload.ts';

export interface PushDeps {
  content: ContentReader;
  hold(keys: string[]): Promise<() => void>;
  registry: RegistryOptions;
  /** Normalized repo digests ("host/a/b@sha256:...") of images holding a blob, for mounts. */
  reposWithBlob(digest: string): string[];
  /** Records the pushed manifest's repo digest on the image (docker inspect's RepoDigests). */
  addDigest(ref: string, imageId: string): void;
}

export interface PushTarget {
  ref: Reference;
  row: ImageRow;
}

export async function pushImages(deps: PushDeps, repo: Reference, targets: PushTarget[], creds: Credentials, sink: ProgressSink): Promise<void> {
  const name = familiarName(repo);
  sink({ status: `The push refers to repository [${repoName(repo)}]` });
  const ep = await pickEndpoint(repo.domain, deps.registry).catch((err) => { throw wrap(err, `pushing ${name}: registry ${repo.domain} unreachable`); });
  const sameRegistry = (digest: string) => deps.reposWithBlob(digest)
    .map((r) => { try { return parseNormalized(r.split('@')[0]!); } catch { return null; } })
    .filter((r): r is Reference => !!r && r.domain === repo.domain && r.path !== repo.path)
    .map((r) => r.path);
  const mountScopes = new Set<string>();
  for (const t of targets) for (const l of t.row.layers) for (const p of sameRegistry(l.digest)) mountScopes.add(`repository:${p}:pull`);
  const client = new RegistryClient(ep, repo.path, {
    credentials: creds, actions: ['pull', 'push'], ...(deps.registry.timeouts ? { timeouts: deps.registry.timeouts } : {}),
  });
  await client.authenticate([...mountScopes]).catch((err) => { throw wrap(err, `pushing ${name} to ${ep.host}`); });
  for (const t of targets) await pushOne(deps, client, t, sameRegistry, sink);
}

async function pushOne(deps: PushDeps, client: RegistryClient, t: PushTarget, mountable: (d: string) => string[], sink: ProgressSink): Promise<void> {
  const row = t.row;
  const manifestBytes = await deps.content.readBlob(row.manifestDigest);
  const manifest = parseManifest(manifestBytes);
  if (manifest.kind !== 'manifest') throw notFound(`${t.ref.tag}: stored manifest of ${row.id} is an index`);
  const release = await deps.hold([row.manifestDigest, row.id, ...row.layers.map((l) => l.digest)]);
  try {
    // Docker lists the top layer first, by diffID.
    const layers = [...row.layers].reverse();
    const progress = layers.map((l) => new LayerProgress(sink, shortDigest(l.diffId)));
    progress.forEach((p) => p.status('Preparing'));
    let next = 0;
    const worker = async () => {
      while (next < layers.length) {
        const i = next++;
        await pushBlob(deps, client, layers[i]!.digest, layers[i]!.size, mountable, progress[i]!);
      }
    };
    if (layers.length > 3) progress.slice(3).forEach((p) => p.status('Waiting'));
    await Promise.all([worker(), worker(), worker()]);
    await pushBlob(deps, client, manifest.config.digest, manifest.config.size, () => [], null);
    const digest = await client.putManifest(t.ref.tag!, manifest.mediaType, manifestBytes);
    const d = digest ?? row.manifestDigest;
    deps.addDigest(`${repoName(t.ref)}@${d}`, row.id);
    sink({ status: `${t.ref.tag}: digest: ${d} size: ${manifestBytes.length}` });
    sink({ progressDetail: {}, aux: { Tag: t.ref.tag, Digest: d, Size: manifestBytes.length } });
  } catch (err) {
    throw wrap(err, `pushing ${familiarName(t.ref)}:${t.ref.tag} to ${client.endpoint.host}`);
  } finally {
    release();
  }
}

async function pushBlob(deps: PushDeps, client: RegistryClient, digest: string, size: number, mountable: (d: string) => string[], p: LayerProgress | null): Promise<void> {
  if (await client.hasBlob(digest)) {
    p?.status('Layer already exists');
    return;
  }
  for (const from of mountable(digest)) {
    if (await client.mount(digest, from)) {
      p?.status(`Mounted from ${from}`);
      return;
    }
  }
  await uploadBlob(client, {
    digest, size,
    ...(deps.content.path ? { file: deps.content.path(digest) } : {}),
    onProgress: (sent) => p?.update('Pushing', sent, size),
    open: (start, end) => {
      const src = deps.content.createReadStream(digest, { start, end });
      let sent = start;
      const counter = new Transform({
        transform(chunk: Buffer, _e, cb) {
          sent += chunk.length;
          p?.update('Pushing', sent, size);
          cb(null, chunk);
        },
      });
      src.on('error', (e) => counter.destroy(e));
      counter.on('close', () => (src as unknown as { destroy(): void }).destroy());
      return src.pipe(counter);
    },
  });
  p?.status('Pushed');
}
