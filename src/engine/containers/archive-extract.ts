// Unpacking a client's tar into a container (`docker cp` into it, PUT
// archive). The tar is hostile and the container may be running and
// racing us, so the layer guard's rules (src/stores/snapshots/apply.ts)
// hold here with descriptors instead of path strings:
//   - entry names are cleaned; one that climbs above the destination fails;
//   - every parent directory is resolved with openat2(RESOLVE_IN_ROOT) from
//     the container's root: the container's own symlinks are followed as a
//     chroot would (what Docker does), and nothing outside the root is ever
//     reached, however the tree changes meanwhile;
//   - a symlink (or any non-directory) the same archive planted is never
//     written through;
//   - files are created with O_EXCL|O_NOFOLLOW in a pinned parent; what was
//     there is removed descriptor by descriptor, never by a recursive rm
//     that a swapped symlink could redirect;
//   - hardlinks must name a non-directory inside the destination;
//   - only unprivileged xattrs and file capabilities are set
//     (src/stores/snapshots/xattrs.ts); bytes and entries are bounded.

import * as fs from 'node:fs';
import { posix } from 'node:path';
import { BerthError, invalid, notFound, wrap } from '../../core/errors.ts';
import {
  O_PATH, S_IFBLK, S_IFCHR, S_IFIFO, lsetxattr, mknod, openat2,
} from '../../sys/libc.ts';
import { TarReader } from '../../stores/tar/reader.ts';
import type { TarHeader } from '../../stores/tar/format.ts';
import { ownerToHost, type IdMaps } from '../../core/idmap.ts';
import { DEFAULT_LAYER_LIMITS, type LayerLimits } from '../../stores/snapshots/apply.ts';
import { cleanEntryPath } from '../../stores/snapshots/tree-paths.ts';
import { allowedXattrs } from '../../stores/snapshots/xattrs.ts';
import { BENEATH, IN_ROOT, closeQuietly, fdPath } from './archive-fs.ts';

const { O_DIRECTORY, O_NOFOLLOW, O_RDONLY, O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
const WH = '.wh.';
const INPUT_ERRORS = new Set(['ENAMETOOLONG', 'ELOOP', 'ENOTDIR', 'EEXIST', 'EISDIR', 'ENOTEMPTY', 'EINVAL']);

export interface ExtractOptions {
  /** The destination directory, absolute inside the root and already resolved. */
  dest: string;
  /** Refuse to replace a directory by a non-directory and the reverse (the CLI's default). */
  noOverwriteDirNonDir: boolean;
  /** Owner for every entry (cp -a with a container user); the archive's owners otherwise. */
  owner?: { uid: number; gid: number };
  /** --userns-remap: owners (the archive's or `owner`) are container IDs, written as the host IDs they map to. */
  idMaps?: IdMaps;
  limits?: Partial<LayerLimits>;
}

export async function extractArchive(root: number, tar: NodeJS.ReadableStream | AsyncIterable<Buffer>, opts: ExtractOptions): Promise<void> {
  const limits = { ...DEFAULT_LAYER_LIMITS, ...opts.limits };
  const reader = new TarReader(tar, { maxBytes: limits.maxBytes, limitName: 'max-layer-size' });
  const ex = new Extractor(root, opts);
  let count = 0;
  try {
    for (let h = await reader.next(); h; h = await reader.next()) {
      if (++count > limits.maxFiles) throw invalid(`archive exceeds the limit of ${limits.maxFiles} entries (maxFiles)`);
      try {
        await ex.entry(h, reader);
      } catch (err) {
        if (err instanceof BerthError) throw err;
        const e = wrap(err, `extracting "${h.name}"`);
        const code = (err as { code?: string }).code ?? '';
        if (INPUT_ERRORS.has(code)) throw invalid(e.message);
        // The container removed a directory on the way (it may be running): gone, as a missing destination is.
        if (code === 'ENOENT') throw notFound(`${e.message}: the container removed it while the archive was extracted`);
        throw e;
      }
    }
    ex.finish();
  } finally {
    ex.close();
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

function lstatAt(dir: number, name: string): fs.Stats | null {
  try {
    return fs.lstatSync(fdPath(dir, name));
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw err;
  }
}

/** Removes dir/name and, for a directory, everything below it, one pinned directory at a time. */
export function removeAt(dir: number, name: string): void {
  const st = lstatAt(dir, name);
  if (!st) return;
  if (!st.isDirectory()) {
    fs.unlinkSync(fdPath(dir, name));
    return;
  }
  const fd = openat2(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, BENEATH);
  try {
    for (const child of fs.readdirSync(fdPath(fd))) removeAt(fd, child);
  } finally {
    closeQuietly(fd);
  }
  fs.rmdirSync(fdPath(dir, name));
}

class Extractor {
  readonly #root: number;
  readonly #opts: ExtractOptions;
  /** Open directories by path relative to the destination ("" is the destination). */
  readonly #dirs = new Map<string, number>();
  /** Non-directories this archive created: never written through. */
  readonly #planted = new Set<string>();
  readonly #dirTimes: Array<[string, number]> = [];

  constructor(root: number, opts: ExtractOptions) {
    this.#root = root;
    this.#opts = opts;
  }

  #inRoot(rel: string): string {
    return rel === '' ? this.#opts.dest : posix.join(this.#opts.dest, rel);
  }

  /** The open directory at rel, created (0755, like Docker) when missing and `create` is set. */
  #dir(rel: string, entryName: string, create = true): number {
    const cached = this.#dirs.get(rel);
    if (cached !== undefined) return cached;
    for (let p = rel; p !== ''; p = parentOf(p)) {
      if (this.#planted.has(p)) {
        throw invalid(`tar entry "${entryName}": refusing to write through "${p}", which is not a directory in the same archive`);
      }
    }
    let fd: number;
    try {
      fd = openat2(this.#root, this.#inRoot(rel), O_PATH | O_DIRECTORY, 0, IN_ROOT);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT' || !create || rel === '') throw err;
      const parent = this.#dir(parentOf(rel), entryName);
      const base = posix.basename(rel);
      fs.mkdirSync(fdPath(parent, base), { mode: 0o755 });
      fd = openat2(parent, base, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, BENEATH);
    }
    if (this.#dirs.size >= 256) this.#forget('');
    this.#dirs.set(rel, fd);
    return fd;
  }

  /** Drops cached descriptors at or below rel ("" drops all). */
  #forget(rel: string): void {
    for (const [k, fd] of this.#dirs) {
      if (rel === '' || k === rel || k.startsWith(`${rel}/`)) {
        closeQuietly(fd);
        this.#dirs.delete(k);
      }
    }
  }

  async entry(h: TarHeader, reader: TarReader): Promise<void> {
    const rel = cleanEntryPath(h.name);
    if (rel === '') return; // the destination itself keeps its own mode and owner
    const base = posix.basename(rel);
    const parentRel = parentOf(rel);
    if (base.startsWith(WH)) {
      // Docker unpacks AUFS whiteouts here too: ".wh.name" deletes name.
      if (base.startsWith(`${WH}${WH}`)) return;
      const dir = this.#dir(parentRel, h.name);
      const victim = base.slice(WH.length);
      if (victim === '' || victim === '.' || victim === '..') throw invalid(`invalid whiteout "${h.name}"`);
      removeAt(dir, victim);
      this.#forget(parentRel === '' ? victim : `${parentRel}/${victim}`);
      this.#planted.delete(parentRel === '' ? victim : `${parentRel}/${victim}`);
      return;
    }
    // Refused before anything is replaced: an owner the container's mappings cannot hold.
    if (h.type !== 'link') this.#owner(h);
    const dir = this.#dir(parentRel, h.name);
    const existing = lstatAt(dir, base);
    if (existing) {
      const isDir = existing.isDirectory();
      if (this.#opts.noOverwriteDirNonDir && isDir && h.type !== 'dir') {
        throw invalid(`cannot overwrite directory "${this.#inRoot(rel)}" with non-directory "${h.name}"`);
      }
      if (this.#opts.noOverwriteDirNonDir && !isDir && h.type === 'dir') {
        throw invalid(`cannot overwrite non-directory "${this.#inRoot(rel)}" with directory "${h.name}"`);
      }
      if (!(isDir && h.type === 'dir')) {
        this.#forget(rel);
        removeAt(dir, base);
      }
    }
    const at = fdPath(dir, base);
    switch (h.type) {
      case 'dir':
        if (!existing?.isDirectory()) fs.mkdirSync(at, { mode: 0o700 });
        break;
      case 'file': await this.#file(dir, base, h, reader); break;
      case 'symlink': fs.symlinkSync(h.linkname, at); break;
      case 'link': this.#hardlink(at, h); break;
      case 'char': mknod(at, S_IFCHR | (h.mode & 0o7777), h.devmajor, h.devminor); break;
      case 'block': mknod(at, S_IFBLK | (h.mode & 0o7777), h.devmajor, h.devminor); break;
      case 'fifo': mknod(at, S_IFIFO | (h.mode & 0o7777)); break;
    }
    if (h.type === 'dir') this.#planted.delete(rel);
    else this.#planted.add(rel);
    if (h.type !== 'file' && h.type !== 'link') this.#meta(dir, base, rel, h);
  }

  async #file(dir: number, base: string, h: TarHeader, reader: TarReader): Promise<void> {
    const fd = fs.openSync(fdPath(dir, base), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      try {
        for await (const chunk of reader.body()) {
          let off = 0;
          while (off < chunk.length) off += fs.writeSync(fd, chunk, off);
        }
      } catch (err) {
        // The archive failed inside this file (cut, damaged, past a limit: a
        // bomb): a partial file is never left behind. Entries already
        // complete stay, as with Docker.
        try { fs.unlinkSync(fdPath(dir, base)); } catch { /* the container removed it */ }
        throw err;
      }
      const owner = this.#owner(h);
      fs.fchownSync(fd, owner.uid, owner.gid);
      fs.fchmodSync(fd, h.mode & 0o7777);
      this.#xattrs(fdPath(dir, base), h);
      fs.futimesSync(fd, h.mtime, h.mtime);
    } finally {
      fs.closeSync(fd);
    }
  }

  #hardlink(at: string, h: TarHeader): void {
    const target = cleanEntryPath(h.linkname);
    if (target === '') throw invalid(`hardlink "${h.name}" points at the destination itself`);
    let tdir: number;
    try {
      tdir = this.#dir(parentOf(target), h.name, false);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw invalid(`hardlink "${h.name}" points at "${h.linkname}", which does not exist`);
      throw err;
    }
    const tbase = posix.basename(target);
    const st = lstatAt(tdir, tbase);
    if (!st) throw invalid(`hardlink "${h.name}" points at "${h.linkname}", which does not exist`);
    if (st.isDirectory()) throw invalid(`hardlink "${h.name}" points at directory "${h.linkname}"`);
    fs.linkSync(fdPath(tdir, tbase), at);
  }

  /** An entry's owner on disk (dockerd's: a container ID outside the mappings is refused). */
  #owner(h: TarHeader): { uid: number; gid: number } {
    const o = this.#opts.owner ?? { uid: h.uid, gid: h.gid };
    const m = this.#opts.idMaps;
    return m ? ownerToHost(m, o.uid, o.gid) : o;
  }

  #meta(dir: number, base: string, rel: string, h: TarHeader): void {
    // An O_PATH descriptor of the entry itself: chown/chmod/utimes through
    // /proc/self/fd reach exactly that inode, whatever is renamed meanwhile.
    const fd = openat2(dir, base, O_PATH | O_NOFOLLOW, 0, BENEATH);
    try {
      const owner = this.#owner(h);
      fs.chownSync(fdPath(fd), owner.uid, owner.gid);
      if (h.type !== 'symlink') fs.chmodSync(fdPath(fd), h.mode & 0o7777);
      this.#xattrs(fdPath(dir, base), h);
      if (h.type === 'dir') this.#dirTimes.push([rel, h.mtime]);
      else if (h.type !== 'symlink') fs.utimesSync(fdPath(fd), h.mtime, h.mtime);
    } finally {
      closeQuietly(fd);
    }
  }

  #xattrs(path: string, h: TarHeader): void {
    for (const [k, v] of allowedXattrs(h)) lsetxattr(path, k, v);
  }

  /** Directory times last: creating their entries changed them. */
  finish(): void {
    for (const [rel, mtime] of this.#dirTimes.reverse()) {
      let fd: number | undefined;
      try {
        fd = openat2(this.#dir(parentOf(rel), rel, false), posix.basename(rel), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, BENEATH);
        fs.futimesSync(fd, mtime, mtime);
      } catch { /* removed or replaced by a later entry */ } finally {
        closeQuietly(fd);
      }
    }
  }

  close(): void {
    this.#forget('');
  }
}
