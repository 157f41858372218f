// Applying planned images (plan.ts) to the stores. Per image, bottom layer
// first:
//   - a layer whose chain is a snapshot already reuses the blob an image
//     here has for it (docker skips it too, silently);
//   - a compressed layer file (gzip, zstd) stays the layer blob as it is,
//     and is unpacked from the store;
//   - a plain tar (Docker's own save writes these) is unpacked and, at the
//     same time, compressed into the gzip blob push will ship;
//   - the diffID of what was unpacked must be the config's.
// The config and manifest go to the content store; the caller registers
// the image. Everything is held against GC by the caller until then.

import { createHash } from 'node:crypto';
import { Transform, pipeline } from 'node:stream';
import { MT } from '../../core/distribution.ts';
import { invalid } from '../../core/errors.ts';
import type { Snapshotter } from '../../core/snapshot.ts';
import type { LayerLimits } from '../../stores/snapshots/apply.ts';
import type { ContentStore } from '../../stores/content.ts';
import type { ImageRow, LayerRecord } from '../../stores/metadata/images.ts';
import { detectCompression, decompress } from '../compression.ts';
import { LayerProgress, type ProgressSink, shortDigest } from '../distribution/progress.ts';
import { storeLayer } from '../layers.ts';
import { buildManifest, chainIds, sha256 } from '../records.ts';
import type { PlannedImage } from './plan.ts';

export interface LoadDeps {
  content: ContentStore;
  snapshotter: Snapshotter;
  /** A layer record an image on this host already has for this diffID (its blob present). */
  knownLayer(diffId: string): Promise<LayerRecord | undefined>;
  /** Unpacked bytes of a layer some image here has (0 if none). */
  layerSize(diffId: string): number;
  /** A blob this load wrote besides the archive's own (held against GC, dropped if the load fails). */
  written(digest: string): Promise<void>;
  limits: LayerLimits;
}

/** Unpacks and stores one planned image; returns its row (not yet registered) and the chains it applied. */
export async function loadImage(deps: LoadDeps, img: PlannedImage, sink: ProgressSink | null, applied: string[]): Promise<ImageRow> {
  const diffIds = img.config.rootfs.diff_ids;
  const chains = chainIds(diffIds);
  const records: LayerRecord[] = [];
  let keptAsIs = true;
  for (let i = 0; i < img.layers.length; i++) {
    const l = img.layers[i]!;
    const chain = chains[i]!;
    const parent = i > 0 ? chains[i - 1]! : null;
    const known = await deps.knownLayer(diffIds[i]!);
    if (known && await deps.snapshotter.hasLayer(chain)) {
      records.push(known);
      if (known.digest !== l.digest) keptAsIs = false;
      continue;
    }
    const progress = sink ? new LayerProgress(sink, shortDigest(chain)) : null;
    const rec = await loadLayer(deps, l.digest, l.size, l.path, diffIds[i]!, chain, parent, progress, applied);
    if (rec.digest !== l.digest) keptAsIs = false;
    records.push(rec);
  }
  await deps.content.writeBlob(img.configBytes, { digest: img.id, size: img.configBytes.length });
  let manifestBytes: Buffer;
  if (img.manifest && keptAsIs) {
    manifestBytes = img.manifest.bytes;
  } else {
    manifestBytes = Buffer.from(JSON.stringify(buildManifest({ digest: img.id, size: img.configBytes.length }, records)));
  }
  const manifestDigest = sha256(manifestBytes);
  await deps.content.writeBlob(manifestBytes, { digest: manifestDigest, size: manifestBytes.length });
  return {
    id: img.id, manifestDigest, created: img.config.created ?? new Date(0).toISOString(),
    size: records.reduce((a, r) => a + r.uncompressedSize, 0), config: img.config,
    chainId: chains[chains.length - 1] ?? null, parent: '', layers: records, added: Date.now(),
  };
}

async function head(content: ContentStore, digest: string, size: number): Promise<Buffer> {
  if (size === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const c of content.createReadStream(digest, { start: 0, end: Math.min(size, 6) - 1 }) as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

async function loadLayer(
  deps: LoadDeps, digest: string, size: number, path: string, diffId: string, chain: string, parent: string | null,
  progress: LayerProgress | null, applied: string[],
): Promise<LayerRecord> {
  const compression = detectCompression(await head(deps.content, digest, size));
  if (compression !== 'none' && compression !== 'gzip' && compression !== 'zstd') {
    throw invalid(`invalid image archive: layer ${path} is ${compression}-compressed (berth keeps layers as plain, gzip or zstd tars)`);
  }
  let read = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      read += chunk.length;
      progress?.update('Loading layer', read, size);
      cb(null, chunk);
    },
  });
  const src = deps.content.createReadStream(digest) as NodeJS.ReadableStream & NodeJS.ReadWriteStream;
  pipeline(src, counter, () => {});
  const { stream } = await decompress(counter, { maxRatio: deps.limits.maxRatio });
  // A plain tar is compressed for the store while it is unpacked.
  const raw = compression === 'none' ? deps.content.createReadStream(digest) as NodeJS.ReadableStream & { destroy(): void } : null;
  const gz = raw ? storeLayer(deps.content, raw, deps.limits) : null;
  let res: { diffId: string; size: number };
  try {
    if (await deps.snapshotter.hasLayer(chain)) {
      // A snapshot no image has a blob for (a leftover): only the diffID is checked.
      const h = createHash('sha256');
      let n = 0;
      for await (const c of stream as AsyncIterable<Buffer>) { h.update(c); n += c.length; }
      res = { diffId: `sha256:${h.digest('hex')}`, size: deps.layerSize(diffId) || n };
    } else {
      res = await deps.snapshotter.applyLayer(chain, parent, stream);
      applied.push(chain);
    }
    if (res.diffId !== diffId) {
      throw invalid(`invalid image archive: layer ${path} unpacks to ${res.diffId}, but the image config says ${diffId}`);
    }
  } catch (err) {
    raw?.destroy();
    if (gz) await gz.then((b) => deps.written(b.digest), () => {});
    throw err;
  } finally {
    stream.destroy();
    counter.destroy();
  }
  progress?.update('Loading layer', size, size, true);
  if (!gz) {
    return { digest, mediaType: compression === 'zstd' ? MT.ociLayerZstd : MT.ociLayerGzip, size, diffId, uncompressedSize: res.size };
  }
  const stored = await gz;
  await deps.written(stored.digest);
  return { digest: stored.digest, mediaType: MT.ociLayerGzip, size: stored.size, diffId, uncompressedSize: res.size };
}
