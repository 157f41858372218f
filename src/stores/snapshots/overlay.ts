// The overlay snapshotter, laid out like Docker's overlay2:
//
//   <root>/layers/<chain hex>/diff     the layer's own changes (whiteouts in overlay's form)
//   <root>/layers/<chain hex>/link     short name of this layer in l/
//   <root>/layers/<chain hex>/lower    short names of all ancestors, nearest first
//   <root>/layers/<chain hex>/parent   parent chain ID ("" for a base layer)
//   <root>/layers/<chain hex>/size     bytes of file content in diff
//   <root>/l/<short>                   symlink -> ../layers/<chain hex>/diff
//   <root>/active/<key>/{diff,work}    a writable snapshot (upper and work dirs)
//
// The kernel copies at most one page (4096 bytes) of mount options. With
// ten-character short names a lower dir costs len(root)+14 bytes; when the
// chain is too long for that, each lower dir is opened and passed as
// /proc/self/fd/N (19 bytes), which is how a 120-layer image mounts without
// chdir (a process-wide chdir would race every other request in berthd).

import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { ApplyResult, Snapshotter } from '../../core/snapshot.ts';
import { conflict, invalid, notFound } from '../../core/errors.ts';
import { mount } from '../../sys/libc.ts';
import { TarReader } from '../tar/reader.ts';
import { applyTar, type LayerLimits } from './apply.ts';
import {
  chainDir, checkKey, emptyTrash, exists, listDir, readText, removeTemps, tmpName, unmountPath,
  type ListingSnapshotter, type SnapshotterOptions,
} from './common.ts';
import { diskUsage, removeTree } from './tree.ts';

const PAGE = 4096;
const SHORT_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export class OverlaySnapshotter implements Snapshotter, ListingSnapshotter {
  readonly name = 'overlay' as const;
  readonly #root: string;
  readonly #limits: Partial<LayerLimits>;
  readonly #indexOff: boolean;

  constructor(root: string, opts: SnapshotterOptions = {}) {
    if (/[,:\\]/.test(root)) throw invalid(`overlay snapshotter root "${root}" must not contain ',', ':' or '\\'`);
    this.#root = root;
    this.#limits = opts.limits ?? {};
    // With index=on, a lower dir may be used by one mount only; containers share lowers.
    this.#indexOff = exists('/sys/module/overlay/parameters/index');
    for (const d of ['layers', 'l', 'active', 'empty', 'trash']) fs.mkdirSync(`${root}/${d}`, { recursive: true });
    removeTemps(`${root}/layers`);
    removeTemps(`${root}/active`);
    emptyTrash(`${root}/trash`);
    this.#removeDanglingLinks();
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
    if (exists(dir)) return this.#alreadyApplied(dir, tar);
    let lower = '';
    if (parentChainId) {
      const pdir = this.#layer(parentChainId);
      const plink = readText(`${pdir}/link`);
      if (plink === null) throw notFound(`parent layer ${parentChainId} does not exist`);
      const plower = readText(`${pdir}/lower`) ?? '';
      lower = plower ? `${plink}:${plower}` : plink;
    }
    const tmp = `${this.#root}/layers/${tmpName()}`;
    let link: string | null = null;
    try {
      fs.mkdirSync(`${tmp}/diff`, { recursive: true });
      const result = await applyTar(tar, { root: `${tmp}/diff`, whiteouts: 'overlay', limits: this.#limits });
      link = this.#makeLink(chainDir(chainId));
      fs.writeFileSync(`${tmp}/link`, link);
      fs.writeFileSync(`${tmp}/lower`, lower);
      fs.writeFileSync(`${tmp}/parent`, parentChainId ?? '');
      fs.writeFileSync(`${tmp}/size`, String(result.size));
      try {
        fs.renameSync(tmp, dir);
      } catch (err) {
        // Someone applied the same layer meanwhile: theirs is as good as ours.
        if (!exists(dir)) throw err;
        fs.rmSync(tmp, { recursive: true, force: true });
        fs.rmSync(`${this.#root}/l/${link}`, { force: true });
      }
      return result;
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (link) fs.rmSync(`${this.#root}/l/${link}`, { force: true });
      throw err;
    }
  }

  /** The layer exists: read the stream anyway (the caller wants its diffID) and report the stored size. */
  async #alreadyApplied(dir: string, tar: NodeJS.ReadableStream): Promise<ApplyResult> {
    const r = new TarReader(tar, { maxBytes: this.#limits.maxBytes });
    while (await r.next());
    return { diffId: r.digest(), size: Number(readText(`${dir}/size`) ?? 0) };
  }

  #makeLink(hex: string): string {
    for (;;) {
      const bytes = randomBytes(10);
      const id = [...bytes].map((b) => SHORT_ALPHABET[b & 31]).join('');
      try {
        fs.symlinkSync(`../layers/${hex}/diff`, `${this.#root}/l/${id}`);
        return id;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  #removeDanglingLinks(): void {
    for (const id of listDir(`${this.#root}/l`)) {
      const p = `${this.#root}/l/${id}`;
      if (!fs.existsSync(p)) fs.rmSync(p, { force: true });
    }
  }

  async removeLayer(chainId: string): Promise<void> {
    const dir = this.#layer(chainId);
    if (!exists(dir)) return;
    const user = this.#childOf(chainId);
    if (user) throw conflict(`layer ${chainId} is in use by ${user}`);
    const link = readText(`${dir}/link`);
    await removeTree(dir, `${this.#root}/trash`);
    if (link) fs.rmSync(`${this.#root}/l/${link}`, { force: true });
  }

  #childOf(chainId: string): string | null {
    for (const h of listDir(`${this.#root}/layers`)) {
      if (readText(`${this.#root}/layers/${h}/parent`) === chainId) return `layer sha256:${h}`;
    }
    for (const k of listDir(`${this.#root}/active`)) {
      if (readText(`${this.#root}/active/${k}/parent`) === chainId) return `snapshot ${k}`;
    }
    return null;
  }

  async prepare(key: string, parentChainId: string | null): Promise<void> {
    const dir = this.#active(key);
    if (exists(dir)) throw conflict(`snapshot ${key} already exists`);
    let lower = '';
    if (parentChainId) {
      const pdir = this.#layer(parentChainId);
      const plink = readText(`${pdir}/link`);
      if (plink === null) throw notFound(`layer ${parentChainId} does not exist`);
      const plower = readText(`${pdir}/lower`) ?? '';
      lower = plower ? `${plink}:${plower}` : plink;
    }
    const tmp = `${this.#root}/active/${tmpName()}`;
    try {
      fs.mkdirSync(`${tmp}/diff`, { recursive: true, mode: 0o755 });
      fs.mkdirSync(`${tmp}/work`, { mode: 0o700 });
      fs.writeFileSync(`${tmp}/lower`, lower);
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
    const lowerText = readText(`${dir}/lower`);
    if (lowerText === null) throw notFound(`snapshot ${key} does not exist`);
    const ids = lowerText ? lowerText.split(':') : [];
    const tail = `,upperdir=${dir}/diff,workdir=${dir}/work${this.#indexOff ? ',index=off' : ''}`;
    const byLink = ids.length ? ids.map((id) => `${this.#root}/l/${id}`) : [`${this.#root}/empty`];
    const data = `lowerdir=${byLink.join(':')}${tail}`;
    if (data.length < PAGE) {
      mount('overlay', target, 'overlay', 0, data);
      return;
    }
    const fds: number[] = [];
    try {
      for (const id of ids) fds.push(fs.openSync(`${this.#root}/l/${id}`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY));
      const byFd = `lowerdir=${fds.map((fd) => `/proc/self/fd/${fd}`).join(':')}${tail}`;
      if (byFd.length >= PAGE) throw invalid(`snapshot ${key} has too many layers (${ids.length}) to mount`);
      mount('overlay', target, 'overlay', 0, byFd);
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
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
    return diskUsage(`${dir}/diff`);
  }

  async describe(key: string, mergedDir: string): Promise<Record<string, string>> {
    const dir = this.#active(key);
    const lowerText = readText(`${dir}/lower`);
    if (lowerText === null) throw notFound(`snapshot ${key} does not exist`);
    const lowers = lowerText ? lowerText.split(':').map((id) => {
      const t = fs.readlinkSync(`${this.#root}/l/${id}`); // ../layers/<hex>/diff
      return `${this.#root}/${t.replace(/^\.\.\//, '')}`;
    }) : [];
    const out: Record<string, string> = { MergedDir: mergedDir, UpperDir: `${dir}/diff`, WorkDir: `${dir}/work` };
    if (lowers.length) out.LowerDir = lowers.join(':');
    return out;
  }
}
