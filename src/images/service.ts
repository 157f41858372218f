// The image service: import, seed, list, resolve, tag, remove, history.
//
// How an import lands (and how it never half-lands):
//   1. the input (plain, gzip, zstd, xz, bzip2) is stored as a gzip layer
//      blob while its diffID is computed;           -- no lock held
//   2. the blob and the chain ID are leased (under the mutex), so a
//      concurrent `rmi` cannot collect them from under us;
//   3. the blob, re-read by digest, is applied as a snapshot layer;
//   4. config and manifest are written to the content store;
//   5. the image row and its tag are committed in one transaction;
//   6. on any failure, the leases go and whatever nothing else reaches is
//      collected (blobs, the layer).
// Removal commits metadata first, then collects layers and blobs by
// reachability under the same mutex.

import type { EventSink } from '../core/events.ts';
import type { ImageDiskUsage } from '../core/disk-usage.ts';
import type { HistoryEntry, ImageConfigFile, ImageFilters, ImagePruneOptions, ImagePruneReport, ImageRecord, ImageRunConfig, ImageService, ImportOptions, RemovedImage } from '../core/image.ts';
import type { Logger } from '../core/logger.ts';
import type { Snapshotter } from '../core/snapshot.ts';
import { unavailable } from '../core/errors.ts';
import type { ContentStore } from '../stores/content.ts';
import type { Database } from '../stores/metadata.ts';
import type { ImageRow, LayerRecord } from '../stores/metadata/images.ts';
import { SqliteLeaseRepository } from '../stores/metadata/leases.ts';
import { DEFAULT_LAYER_LIMITS, type LayerLimits } from '../stores/snapshots/apply.ts';
import { tarStream } from '../stores/tar/writer.ts';
import { applyChanges } from './changes.ts';
import { Mutex, collect, collectUnordered, sweep, type GcDeps } from './gc.ts';
import { LeaseExpiry, Leases, type LeaseOptions } from './leases.ts';
import { imageHistory } from './history.ts';
import { applyStoredLayer, storeLayer } from './layers.ts';
import { writeImage, type ImageWriter, type NewImageOptions } from './commit.ts';
import { listImages } from './list.ts';
import { layersWithDiffId, reposWithBlob } from './lookups.ts';
import { pruneImages } from './prune.ts';
import { imageDiskUsage } from './usage.ts';
import { buildManifest, familiar, imageRoots, sha256, toRecord } from './records.ts';
import { familiarString, refString, type Reference } from './reference.ts';
import { ImageRemoval, type ImageUser } from './remove.ts';
import { resolveRow } from './resolve.ts';
import { parsePlatform, tagTarget } from './targets.ts';
import { DEFAULT_BUSYBOX, SEED_ENV, busyboxLayer } from './seed.ts';

export interface ImageServiceLimits {
  /** Uncompressed bytes of one imported layer (default 32 GiB; `max-layer-size`). */
  maxLayerBytes?: number;
  /** How much a compressed layer may expand (default 100; `max-compression-ratio`, 0: unchecked). */
  maxCompressionRatio?: number;
}

export interface ImageServiceOptions {
  dataRoot: string;
  db: Database;
  snapshotter: Snapshotter;
  content: ContentStore;
  events: EventSink;
  usersOfImage: (imageId: string) => Promise<ImageUser[]>;
  logger: Logger;
  limits?: ImageServiceLimits;
  /** The static busybox seedDefault() builds from (default /bin/busybox). */
  busyboxPath?: string;
}

/** Import options the engine itself may set (seed, later commit/build). */
export interface InternalImportOptions extends ImportOptions {
  created?: string;
  createdBy?: string;
  /** Starting run config before `changes` apply. */
  baseConfig?: ImageRunConfig;
}

const SEED_REFERENCE = 'busybox:latest';

export class BerthImageService implements ImageService {
  readonly snapshotter: Snapshotter;
  readonly content: ContentStore;
  /** Holds on blobs and layers that GC must keep (for in-flight work elsewhere, e.g. pull). */
  readonly leases: Leases;
  readonly #db: Database;
  readonly #events: EventSink;
  readonly #usersOfImage: (imageId: string) => Promise<ImageUser[]>;
  readonly #log: Logger;
  readonly #limits: LayerLimits;
  readonly #busybox: string;
  readonly #mutex = new Mutex();
  readonly #deferred = new Set<string>();
  readonly #expiry: LeaseExpiry;

  constructor(o: ImageServiceOptions) {
    this.snapshotter = o.snapshotter;
    this.content = o.content;
    this.#db = o.db;
    this.leases = new Leases(new SqliteLeaseRepository(o.db));
    this.#events = o.events;
    this.#usersOfImage = o.usersOfImage;
    this.#log = o.logger.child({ component: 'images' });
    this.#expiry = new LeaseExpiry(this.leases, (fn) => this.#mutex.run(fn), (keys) => collectUnordered(this.#gc, keys, keys), this.#log);
    this.#limits = {
      ...DEFAULT_LAYER_LIMITS,
      ...(o.limits?.maxLayerBytes !== undefined ? { maxBytes: o.limits.maxLayerBytes } : {}),
      ...(o.limits?.maxCompressionRatio !== undefined ? { maxRatio: o.limits.maxCompressionRatio } : {}),
    };
    this.#busybox = o.busyboxPath ?? DEFAULT_BUSYBOX;
  }

  get #gc(): GcDeps {
    return {
      db: this.#db, content: this.content, snapshotter: this.snapshotter, leases: this.leases,
      logger: this.#log, deferred: this.#deferred,
    };
  }

  async list(opts: { all?: boolean; filters?: ImageFilters }): Promise<ImageRecord[]> {
    return listImages(this.#db, opts);
  }

  async resolve(ref: string): Promise<ImageRecord> {
    return toRecord(this.#db, resolveRow(this.#db, ref));
  }

  async history(ref: string): Promise<HistoryEntry[]> {
    return imageHistory(this.#db, resolveRow(this.#db, ref));
  }

  async tag(source: string, repo: string, tag?: string): Promise<void> {
    const row = resolveRow(this.#db, source);
    const target = tagTarget(repo, tag);
    await this.#mutex.run(async () => {
      this.#db.transaction(() => this.#db.images.setTag(refString(target), row.id));
    });
    this.#emit('tag', row, familiarString(target));
  }

  async remove(ref: string, opts: { force?: boolean; noprune?: boolean }): Promise<RemovedImage[]> {
    return this.#mutex.run(async () => {
      const removal = new ImageRemoval({
        db: this.#db,
        usersOfImage: this.#usersOfImage,
        emit: (action, row) => this.#emit(action, row, row.id),
      });
      try {
        await removal.run(ref, !!opts.force, !opts.noprune);
      } catch (err) {
        // A conflict met after some rows were deleted: what they held is collected all the same.
        if (removal.deleted.length) await this.#collectRemoved(removal.deleted);
        throw err;
      }
      return [...removal.records, ...(await this.#collectRemoved(removal.deleted)).map((c) => ({ deleted: c }))];
    });
  }

  /** Collects what deleted image rows held; returns the layers removed. Failures are logged (the next sweep retries). */
  async #collectRemoved(deleted: ImageRow[]): Promise<string[]> {
    const candidates = { chainIds: [] as string[], blobs: [] as string[] };
    for (const row of deleted) {
      const roots = imageRoots(row);
      candidates.chainIds.push(...roots.chainIds.reverse()); // top layer first
      candidates.blobs.push(...roots.blobs);
    }
    let removedLayers: string[] = [];
    try {
      removedLayers = (await collect(this.#gc, candidates)).chainIds;
      // Layers an earlier removal left under a container snapshot: that container may be gone
      // now. Not reported: docker lists only what this removal released.
      if (this.#deferred.size) await collect(this.#gc, { chainIds: [...this.#deferred], blobs: [] });
    } catch (err) {
      // Metadata is committed: the image is gone. Leftovers go in the next sweep.
      this.#log.warn('garbage collection after image removal failed', { err: String(err) });
    }
    return removedLayers;
  }

  async diskUsage(containersOf: (imageId: string) => number): Promise<ImageDiskUsage> {
    return imageDiskUsage(this.#db, containersOf);
  }

  async prune(opts: ImagePruneOptions): Promise<ImagePruneReport> {
    const report = await pruneImages({
      rows: () => this.#db.images.list(),
      tagsOf: (id) => this.#db.images.tagsOf(id),
      digestsOf: (id) => this.#db.images.digestsOf(id),
      inUse: async (id) => (await this.#usersOfImage(id)).length > 0,
      remove: (ref) => this.remove(ref, {}),
    }, opts);
    this.#events.emit('image', 'prune', '', { reclaimed: String(report.spaceReclaimed) });
    return report;
  }

  /**
   * Removes every layer and blob no image reaches. Meant for daemon start,
   * and for after a container removal when its image was force-removed.
   */
  async gc(): Promise<{ chainIds: string[]; blobs: string[] }> {
    return this.#mutex.run(async () => {
      try {
        return await sweep(this.#gc);
      } finally {
        this.#expiry.arm();
      }
    });
  }

  /**
   * After a pull succeeded: leases an earlier process left for the same
   * pull (cut by a crash, resumed by this one) go, and what only they held
   * is collected.
   */
  async supersedeLeases(label: string): Promise<void> {
    await this.#expiry.supersede(label);
  }

  async import(src: NodeJS.ReadableStream, opts: ImportOptions): Promise<ImageRecord> {
    return this.importImage(src, opts);
  }

  async importImage(src: NodeJS.ReadableStream | AsyncIterable<Buffer>, opts: InternalImportOptions): Promise<ImageRecord> {
    // Everything a user can get wrong is checked before reading a byte.
    const target = opts.reference ? tagTarget(opts.reference) : null;
    const platform = parsePlatform(opts.platform);
    const runConfig = applyChanges(opts.baseConfig ?? {}, opts.changes ?? []);

    const stored = await storeLayer(this.content, src, this.#limits, (keys) => this.#lease(keys, []));
    const chainId = stored.diffId;
    const written = [stored.digest];
    const releases: Array<() => void> = [stored.release];
    try {
      const layer = await applyStoredLayer(this.content, this.snapshotter, stored, chainId, null);
      const created = opts.created ?? new Date().toISOString();
      const config: ImageConfigFile & { comment?: string } = {
        architecture: platform.architecture,
        ...(platform.variant ? { variant: platform.variant } : {}),
        os: 'linux',
        created,
        ...(opts.message ? { comment: opts.message } : {}),
        config: runConfig,
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
        history: [{
          created,
          ...(opts.createdBy ? { created_by: opts.createdBy } : {}),
          ...(opts.message ? { comment: opts.message } : {}),
        }],
      };
      const configBytes = Buffer.from(JSON.stringify(config));
      const configBlob = { digest: sha256(configBytes), size: configBytes.length };
      const manifestBytes = Buffer.from(JSON.stringify(buildManifest(configBlob, [layer])));
      const manifestDigest = sha256(manifestBytes);
      releases.push(await this.#lease([configBlob.digest, manifestDigest], []));
      written.push(configBlob.digest, manifestDigest);
      await this.content.writeBlob(configBytes, configBlob);
      await this.content.writeBlob(manifestBytes, { digest: manifestDigest, size: manifestBytes.length });
      const row: ImageRow = {
        id: configBlob.digest, manifestDigest, created, size: layer.uncompressedSize, config,
        chainId, parent: '', layers: [layer], added: Date.now(),
      };
      await this.#mutex.run(async () => {
        this.#db.transaction(() => {
          this.#db.images.put(row);
          if (target) this.#db.images.setTag(refString(target), row.id);
        });
      });
      this.#emit('import', row, row.id);
      if (target) this.#emit('tag', row, familiarString(target));
      return toRecord(this.#db, row);
    } catch (err) {
      for (const r of releases.splice(0)) r();
      await this.#mutex.run(() => collect(this.#gc, { chainIds: [chainId], blobs: written }))
        .catch((e) => this.#log.warn('cleanup after failed import failed', { err: String(e) }));
      throw err;
    } finally {
      for (const r of releases) r();
    }
  }

  /** A new image on top of another (commit, build steps); emits no event. */
  async newImage(opts: NewImageOptions): Promise<ImageRecord> {
    return (await this.newImageDetailed(opts)).record;
  }

  async newImageDetailed(opts: NewImageOptions): Promise<{ record: ImageRecord; emptyLayer: boolean }> {
    const w: ImageWriter = {
      db: this.#db, content: this.content, snapshotter: this.snapshotter, mutex: this.#mutex, gc: this.#gc,
      logger: this.#log, lease: (keys, mustExist) => this.#lease(keys, mustExist),
    };
    return writeImage(w, opts);
  }

  /** "repo[:tag]" (+ tag) checked as a tag reference. */
  tagReference(repo: string, tag?: string): Reference {
    return tagTarget(repo, tag);
  }

  /** An image event named by the image's ID (docker save, load). */
  emitById(action: string, id: string): void {
    const row = this.#db.images.get(id);
    if (row) this.#emit(action, row, row.id);
  }

  emitTag(id: string, name: string): void {
    const row = this.#db.images.get(id);
    if (row) this.#emit('tag', row, familiarString(tagTarget(name)));
  }

  async seedDefault(): Promise<void> {
    const ref = refString(tagTarget(SEED_REFERENCE));
    if (this.#db.images.tagTarget(ref)) return;
    const layer = await busyboxLayer(this.#busybox);
    const rec = await this.importImage(tarStream(layer.entries), {
      reference: SEED_REFERENCE,
      changes: ['CMD ["sh"]', `ENV ${SEED_ENV}`],
      created: layer.created.toISOString(),
      createdBy: `BUSYBOX seeded from host ${this.#busybox}`,
    });
    this.#log.info('seeded busybox:latest', { id: rec.id, from: this.#busybox });
  }

  /** The stored row of an image (layers, manifest digest), for push and save. */
  row(ref: string): ImageRow {
    return resolveRow(this.#db, ref);
  }

  /** Unpacked bytes of a layer some image already has, 0 if none. */
  layerSize(diffId: string): number { return layersWithDiffId(this.#db, diffId)[0]?.uncompressedSize ?? 0; }

  /** A stored layer some image has for this diffID, whose blob is still here (load reuses it). */
  async knownLayer(diffId: string): Promise<LayerRecord | undefined> {
    for (const l of layersWithDiffId(this.#db, diffId)) if (await this.content.has(l.digest)) return l;
    return undefined;
  }

  /** The limit on one layer's uncompressed bytes (import, load). */
  get maxLayerBytes(): number { return this.#limits.maxBytes; }
  /** What every unpacking path bounds a layer by (import, load, pull, build context, cp). */
  get layerLimits(): LayerLimits { return this.#limits; }

  /** Records "host/repo@digest" on an image still here (a push, as dockerd records it). */
  addDigest(ref: string, id: string): void { if (this.#db.images.get(id)) this.#db.images.addDigest(ref, id); }

  /** Normalized repo digests of the images holding a blob (where it came from, for mounts). */
  reposWithBlob(digest: string): string[] { return reposWithBlob(this.#db, digest); }

  /** After a failed pull or load: removes what it wrote that no image reaches (and no one holds). */
  async discard(chainIds: string[], blobs: string[]): Promise<void> {
    await this.#mutex.run(() => collect(this.#gc, { chainIds: [...chainIds].reverse(), blobs }))
      .catch((e) => this.#log.warn('cleanup after a failed pull failed', { err: String(e) }));
  }

  /** Holds blobs and layers against GC for a pull or push in flight (released by the returned function). */
  async hold(keys: string[], opts: LeaseOptions = {}): Promise<() => void> {
    return this.#lease(keys, [], opts);
  }

  /**
   * Records a pulled (or loaded) image: the row, its tags and repo digests
   * in one transaction. Returns whether the image was new and whether every
   * tag already pointed at it (docker's "Image is up to date").
   */
  async register(row: ImageRow, tags: string[], digests: string[], action = 'pull', oneEvent = false): Promise<{ isNew: boolean; upToDate: boolean }> {
    return this.#mutex.run(async () => {
      let upToDate = true;
      const isNew = !this.#db.images.get(row.id);
      this.#db.transaction(() => {
        if (isNew) this.#db.images.put(row);
        for (const t of tags) if (this.#db.images.setTag(t, row.id) !== row.id) upToDate = false;
        for (const d of digests) this.#db.images.addDigest(d, row.id);
      });
      const stored = this.#db.images.get(row.id)!;
      // docker load reports one event per image, named by its ID; pull one per tag.
      if (!oneEvent) for (const t of tags) this.#emit(action, stored, familiar(t));
      if (!tags.length || oneEvent) this.#emit(action, stored, row.id);
      return { isNew, upToDate: upToDate && !isNew };
    });
  }

  /** Takes leases under the mutex (so no collection is half-way) and checks the blobs are still there. */
  async #lease(keys: string[], mustExist: string[], opts: LeaseOptions = {}): Promise<() => void> {
    return this.#mutex.run(async () => {
      const release = this.leases.acquire(keys, opts);
      for (const d of mustExist) {
        if (!(await this.content.has(d))) {
          release();
          throw unavailable(`blob ${d} was removed by a concurrent image removal; retry`);
        }
      }
      return release;
    });
  }

  #emit(action: string, row: ImageRow, name: string): void {
    this.#events.emit('image', action, row.id, { ...row.config.config?.Labels, name });
  }
}

export function createImageService(opts: ImageServiceOptions): BerthImageService {
  return new BerthImageService(opts);
}
