// `docker save`: images as one tar in the layout Docker 25+ writes, which
// is an OCI image layout and Docker's own format at once:
//
//   blobs/sha256/<hex>   layers exactly as stored (gzip, zstd or plain:
//                        no recompression, so the stored manifest still
//                        names them), configs, manifests
//   index.json           one descriptor per tag (io.containerd.image.name,
//                        org.opencontainers.image.ref.name), or one untagged
//   oci-layout           {"imageLayoutVersion":"1.0.0"}
//   manifest.json        [{Config, RepoTags, Layers}] paths into blobs/,
//                        what `docker load` (every version) reads
//   repositories         {name: {tag: <top layer hex>}}, the legacy index
//
// Docker 20's load reads manifest.json and decompresses each layer file
// whatever its compression, so gzip layers load there as they are.

import { MT } from '../../core/distribution.ts';
import { internal } from '../../core/errors.ts';
import type { ContentReader } from '../../stores/content.ts';
import type { ImageRow } from '../../stores/metadata/images.ts';
import { emptyHeader } from '../../stores/tar/format.ts';
import type { TarEntry } from '../../stores/tar/writer.ts';
import { imageManifest } from '../records.ts';
import { familiarName, familiarString, refString, type Reference } from '../reference.ts';

/** One image to save, with the tags it is saved under (none: saved by ID). */
export interface SaveItem {
  row: ImageRow;
  tags: Reference[];
}

interface PlannedBlob { digest: string; size: number; bytes?: Buffer }

export interface SavePlan {
  blobs: PlannedBlob[];
  meta: Array<{ name: string; bytes: Buffer }>;
}

const blobPath = (digest: string) => `blobs/${digest.replace(':', '/')}`;

/**
 * Works out every file of the archive and checks each blob is in the store,
 * before a byte is sent: a missing blob is an error response, not a cut
 * archive.
 */
export async function planSave(content: ContentReader, items: SaveItem[]): Promise<SavePlan> {
  const blobs = new Map<string, PlannedBlob>();
  const add = async (digest: string, bytes?: Buffer) => {
    if (blobs.has(digest)) return;
    if (bytes) { blobs.set(digest, { digest, size: bytes.length, bytes }); return; }
    const info = await content.info(digest).catch(() => null);
    if (!info) throw internal(`blob ${digest} of an image being saved is missing from the content store`);
    blobs.set(digest, { digest, size: info.size });
  };
  const index: Array<Record<string, unknown>> = [];
  const manifestJson: Array<Record<string, unknown>> = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { row, tags } of items) {
    for (const l of row.layers) await add(l.digest);
    const config = await content.readBlob(row.id).catch(() => null);
    if (!config) throw internal(`config of image ${row.id} is missing from the content store`);
    await add(row.id, config);
    const m = imageManifest(row, await content.readBlob(row.manifestDigest).catch(() => null), config.length);
    await add(m.digest, m.bytes);
    const desc = { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
    for (const t of tags) {
      index.push({ ...desc, annotations: { 'io.containerd.image.name': refString(t), 'org.opencontainers.image.ref.name': t.tag ?? 'latest' } });
    }
    if (!tags.length) index.push(desc);
    manifestJson.push({
      Config: blobPath(row.id),
      RepoTags: tags.length ? tags.map((t) => familiarString(t)) : null,
      Layers: row.layers.map((l) => blobPath(l.digest)),
    });
    const top = row.layers[row.layers.length - 1];
    for (const t of tags) {
      if (!top) continue;
      (repositories[familiarName(t)] ??= {})[t.tag ?? 'latest'] = top.digest.replace(/^[a-z0-9]+:/, '');
    }
  }
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const meta = [
    { name: 'index.json', bytes: json({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: index }) },
    { name: 'manifest.json', bytes: json(manifestJson) },
    { name: 'oci-layout', bytes: json({ imageLayoutVersion: '1.0.0' }) },
  ];
  if (Object.keys(repositories).length) meta.push({ name: 'repositories', bytes: json(repositories) });
  return { blobs: [...blobs.values()], meta };
}

/** The archive's entries: directories, blobs (streamed from the store), then the index files. */
export async function* saveEntries(content: ContentReader, plan: SavePlan): AsyncGenerator<TarEntry> {
  yield { header: emptyHeader('blobs', 'dir') };
  const algs = new Set(plan.blobs.map((b) => b.digest.split(':')[0]!));
  for (const a of algs) yield { header: emptyHeader(`blobs/${a}`, 'dir') };
  for (const b of plan.blobs) {
    const header = { ...emptyHeader(blobPath(b.digest), 'file'), size: b.size };
    yield { header, body: b.bytes ?? (content.createReadStream(b.digest) as AsyncIterable<Buffer>) };
  }
  for (const m of plan.meta) yield { header: { ...emptyHeader(m.name, 'file'), size: m.bytes.length }, body: m.bytes };
}
