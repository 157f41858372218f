// New images on top of existing ones (docker commit, each build step):
//
//   1. the snapshot's changes are written as an uncompressed layer tar
//      into the content store (blob digest = diffID; Docker also keeps
//      layers uncompressed locally, compression is for the wire);
//   2. the blob and the new chain ID are leased;
//   3. the layer becomes a committed snapshot layer: either the writable
//      snapshot itself is turned into it (build: no copy, no re-extract),
//      or the blob, re-read by digest, is applied (a live container keeps
//      its snapshot);
//   4. config (parent's rootfs + the new diffID, history + one entry) and
//      manifest are written; the row (and tag) committed in one transaction;
//   5. on failure, leases go and what nothing reaches is collected.
// A step that changes no file adds no layer when asked (build), only the
// config and an empty_layer history entry.

import type { ImageConfigFile, ImageHistoryItem, ImageRecord, ImageRunConfig } from '../core/image.ts';
import type { Logger } from '../core/logger.ts';
import type { Snapshotter } from '../core/snapshot.ts';
import { internal } from '../core/errors.ts';
import type { ContentStore } from '../stores/content.ts';
import type { Database } from '../stores/metadata.ts';
import type { ImageRow, LayerRecord } from '../stores/metadata/images.ts';
import { collect, type GcDeps, type Mutex } from './gc.ts';
import { removeDropped, writeDiffTar, type WrittenDiff } from './layer-diff.ts';
import { buildManifest, chainIds, goArch, sha256, toRecord } from './records.ts';
import { refString, type Reference } from './reference.ts';

export const MEDIA_TYPE_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

/** The parts of the image service an image writer needs. */
export interface ImageWriter {
  db: Database;
  content: ContentStore;
  snapshotter: Snapshotter;
  mutex: Mutex;
  gc: GcDeps;
  logger: Logger;
  lease(keys: string[], mustExist: string[]): Promise<() => void>;
}

export interface NewImageOptions {
  /** The image built upon (null: scratch). */
  parent: ImageRecord | null;
  /** The writable snapshot (on parent's top layer) whose changes become the new layer; none: config-only image. */
  snapshotKey?: string;
  /**
   * An existing layer (of another image in the store) appended as it is, instead of a snapshot's
   * changes: a build step taken from --cache-from. Its chain must already be a committed layer.
   */
  reuseLayer?: LayerRecord;
  /** Turn the snapshot itself into the layer (it is gone afterwards); otherwise it stays as it is. */
  consumeSnapshot?: boolean;
  /** Paths of runtime mount points to leave out when they are empty (a container's snapshot). */
  mountStubs?: ReadonlySet<string>;
  /** An empty diff adds no layer (build), instead of an empty one (docker commit). */
  skipEmptyLayer?: boolean;
  runConfig: ImageRunConfig;
  history: Omit<ImageHistoryItem, 'created' | 'empty_layer'>;
  author?: string;
  comment?: string;
  /** Recorded as the row's parent (docker's Parent): the image the changes were made on. */
  parentId?: string;
  target?: Reference | null;
  created?: string;
  /** Extra top-level config fields Docker writes (container, container_config, docker_version...). */
  extra?: Record<string, unknown>;
}

export interface NewImage { record: ImageRecord; emptyLayer: boolean }

export async function writeImage(w: ImageWriter, o: NewImageOptions): Promise<NewImage> {
  const base = o.parent;
  const baseLayers = base ? (await rowOf(w, base.id)).layers : [];
  const releases: Array<() => void> = [];
  const written: string[] = [];
  let newChain: string | null = null;
  let reusedChain: string | null = null;
  try {
    let layer: LayerRecord | null = null;
    if (o.snapshotKey) {
      const ingest = await w.content.openIngest();
      let t: WrittenDiff;
      try {
        t = await writeDiffTar(w.snapshotter, o.snapshotKey, o.mountStubs, (c) => ingest.write(c));
      } catch (err) {
        await ingest.abort();
        throw err;
      }
      // Leased before the blob is visible, so no collection can take it meanwhile.
      let chain = '';
      let release = () => {};
      const blob = await ingest.commit({}, async (b) => {
        const ids = chainIds([...(base?.config.rootfs.diff_ids ?? []), b.digest]);
        chain = ids[ids.length - 1]!;
        release = await w.lease([b.digest, chain], []);
      });
      written.push(blob.digest);
      if (!(o.skipEmptyLayer && t.changes === 0)) {
        releases.push(release);
        newChain = chain;
        const diffId = blob.digest;
        const size = t.contentBytes;
        if (o.consumeSnapshot) {
          // The snapshot becomes the layer: it must hold what the tar holds, without the mount stubs.
          removeDropped(t.dropped);
          await w.snapshotter.commit(o.snapshotKey, newChain, { diffId, size });
        } else {
          const res = await w.snapshotter.applyLayer(newChain, base?.chainId ?? null, w.content.createReadStream(blob.digest));
          if (res.diffId !== diffId) throw internal(`layer blob ${blob.digest} unpacks to ${res.diffId}`);
        }
        layer = { digest: blob.digest, mediaType: MEDIA_TYPE_LAYER_TAR, size: blob.size, diffId, uncompressedSize: size };
      } else {
        // The empty tar nothing will reference (unless another image already does).
        release();
        await w.mutex.run(() => collect(w.gc, { chainIds: [], blobs: [blob.digest] }));
        written.pop();
      }
    }
    if (o.reuseLayer) {
      const ids = chainIds([...(base?.config.rootfs.diff_ids ?? []), o.reuseLayer.diffId]);
      newChain = ids[ids.length - 1]!;
      releases.push(await w.lease([o.reuseLayer.digest, newChain], []));
      if (!(await w.snapshotter.hasLayer(newChain))) throw internal(`layer ${newChain} to reuse is not in the store`);
      layer = o.reuseLayer;
      newChain = null; // not ours to collect on failure
      reusedChain = ids[ids.length - 1]!;
    }
    const created = o.created ?? new Date().toISOString();
    const cfgBase = base?.config;
    const history: ImageHistoryItem = {
      created,
      ...(o.author ? { author: o.author } : {}),
      ...o.history,
      ...(layer ? {} : { empty_layer: true }),
    };
    const config: ImageConfigFile & Record<string, unknown> = {
      architecture: cfgBase?.architecture ?? goArch(),
      ...(cfgBase?.variant ? { variant: cfgBase.variant } : {}),
      ...(o.author ? { author: o.author } : {}),
      ...(o.comment ? { comment: o.comment } : {}),
      config: o.runConfig,
      ...o.extra,
      created,
      os: cfgBase?.os ?? 'linux',
      rootfs: { type: 'layers', diff_ids: [...(cfgBase?.rootfs.diff_ids ?? []), ...(layer ? [layer.diffId] : [])] },
      history: [...(cfgBase?.history ?? []), history],
    };
    const layers = [...baseLayers, ...(layer ? [layer] : [])];
    const configBytes = Buffer.from(JSON.stringify(config));
    const configBlob = { digest: sha256(configBytes), size: configBytes.length };
    const manifestBytes = Buffer.from(JSON.stringify(buildManifest(configBlob, layers)));
    const manifestDigest = sha256(manifestBytes);
    releases.push(await w.lease([configBlob.digest, manifestDigest], []));
    written.push(configBlob.digest, manifestDigest);
    await w.content.writeBlob(configBytes, configBlob);
    await w.content.writeBlob(manifestBytes, { digest: manifestDigest, size: manifestBytes.length });
    const row: ImageRow = {
      id: configBlob.digest, manifestDigest, created,
      size: layers.reduce((n, l) => n + l.uncompressedSize, 0), config,
      chainId: layer ? (reusedChain ?? newChain) : (base?.chainId ?? null), parent: o.parentId ?? '', layers, added: Date.now(),
    };
    await w.mutex.run(async () => {
      w.db.transaction(() => {
        w.db.images.put(row);
        if (o.target) w.db.images.setTag(refString(o.target), row.id);
      });
    });
    return { record: toRecord(w.db, row), emptyLayer: !layer };
  } catch (err) {
    for (const r of releases.splice(0)) r();
    await w.mutex.run(() => collect(w.gc, { chainIds: newChain ? [newChain] : [], blobs: written }))
      .catch((e) => w.logger.warn('cleanup after failed commit failed', { err: String(e) }));
    throw err;
  } finally {
    for (const r of releases) r();
  }
}

async function rowOf(w: ImageWriter, id: string): Promise<ImageRow> {
  const row = w.db.images.get(id);
  if (!row) throw internal(`image ${id} vanished`);
  return row;
}
