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
import type { ApplyResult, Snapshotter } from '../../core/snapshot.ts';
import { conflict, notFound } from '../../core/errors.ts';
import { MS_BIND, mount } from '../../sys/libc.ts';
import { TarReader } from '../tar/reader.ts';
import { applyTar, type LayerLimits } from './apply.ts';
import {
  chainDir, checkKey, emptyTrash, exists, listDir, readText, removeTemps, tmpName, unmountPath,
  type ListingSnapshotter, type SnapshotterOptions,
} from './common.ts';
import { copyTree, diskUsage, removeTree } from './tree.ts';

export class CopySnapshotter implements Snapshotter, ListingSnapshotter {
  readonly name = 'copy' as const;
  readonly #root: string;
  readonly #limits: Partial<LayerLimits>;

  constructor(root: string, opts: SnapshotterOptions = {}) {
    this.#root = root;
    this.#limits = opts.limits ?? {};
    for (const d of ['layers', 'active', 'trash']) fs.mkdirSync(`${root}/${d}`, { recursive: true });
    removeTemps(`${root}/layers`);
    removeTemps(`${root}/active`);
    emptyTrash(`${root}/trash`);
  }

  get root(): string { return this.#root; }

  #layer(chainId: string): string { return `${this.#root}/layers/${chainDir(chainId)}`; }
  #active(key: string): string { return `${this.#root}/active/${checkKey(key)}`; }

  async hasLayer(chainId: string): Promise<boolean> {
    return exists(this.#layer(chainId));
  }

  async listLayers(): Promise<string[]> {
    return listDir(`${this.#root}/layers`).map((h) => `sha256:${h}`);
  }

  async listSnapshots(): Promise<string[]> {
    return listDir(`${this.#root}/active`);
  }

  async applyLayer(chainId: string, parentChainId: string | null, tar: NodeJS.ReadableStream): Promise<ApplyResult> {
    const dir = this.#layer(chainId);
    if (exists(dir)) {
      const r = new TarReader(tar, { maxBytes: this.#limits.maxBytes });
      while (await r.next());
      return { diffId: r.digest(), size: Number(readText(`${dir}/size`) ?? 0) };
    }
    const parentFs = parentChainId ? `${this.#layer(parentChainId)}/fs` : null;
    if (parentFs && !exists(parentFs)) throw notFound(`parent layer ${parentChainId} does not exist`);
    const tmp = `${this.#root}/layers/${tmpName()}`;
    try {
      fs.mkdirSync(`${tmp}/fs`, { recursive: true, mode: 0o755 });
      if (parentFs) await copyTree(parentFs, `${tmp}/fs`);
      const result = await applyTar(tar, { root: `${tmp}/fs`, whiteouts: 'delete', limits: this.#limits });
      fs.writeFileSync(`${tmp}/parent`, parentChainId ?? '');
      fs.writeFileSync(`${tmp}/size`, String(result.size));
      try {
        fs.renameSync(tmp, dir);
      } catch (err) {
        if (!exists(dir)) throw err;
        fs.rmSync(tmp, { recursive: true, force: true });
      }
      return result;
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  async removeLayer(chainId: string): Promise<void> {
    const dir = this.#layer(chainId);
    if (!exists(dir)) return;
    // Trees are independent copies, but keep the contract's order: children go first.
    for (const h of listDir(`${this.#root}/layers`)) {
      if (readText(`${this.#root}/layers/${h}/parent`) === chainId) throw conflict(`layer ${chainId} is in use by layer sha256:${h}`);
    }
    for (const k of listDir(`${this.#root}/active`)) {
      if (readText(`${this.#root}/active/${k}/parent`) === chainId) throw conflict(`layer ${chainId} is in use by snapshot ${k}`);
    }
    await removeTree(dir, `${this.#root}/trash`);
  }

  async prepare(key: string, parentChainId: string | null): Promise<void> {
    const dir = this.#active(key);
    if (exists(dir)) throw conflict(`snapshot ${key} already exists`);
    const parentFs = parentChainId ? `${this.#layer(parentChainId)}/fs` : null;
    if (parentFs && !exists(parentFs)) throw notFound(`layer ${parentChainId} does not exist`);
    const tmp = `${this.#root}/active/${tmpName()}`;
    try {
      fs.mkdirSync(`${tmp}/fs`, { recursive: true, mode: 0o755 });
      if (parentFs) await copyTree(parentFs, `${tmp}/fs`);
      fs.writeFileSync(`${tmp}/parent`, parentChainId ?? '');
      fs.renameSync(tmp, dir);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (exists(dir)) throw conflict(`snapshot ${key} already exists`);
      throw err;
    }
  }

  async mount(key: string, target: string): Promise<void> {
    const dir = this.#active(key);
    if (!exists(`${dir}/fs`)) throw notFound(`snapshot ${key} does not exist`);
    mount(`${dir}/fs`, target, null, MS_BIND, null);
  }

  async unmount(target: string): Promise<void> {
    unmountPath(target);
  }

  async remove(key: string): Promise<void> {
    await removeTree(this.#active(key), `${this.#root}/trash`);
  }

  async usage(key: string): Promise<number> {
    const dir = this.#active(key);
    if (!exists(dir)) throw notFound(`snapshot ${key} does not exist`);
    // A full copy: the whole tree is the snapshot's own (Docker's vfs reports the same).
    return diskUsage(`${dir}/fs`);
  }

  async describe(key: string, mergedDir: string): Promise<Record<string, string>> {
    const dir = this.#active(key);
    if (!exists(dir)) throw notFound(`snapshot ${key} does not exist`);
    return { MergedDir: mergedDir, UpperDir: `${dir}/fs` };
  }
}
