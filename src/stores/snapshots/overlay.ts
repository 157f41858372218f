// The overlay snapshotter, laid out like Docker's overlay2:
//
//   <root>/layers/<chain hex>/diff     the layer's own changes (whiteouts in overlay's form)
//   <root>/layers/<chain hex>/link     short name of this layer in l/
//   <root>/layers/<chain hex>/lower    short names of all ancestors, nearest first
//   <root>/layers/<chain hex>/parent   parent chain ID ("" for a base layer)
//   <root>/layers/<chain hex>/size     bytes of file content in diff
//   <root>/l/<short>                   symlink -> ../layers/<chain hex>/diff
//   <root>/layers/<chain hex>/idmapped present: stored with the image's own owners, shown to
//                                     --userns-remap containers through idmapped mounts (idmapped.ts);
//                                     absent under a remapping daemon: unpacked with the mapped host
//                                     owners (chowned once per image), or a committed upper dir
//   <root>/active/<key>/{diff,work}    a writable snapshot (upper and work dirs)
//
// The kernel copies at most one page (4096 bytes) of mount options. With
// ten-character short names a lower dir costs len(root)+14 bytes; when the
// chain is too long for that, each lower dir is opened and passed as
// /proc/self/fd/N (19 bytes), which is how a 120-layer image mounts without
// chdir (a process-wide chdir would race every other request in berthd).

import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { type ApplyResult, type LayerUnpacker, type SnapshotDiffEntry, isUnpacker, type UsageSkip } from '../../core/snapshot.ts';
import { invalid, notFound, unavailable } from '../../core/errors.ts';
import { mount } from '../../sys/libc.ts';
import { applyTar } from './apply.ts';
import { LayeredSnapshotter } from './base.ts';
import { writeText, chainDir, exists, listDir, readText, tmpName, type SnapshotterOptions } from './common.ts';
import { overlayDiff } from './diff.ts';
import type { IdmappedLayers } from './idmapped.ts';
import { diskUsage } from './tree.ts';

const PAGE = 4096;
/** Whether the kernel's overlay takes `volatile`; null until a volatile mount has been tried. */
let volatileSupported: boolean | null = null;
const SHORT_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export class OverlaySnapshotter extends LayeredSnapshotter {
  readonly name = 'overlay' as const;
  readonly #indexOff: boolean;
  readonly #idmapped: IdmappedLayers | null;

  constructor(root: string, opts: SnapshotterOptions = {}) {
    if (/[,:\\]/.test(root)) throw invalid(`overlay snapshotter root "${root}" must not contain ',', ':' or '\\'`);
    super(root, opts, ['l', 'empty']);
    this.#idmapped = opts.idmapped ?? null;
    // With index=on, a lower dir may be used by one mount only; containers share lowers.
    this.#indexOff = exists('/sys/module/overlay/parameters/index');
    this.#removeDanglingLinks();
  }

  async applyLayer(chainId: string, parentChainId: string | null, tar: NodeJS.ReadableStream | LayerUnpacker): Promise<ApplyResult> {
    let link: string | null = null;
    return this.createLayer(chainId, tar, () => {
      const lower = this.#lowerOf(parentChainId);
      if (lower === null) throw notFound(`parent layer ${parentChainId} does not exist`);
      return lower;
    }, async (tmp, lower) => {
      fs.mkdirSync(`${tmp}/diff`, { recursive: true });
      const result = isUnpacker(tar)
        ? await tar.unpack({ root: `${tmp}/diff`, whiteouts: 'overlay', ...this.applyOpts })
        : await applyTar(tar, { root: `${tmp}/diff`, whiteouts: 'overlay', ...this.applyOpts });
      link = this.#makeLink(chainDir(chainId));
      writeText(`${tmp}/link`, link);
      writeText(`${tmp}/lower`, lower);
      writeText(`${tmp}/parent`, parentChainId ?? '');
      writeText(`${tmp}/size`, String(result.size));
      if (this.#idmapped) writeText(`${tmp}/idmapped`, '');
      return result;
    }, () => {
      if (link) fs.rmSync(`${this.root}/l/${link}`, { force: true });
    });
  }

  /** The lower list for a child of parentChainId ("" for none), or null when that layer does not exist. */
  #lowerOf(parentChainId: string | null): string | null {
    if (!parentChainId) return '';
    const pdir = this.layerDir(parentChainId);
    const plink = readText(`${pdir}/link`);
    if (plink === null) return null;
    const plower = readText(`${pdir}/lower`) ?? '';
    return plower ? `${plink}:${plower}` : plink;
  }

  #makeLink(hex: string): string {
    for (;;) {
      const bytes = randomBytes(10);
      const id = [...bytes].map((b) => SHORT_ALPHABET[b & 31]).join('');
      try {
        fs.symlinkSync(`../layers/${hex}/diff`, `${this.root}/l/${id}`);
        return id;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  #removeDanglingLinks(): void {
    for (const id of listDir(`${this.root}/l`)) {
      const p = `${this.root}/l/${id}`;
      if (!fs.existsSync(p)) fs.rmSync(p, { force: true });
    }
  }

  async removeLayer(chainId: string): Promise<void> {
    const dir = this.layerDir(chainId);
    if (!exists(dir)) return;
    this.checkUnused(chainId);
    const link = readText(`${dir}/link`);
    // Mounts made from its idmapped tree keep their own copies.
    if (link) this.#idmapped?.forget(`${this.root}/l/${link}`);
    await this.removeLayerDir(dir);
    if (link) fs.rmSync(`${this.root}/l/${link}`, { force: true });
  }

  async prepare(key: string, parentChainId: string | null): Promise<void> {
    await this.createSnapshot(key, () => {
      const lower = this.#lowerOf(parentChainId);
      if (lower === null) throw notFound(`layer ${parentChainId} does not exist`);
      return lower;
    }, async (tmp, lower) => {
      fs.mkdirSync(`${tmp}/diff`, { recursive: true, mode: 0o755 });
      fs.mkdirSync(`${tmp}/work`, { mode: 0o700 });
      writeText(`${tmp}/lower`, lower);
      writeText(`${tmp}/parent`, parentChainId ?? '');
    });
  }

  /**
   * `volatile` (Linux 5.10+, what podman gives `run --rm`): the unmount
   * skips overlay's sync of the whole upper filesystem, which on a busy
   * host costs tens to hundreds of milliseconds and is pointless for a
   * snapshot removed right after. overlay leaves <workdir>/work/incompat/volatile
   * behind and refuses any later mount while it is there; it is removed
   * here before the next volatile mount of the same snapshot (its writes
   * are throwaway, even after a crash).
   */
  async mount(key: string, target: string, opts: { volatile?: boolean } = {}): Promise<void> {
    const dir = this.activeDir(key);
    const lowerText = readText(`${dir}/lower`);
    if (lowerText === null) throw notFound(`snapshot ${key} does not exist`);
    const ids = lowerText ? lowerText.split(':') : [];
    const volatile = opts.volatile === true && volatileSupported !== false;
    if (volatile) fs.rmSync(`${dir}/work/work/incompat`, { recursive: true, force: true });
    try {
      this.#mount(key, dir, ids, target, volatile);
    } catch (err) {
      if (!volatile || volatileSupported === true || (err as { code?: string }).code !== 'EINVAL') throw err;
      // An older kernel: no volatile option (anything else wrong fails again below).
      this.#mount(key, dir, ids, target, false);
      volatileSupported = false;
      return;
    }
    if (volatile) volatileSupported = true;
  }

  #mount(key: string, dir: string, ids: string[], target: string, volatile: boolean): void {
    const tail = `,upperdir=${dir}/diff,workdir=${dir}/work${this.#indexOff ? ',index=off' : ''}${volatile ? ',volatile' : ''}`;
    if (!ids.length) {
      mount('overlay', target, 'overlay', 0, `lowerdir=${this.root}/empty${tail}`);
      return;
    }
    const mapped = this.#idmappedLowers(key, ids);
    const trees = mapped.includes(true) ? this.#idmapped!.lowers(ids.filter((_, i) => mapped[i]).map((id) => `${this.root}/l/${id}`)) : [];
    const fds: number[] = [];
    try {
      let k = 0;
      const lowers = ids.map((id, i) => (mapped[i] ? trees[k++]! : `${this.root}/l/${id}`));
      let data = `lowerdir=${lowers.join(':')}${tail}`;
      if (data.length >= PAGE) {
        for (let i = 0; i < ids.length; i++) {
          if (mapped[i]) continue;
          const fd = fs.openSync(lowers[i]!, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
          fds.push(fd);
          lowers[i] = `/proc/self/fd/${fd}`;
        }
        data = `lowerdir=${lowers.join(':')}${tail}`;
        if (data.length >= PAGE) throw invalid(`snapshot ${key} has too many layers (${ids.length}) to mount`);
      }
      mount('overlay', target, 'overlay', 0, data);
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
  }

  /** Which lowers hold the image's own owners (shown through idmapped mounts); only a remapping daemon has any. */
  #idmappedLowers(key: string, ids: string[]): boolean[] {
    if (!this.idMaps) return ids.map(() => false);
    const mapped = ids.map((id) => exists(`${this.root}/l/${id}/../idmapped`));
    if (!this.#idmapped && mapped.includes(true)) {
      throw unavailable(`snapshot ${key}: its image was stored for idmapped mounts, which this daemon found unavailable at start (see its log); remove the image and pull or load it again`);
    }
    return mapped;
  }

  /** Drops the idmapped layer trees kept for mounts (stage mode: their mounts under the exec root). */
  close(): void {
    this.#idmapped?.close();
  }

  /** docker info's DriverStatus: under --userns-remap, how layers reach remapped containers. */
  get driverStatus(): Array<[string, string]> {
    if (!this.idMaps) return [];
    return [['Userns Remap Layers', this.#idmapped ? `idmapped mounts (${this.#idmapped.attach})` : 'chowned once per image']];
  }

  async *diff(key: string): AsyncGenerator<SnapshotDiffEntry> {
    const dir = this.activeDir(key);
    const lowerText = readText(`${dir}/lower`);
    if (lowerText === null) throw notFound(`snapshot ${key} does not exist`);
    const lowers = lowerText ? lowerText.split(':').map((id) => `${this.root}/l/${id}`) : [];
    yield* overlayDiff(`${dir}/diff`, lowers);
  }

  /** The upper dir becomes the layer's diff dir as it is (containerd's commit): no copy, no re-extraction. */
  async commit(key: string, chainId: string, result: ApplyResult): Promise<void> {
    const dir = this.activeDir(key);
    const lower = readText(`${dir}/lower`);
    if (lower === null) throw notFound(`snapshot ${key} does not exist`);
    const layer = this.layerDir(chainId);
    if (!exists(layer)) {
      const tmp = `${this.root}/layers/${tmpName()}`;
      let link: string | null = null;
      try {
        fs.mkdirSync(tmp);
        fs.renameSync(`${dir}/diff`, `${tmp}/diff`);
        link = this.#makeLink(chainDir(chainId));
        writeText(`${tmp}/link`, link);
        writeText(`${tmp}/lower`, lower);
        writeText(`${tmp}/parent`, readText(`${dir}/parent`) ?? '');
        writeText(`${tmp}/size`, String(result.size));
        fs.renameSync(tmp, layer);
      } catch (err) {
        if (link) fs.rmSync(`${this.root}/l/${link}`, { force: true });
        if (!exists(layer)) {
          fs.rmSync(tmp, { recursive: true, force: true });
          throw err;
        }
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    }
    await this.remove(key);
  }

  async usage(key: string, skip?: UsageSkip): Promise<number> {
    const dir = this.activeDir(key);
    if (!exists(dir)) throw notFound(`snapshot ${key} does not exist`);
    return diskUsage(`${dir}/diff`, skip);
  }

  async describe(key: string, mergedDir: string): Promise<Record<string, string>> {
    const dir = this.activeDir(key);
    const lowerText = readText(`${dir}/lower`);
    if (lowerText === null) throw notFound(`snapshot ${key} does not exist`);
    const lowers = lowerText ? lowerText.split(':').map((id) => {
      const t = fs.readlinkSync(`${this.root}/l/${id}`); // ../layers/<hex>/diff
      return `${this.root}/${t.replace(/^\.\.\//, '')}`;
    }) : [];
    const out: Record<string, string> = { MergedDir: mergedDir, UpperDir: `${dir}/diff`, WorkDir: `${dir}/work` };
    if (lowers.length) out.LowerDir = lowers.join(':');
    return out;
  }
}
