// The copying snapshotter, for filesystems where overlayfs is unavailable
// (Docker's vfs): every committed layer and every writable snapshot is a
// full tree.
//
//   <root>/layers/<chain hex>/fs       the whole filesystem up to this layer
//   <root>/layers/<chain hex>/parent   parent chain ID ("" for a base layer)
//   <root>/layers/<chain hex>/size     bytes of file content this layer's tar wrote
//   <root>/active/<key>/fs             a writable copy; mounted by bind mount
//
// Whiteouts are applied by deleting, so no tree holds overlay markers.

import * as fs from 'node:fs';
import { type ApplyResult, type LayerUnpacker, type SnapshotDiffEntry, isUnpacker, type UsageSkip } from '../../core/snapshot.ts';
import { notFound } from '../../core/errors.ts';
import { MS_BIND, mount } from '../../sys/libc.ts';
import { applyTar } from './apply.ts';
import { LayeredSnapshotter } from './base.ts';
import { exists, writeText, readText, tmpName, type SnapshotterOptions } from './common.ts';
import { treeDiff } from './diff.ts';
import { copyTree, diskUsage } from './tree.ts';

export class CopySnapshotter extends LayeredSnapshotter {
  readonly name = 'copy' as const;

  constructor(root: string, opts: SnapshotterOptions = {}) {
    super(root, opts);
  }

  async applyLayer(chainId: string, parentChainId: string | null, tar: NodeJS.ReadableStream | LayerUnpacker): Promise<ApplyResult> {
    return this.createLayer(chainId, tar, () => {
      const parentFs = parentChainId ? `${this.layerDir(parentChainId)}/fs` : null;
      if (parentFs && !exists(parentFs)) throw notFound(`parent layer ${parentChainId} does not exist`);
      return parentFs;
    }, async (tmp, parentFs) => {
      fs.mkdirSync(`${tmp}/fs`, { recursive: true, mode: 0o755 });
      if (parentFs) await copyTree(parentFs, `${tmp}/fs`);
      const result = isUnpacker(tar)
        ? await tar.unpack({ root: `${tmp}/fs`, whiteouts: 'delete', ...this.applyOpts })
        : await applyTar(tar, { root: `${tmp}/fs`, whiteouts: 'delete', ...this.applyOpts });
      writeText(`${tmp}/parent`, parentChainId ?? '');
      writeText(`${tmp}/size`, String(result.size));
      return result;
    });
  }

  async removeLayer(chainId: string): Promise<void> {
    const dir = this.layerDir(chainId);
    if (!exists(dir)) return;
    // Trees are independent copies, but keep the contract's order: children go first.
    this.checkUnused(chainId);
    await this.removeLayerDir(dir);
  }

  async prepare(key: string, parentChainId: string | null): Promise<void> {
    await this.createSnapshot(key, () => {
      const parentFs = parentChainId ? `${this.layerDir(parentChainId)}/fs` : null;
      if (parentFs && !exists(parentFs)) throw notFound(`layer ${parentChainId} does not exist`);
      return parentFs;
    }, async (tmp, parentFs) => {
      fs.mkdirSync(`${tmp}/fs`, { recursive: true, mode: 0o755 });
      if (parentFs) await copyTree(parentFs, `${tmp}/fs`);
      writeText(`${tmp}/parent`, parentChainId ?? '');
    });
  }

  async mount(key: string, target: string): Promise<void> {
    const dir = this.activeDir(key);
    if (!exists(`${dir}/fs`)) throw notFound(`snapshot ${key} does not exist`);
    mount(`${dir}/fs`, target, null, MS_BIND, null);
  }

  async *diff(key: string): AsyncGenerator<SnapshotDiffEntry> {
    const dir = this.activeDir(key);
    const parent = readText(`${dir}/parent`);
    if (parent === null) throw notFound(`snapshot ${key} does not exist`);
    yield* treeDiff(`${dir}/fs`, parent ? `${this.layerDir(parent)}/fs` : null);
  }

  /** The snapshot's full tree is exactly the layer's tree: it is moved, not copied. */
  async commit(key: string, chainId: string, result: ApplyResult): Promise<void> {
    const dir = this.activeDir(key);
    const parent = readText(`${dir}/parent`);
    if (parent === null) throw notFound(`snapshot ${key} does not exist`);
    const layer = this.layerDir(chainId);
    if (!exists(layer)) {
      const tmp = `${this.root}/layers/${tmpName()}`;
      try {
        fs.mkdirSync(tmp);
        fs.renameSync(`${dir}/fs`, `${tmp}/fs`);
        writeText(`${tmp}/parent`, parent);
        writeText(`${tmp}/size`, String(result.size));
        fs.renameSync(tmp, layer);
      } catch (err) {
        fs.rmSync(tmp, { recursive: true, force: true });
        if (!exists(layer)) throw err;
      }
    }
    await this.remove(key);
  }

  async usage(key: string, skip?: UsageSkip): Promise<number> {
    const dir = this.activeDir(key);
    if (!exists(dir)) throw notFound(`snapshot ${key} does not exist`);
    // A full copy: the whole tree is the snapshot's own (Docker's vfs reports the same).
    return diskUsage(`${dir}/fs`, skip);
  }

  async describe(key: string, mergedDir: string): Promise<Record<string, string>> {
    const dir = this.activeDir(key);
    if (!exists(dir)) throw notFound(`snapshot ${key} does not exist`);
    return { MergedDir: mergedDir, UpperDir: `${dir}/fs` };
  }
}
