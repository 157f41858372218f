// What the copy and overlay snapshotters share: the directory layout both
// keep under their root, startup cleanup, listing and removal, and the
// crash-safe way both build a layer or snapshot (in a temp dir beside its
// final place, then rename it there). Subclasses decide what goes inside
// the directories and how a snapshot is mounted.
//
//   <root>/layers/<chain hex>/parent   parent chain ID ("" for a base layer)
//   <root>/layers/<chain hex>/size     bytes of file content this layer's tar wrote
//   <root>/active/<key>/parent         parent chain ID of a writable snapshot
//   <root>/trash/                      trees renamed aside while being deleted

import * as fs from 'node:fs';
import { type ApplyResult, type LayerUnpacker, type RemoveOptions, type SnapshotDiffEntry, type Snapshotter, isUnpacker, type UsageSkip } from '../../core/snapshot.ts';
import { conflict } from '../../core/errors.ts';
import { TarReader } from '../tar/reader.ts';
import type { LayerLimits } from './apply.ts';
import type { IdMaps } from '../../core/idmap.ts';
import {
  chainDir, checkKey, emptyTrash, exists, listDir, readText, removeTemps, spreadSubdirs, tmpName, unmountPath,
  type ListingSnapshotter, type SnapshotterOptions,
} from './common.ts';
import { emptyAside, moveAside, removeTree } from './tree.ts';

export abstract class LayeredSnapshotter implements ListingSnapshotter {
  abstract readonly name: Snapshotter['name'];
  readonly #root: string;
  readonly #limits: Partial<LayerLimits>;
  readonly #idMaps: IdMaps | undefined;
  readonly #shiftOnApply: boolean;

  /** extraDirs: directories beyond layers/, active/ and trash/ the subclass needs under root. */
  constructor(root: string, opts: SnapshotterOptions, extraDirs: string[] = []) {
    this.#root = root;
    this.#limits = opts.limits ?? {};
    this.#idMaps = opts.idMaps;
    this.#shiftOnApply = opts.idMaps !== undefined && !opts.idmapped;
    for (const d of ['layers', 'active', 'trash', ...extraDirs]) fs.mkdirSync(`${root}/${d}`, { recursive: true });
    // Each layer's tree in a block group of its own (see spreadSubdirs).
    spreadSubdirs(`${root}/layers`);
    removeTemps(`${root}/layers`);
    removeTemps(`${root}/active`);
    emptyTrash(`${root}/trash`);
  }

  get root(): string { return this.#root; }

  get idMaps(): IdMaps | undefined { return this.#idMaps; }

  protected get limits(): Partial<LayerLimits> { return this.#limits; }

  /** Options every layer apply takes: bounds and, under --userns-remap without idmapped mounts, the ID mappings. */
  protected get applyOpts(): { limits: Partial<LayerLimits>; idMaps?: IdMaps } {
    return this.#shiftOnApply ? { limits: this.#limits, idMaps: this.#idMaps! } : { limits: this.#limits };
  }

  protected layerDir(chainId: string): string { return `${this.#root}/layers/${chainDir(chainId)}`; }
  protected activeDir(key: string): string { return `${this.#root}/active/${checkKey(key)}`; }

  async hasLayer(chainId: string): Promise<boolean> {
    return exists(this.layerDir(chainId));
  }

  async listLayers(): Promise<string[]> {
    return listDir(`${this.#root}/layers`).map((h) => `sha256:${h}`);
  }

  async listSnapshots(): Promise<string[]> {
    return listDir(`${this.#root}/active`);
  }

  async unmount(target: string): Promise<void> {
    unmountPath(target);
  }

  async remove(key: string, opts: RemoveOptions = {}): Promise<void> {
    const deletion = emptyAside(moveAside(this.activeDir(key), `${this.#root}/trash`));
    if (opts.later) opts.later(deletion);
    else await deletion;
  }

  /**
   * Applies a layer once. If it already exists the stream is read anyway (the
   * caller wants its diffID) and the stored size reported. Otherwise resolve
   * checks the parent, build fills a temp dir, and the dir is renamed into
   * place; discard undoes whatever build made outside the temp dir.
   */
  protected async createLayer<P>(
    chainId: string,
    tar: NodeJS.ReadableStream | LayerUnpacker,
    resolve: () => P,
    build: (tmp: string, parent: P) => Promise<ApplyResult>,
    discard: () => void = () => {},
  ): Promise<ApplyResult> {
    const dir = this.layerDir(chainId);
    if (exists(dir)) {
      if (isUnpacker(tar)) {
        const { diffId } = await tar.unpack({ root: null, whiteouts: 'overlay', limits: this.#limits });
        return { diffId, size: Number(readText(`${dir}/size`) ?? 0) };
      }
      const r = new TarReader(tar, { maxBytes: this.#limits.maxBytes, limitName: 'max-layer-size' });
      while (await r.next());
      return { diffId: r.digest(), size: Number(readText(`${dir}/size`) ?? 0) };
    }
    const parent = resolve();
    const tmp = `${this.#root}/layers/${tmpName()}`;
    try {
      const result = await build(tmp, parent);
      try {
        fs.renameSync(tmp, dir);
      } catch (err) {
        // Someone applied the same layer meanwhile: theirs is as good as ours.
        if (!exists(dir)) throw err;
        fs.rmSync(tmp, { recursive: true, force: true });
        discard();
      }
      return result;
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      discard();
      throw err;
    }
  }

  /**
   * Creates the writable snapshot key: conflict if it exists, then resolve
   * checks the parent, build fills a temp dir, and the dir is renamed into place.
   */
  protected async createSnapshot<P>(
    key: string,
    resolve: () => P,
    build: (tmp: string, parent: P) => Promise<void>,
  ): Promise<void> {
    const dir = this.activeDir(key);
    if (exists(dir)) throw conflict(`snapshot ${key} already exists`);
    const parent = resolve();
    const tmp = `${this.#root}/active/${tmpName()}`;
    try {
      await build(tmp, parent);
      fs.renameSync(tmp, dir);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (exists(dir)) throw conflict(`snapshot ${key} already exists`);
      throw err;
    }
  }

  /** Throws conflict when a layer or snapshot still names chainId as its parent (children go first). */
  protected checkUnused(chainId: string): void {
    for (const h of listDir(`${this.#root}/layers`)) {
      if (readText(`${this.#root}/layers/${h}/parent`) === chainId) throw conflict(`layer ${chainId} is in use by layer sha256:${h}`);
    }
    for (const k of listDir(`${this.#root}/active`)) {
      if (readText(`${this.#root}/active/${k}/parent`) === chainId) throw conflict(`layer ${chainId} is in use by snapshot ${k}`);
    }
  }

  /** Moves a layer's tree to trash and deletes it. */
  protected async removeLayerDir(dir: string): Promise<void> {
    await removeTree(dir, `${this.#root}/trash`);
  }

  abstract applyLayer(chainId: string, parentChainId: string | null, tar: NodeJS.ReadableStream | LayerUnpacker): Promise<ApplyResult>;
  abstract removeLayer(chainId: string): Promise<void>;
  abstract prepare(key: string, parentChainId: string | null): Promise<void>;
  abstract mount(key: string, target: string, opts?: { volatile?: boolean }): Promise<void>;
  abstract usage(key: string, skip?: UsageSkip): Promise<number>;
  abstract diff(key: string): AsyncIterable<SnapshotDiffEntry>;
  abstract commit(key: string, chainId: string, result: ApplyResult): Promise<void>;
  abstract describe(key: string, mergedDir: string): Promise<Record<string, string>>;
}
