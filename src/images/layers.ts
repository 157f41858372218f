// Layers into the stores: a tar stream (any compression) becomes a gzip
// blob in the content store, and that blob, re-read by digest, becomes a
// committed snapshot layer. Re-reading from the store instead of teeing the
// input means what is applied is exactly what push/save will ship.

import { createHash } from 'node:crypto';
import { Transform, pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { internal, invalid } from '../core/errors.ts';
import type { Snapshotter } from '../core/snapshot.ts';
import type { ContentStore } from '../stores/content.ts';
import type { LayerRecord } from '../stores/metadata/images.ts';
import { decompress, type DecompressLimits } from './compression.ts';
import { MEDIA_TYPE_LAYER_GZIP } from './records.ts';

export interface StoredLayer {
  digest: string;      // gzip blob
  size: number;        // compressed bytes
  diffId: string;      // sha256 of the uncompressed tar
  tarSize: number;     // uncompressed tar bytes
}

/**
 * Stores a layer tar (any compression) as a gzip blob, computing its diffID
 * on the way; `limits` bound the uncompressed size and how much a
 * compressed input may expand (decompression bombs). `lease` is called
 * with the blob's digest and diffID before the blob becomes visible, so a
 * concurrent collection cannot take it (see Ingest.commit); its release is
 * returned with the layer.
 */
export async function storeLayer(
  content: ContentStore, src: NodeJS.ReadableStream | AsyncIterable<Buffer>, limits: DecompressLimits & { maxBytes: number },
  lease?: (keys: string[]) => Promise<() => void>,
): Promise<StoredLayer & { release: () => void }> {
  const { maxBytes } = limits;
  const { stream } = await decompress(src, { maxRatio: limits.maxRatio ?? 0 });
  const hash = createHash('sha256');
  let tarSize = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      tarSize += chunk.length;
      if (tarSize > maxBytes) {
        cb(invalid(`archive exceeds the limit of ${maxBytes} uncompressed bytes (max-layer-size)`));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  // Fastest level: twice the speed of the default for ~7% more bytes, and an
  // import waits for this before it can apply anything.
  const gz = zlib.createGzip({ level: zlib.constants.Z_BEST_SPEED });
  pipeline(stream, counter, gz, () => {});
  let blob;
  let diffId = '';
  let release = () => {};
  try {
    blob = await content.ingest(gz, {}, async (b) => {
      diffId = `sha256:${hash.digest('hex')}`;
      if (lease) release = await lease([b.digest, diffId]);
    });
  } catch (err) {
    release();
    gz.destroy();
    throw err;
  }
  return { digest: blob.digest, size: blob.size, diffId, tarSize, release };
}

/** Applies a stored gzip layer blob as chainId on top of parent; checks the diffID. */
export async function applyStoredLayer(
  content: ContentStore, snapshotter: Snapshotter, layer: StoredLayer, chainId: string, parent: string | null,
): Promise<LayerRecord> {
  const gunzip = zlib.createGunzip();
  pipeline(content.createReadStream(layer.digest) as NodeJS.ReadableStream & NodeJS.ReadWriteStream, gunzip, () => {});
  let res;
  try {
    res = await snapshotter.applyLayer(chainId, parent, gunzip);
  } finally {
    gunzip.destroy(); // closes the blob's file too, whether or not it was read to the end
  }
  if (res.diffId !== layer.diffId) {
    throw internal(`layer blob ${layer.digest} unpacks to ${res.diffId}, expected ${layer.diffId}`);
  }
  return { digest: layer.digest, mediaType: MEDIA_TYPE_LAYER_GZIP, size: layer.size, diffId: layer.diffId, uncompressedSize: res.size };
}
