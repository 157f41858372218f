// Applies one layer tar onto a directory tree. Every tar is hostile:
//   - entry names are cleaned; any that climb out of the root ("..") fail;
//   - every parent component is checked with lstat: a symlink the archive
//     itself planted is never written through (it fails); a symlink or file
//     left by a lower layer (copy snapshotter) is replaced by a directory,
//     which is what overlayfs shows for the same diff;
//   - entries are created with O_EXCL|O_NOFOLLOW (or mkdir, symlink, link,
//     mknod, none of which follows a symlink); only when that finds
//     something in the way is it removed and the creation retried;
//   - hardlinks must name a non-directory inside the root reached without
//     symlinks;
//   - only unprivileged xattrs and file capabilities are set (xattrs.ts):
//     trusted.overlay.* and security labels in the archive are dropped;
//   - uncompressed bytes and entry count are bounded.
// Whiteouts: `.wh.name` and `.wh..wh..opq` become overlay's 0/0 char device
// and trusted.overlay.opaque ("overlay"), or are applied by deleting
// ("delete", for full-tree snapshots).
//
// This writes in place; making the result atomic (temp dir + rename) is the
// snapshotter's job. Syscalls are synchronous on purpose: tens of thousands
// of tiny metadata calls are much faster that way, and the event loop still
// turns at every chunk read from the stream. A regular file costs open,
// write, fchmod, futimens and close: no lstat before it (the tree is usually
// empty there) and no path walk for its metadata; fchown only when the owner
// the kernel gave the new file (the daemon's user, and its group or a
// set-group-ID parent's) is not the entry's (a Debian layer: 6,848 fchowns
// skipped, 13-45 ms of CPU).

import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import type { ApplyResult } from '../../core/snapshot.ts';
import { invalid, syscallError, wrap, BerthError } from '../../core/errors.ts';
import { S_IFBLK, S_IFCHR, S_IFIFO, lsetxattr, mknod } from '../../sys/libc.ts';
import { TarReader } from '../tar/reader.ts';
import { allowedXattrs } from './xattrs.ts';
import { cleanEntryPath, lstatOrNull } from './tree-paths.ts';
import type { TarHeader } from '../tar/format.ts';
import { ownerToHost, type IdMaps } from '../../core/idmap.ts';

export interface LayerLimits {
  /** Uncompressed bytes of one layer tar (daemon.json `max-layer-size`). */
  maxBytes: number;
  /** Entries (files, directories, links...) in one layer tar. */
  maxFiles: number;
  /**
   * Most a compressed layer or archive may expand, output bytes per input
   * byte, judged once it has produced 256 MiB (`max-compression-ratio`;
   * 0: no check). See src/images/compression.ts.
   */
  maxRatio: number;
}

export const DEFAULT_LAYER_LIMITS: LayerLimits = {
  maxBytes: 32 * 1024 ** 3,
  maxFiles: 1_000_000,
  maxRatio: 100,
};

export interface ApplyOptions {
  root: string;
  whiteouts: 'overlay' | 'delete';
  limits?: Partial<LayerLimits>;
  /** Skip the stream's sha256 (the result's diffId is then ""): a build context needs none. */
  noDigest?: boolean;
  /**
   * Called for each regular file written (not hardlinks), once its metadata
   * is set, with the sha256 of its content: a build context's files are
   * hashed as they arrive instead of being read again for the cache key.
   */
  onFile?: (abs: string, sha256: string) => void;
  /** --userns-remap: entries' owners become the mapped host IDs (a layer is chowned as it is unpacked, once). */
  idMaps?: IdMaps;
}

const WH = '.wh.';
const S_ISGID = 0o2000;
/** Who creates the files (a new inode is theirs): the daemon's effective IDs. */
const EUID = process.geteuid?.() ?? -1;
const EGID = process.getegid?.() ?? -1;
const OPAQUE = '.wh..wh..opq';

// fs errors that hostile or malformed archives cause: the caller's fault, not ours.
const INPUT_ERRORS = new Set(['ENAMETOOLONG', 'ELOOP', 'ENOTDIR', 'EEXIST', 'EISDIR', 'ENOTEMPTY', 'EINVAL']);

export async function applyTar(tar: NodeJS.ReadableStream | AsyncIterable<Buffer>, opts: ApplyOptions): Promise<ApplyResult> {
  const limits = { ...DEFAULT_LAYER_LIMITS, ...opts.limits };
  const reader = new TarReader(tar, { maxBytes: limits.maxBytes, limitName: 'max-layer-size', ...(opts.noDigest ? { digest: false } : {}) });
  const applier = new Applier(opts.root, opts.whiteouts, opts.onFile, opts.idMaps);
  let count = 0;
  for (let h = await reader.next(); h; h = await reader.next()) {
    if (++count > limits.maxFiles) throw invalid(`archive exceeds the limit of ${limits.maxFiles} entries (maxFiles)`);
    try {
      await applier.entry(h, reader);
    } catch (err) {
      if (err instanceof BerthError) throw err;
      const e = wrap(syscallError(err, `${opts.root}/${cleanEntryPath(h.name)}`), `applying tar entry "${h.name}"`);
      if (INPUT_ERRORS.has((err as { code?: string }).code ?? '')) throw invalid(e.message);
      throw e;
    }
  }
  applier.finish();
  return { diffId: opts.noDigest ? '' : reader.digest(), size: applier.size };
}

class Applier {
  readonly #root: string;
  readonly #mode: 'overlay' | 'delete';
  /** Paths this archive created: only in "delete" mode is anything else in the tree. */
  readonly #written = new Set<string>();
  /** Directories known to be real directories (cache of lstat walks). */
  readonly #dirs = new Set<string>(['']);
  readonly #dirTimes: Array<[string, number]> = [];
  /** The group a file created in a directory gets from the kernel (its own if set-group-ID, else EGID), by rel. */
  readonly #createdGid = new Map<string, number>();
  readonly #onFile: ((abs: string, sha256: string) => void) | undefined;
  readonly #idMaps: IdMaps | undefined;
  size = 0;

  constructor(root: string, mode: 'overlay' | 'delete', onFile?: (abs: string, sha256: string) => void, idMaps?: IdMaps) {
    this.#idMaps = idMaps;
    this.#root = root;
    this.#mode = mode;
    this.#onFile = onFile;
  }

  #abs(rel: string): string { return rel === '' ? this.#root : `${this.#root}/${rel}`; }

  #fromArchive(rel: string): boolean { return this.#mode === 'overlay' || this.#written.has(rel); }

  // Only "delete" mode needs the set; in "overlay" mode the root started empty.
  #mark(rel: string): void { if (this.#mode === 'delete') this.#written.add(rel); }

  async entry(h: TarHeader, reader: TarReader): Promise<void> {
    const rel = cleanEntryPath(h.name);
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    // aufs metadata (/.wh..wh.plnk and friends) is not content; Docker skips it too.
    if (rel.startsWith(`${WH}${WH}`) && rel !== OPAQUE) return;
    if (base.startsWith(WH)) return this.#whiteout(rel, parent, base);
    if (rel === '') {
      if (h.type === 'dir') this.#meta(rel, h);
      return;
    }
    this.#ensureDir(parent, h.name);
    const abs = this.#abs(rel);
    let fileHash: string | undefined;
    switch (h.type) {
      case 'dir': this.#mkdir(rel, abs); break;
      case 'file': fileHash = await this.#file(rel, parent, abs, h, reader); break;
      case 'symlink': this.#create(rel, () => fs.symlinkSync(h.linkname, abs)); break;
      case 'link': this.#hardlink(rel, abs, h); break;
      case 'char': this.#create(rel, () => mknod(abs, S_IFCHR | (h.mode & 0o7777), h.devmajor, h.devminor)); break;
      case 'block': this.#create(rel, () => mknod(abs, S_IFBLK | (h.mode & 0o7777), h.devmajor, h.devminor)); break;
      case 'fifo': this.#create(rel, () => mknod(abs, S_IFIFO | (h.mode & 0o7777))); break;
    }
    this.#mark(rel);
    // A hardlink shares the inode of its source: leave its metadata alone (GNU tar does).
    // A regular file's metadata was set through its descriptor.
    if (h.type !== 'link' && h.type !== 'file') this.#meta(rel, h);
    if (fileHash !== undefined) this.#onFile!(abs, fileHash);
  }

  /**
   * Creates a non-directory at rel. Nothing is usually there (the tree started
   * empty, or the lower layer has no such name), so the creation is tried
   * first; only when it finds something (EEXIST: whatever it is, a symlink
   * included, since none of these calls follows one) is that removed and the
   * creation tried again.
   */
  #create<T>(rel: string, make: () => T): T {
    try {
      return make();
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
    this.#removeAll(rel);
    return make();
  }

  /** A directory entry: an existing directory is kept (its contents too), anything else replaced. */
  #mkdir(rel: string, abs: string): void {
    try {
      fs.mkdirSync(abs, { mode: 0o700 });
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      if (!lstatOrNull(abs)?.isDirectory()) {
        this.#removeAll(rel);
        fs.mkdirSync(abs, { mode: 0o700 });
      }
    }
    this.#dirs.add(rel);
  }

  /**
   * Writes the body and sets owner, mode, xattrs and mtime through the
   * descriptor (no path walk per call); returns the content's sha256 when an
   * onFile callback wants it.
   */
  async #file(rel: string, parent: string, abs: string, h: TarHeader, reader: TarReader): Promise<string | undefined> {
    const c = fs.constants;
    const hash = this.#onFile ? createHash('sha256') : null;
    const fd = this.#create(rel, () => fs.openSync(abs, c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW, 0o600));
    try {
      for await (const chunk of reader.body()) {
        hash?.update(chunk);
        let off = 0;
        while (off < chunk.length) off += fs.writeSync(fd, chunk, off);
        this.size += chunk.length;
      }
      // Owner before mode: chown clears the set-user-ID and set-group-ID bits.
      const o = this.#owner(h);
      if (o.uid !== EUID || o.gid !== this.#groupOfNew(parent)) fs.fchownSync(fd, o.uid, o.gid);
      fs.fchmodSync(fd, h.mode & 0o7777);
      this.#xattrs(abs, h);
      fs.futimesSync(fd, h.mtime, h.mtime);
    } finally {
      fs.closeSync(fd);
    }
    return hash?.digest('hex');
  }

  #hardlink(rel: string, abs: string, h: TarHeader): void {
    const target = cleanEntryPath(h.linkname);
    if (target === '') throw invalid(`hardlink "${h.name}" points at the layer root`);
    const targetParent = target.includes('/') ? target.slice(0, target.lastIndexOf('/')) : '';
    const check = () => {
      this.#requireRealDir(targetParent, h);
      const st = lstatOrNull(this.#abs(target));
      if (!st) throw invalid(`hardlink "${h.name}" points at "${h.linkname}", which is not in the layer`);
      if (st.isDirectory()) throw invalid(`hardlink "${h.name}" points at directory "${h.linkname}"`);
    };
    check();
    try {
      fs.linkSync(this.#abs(target), abs);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
    // What was at rel goes first; it may have been the target itself (or held it).
    this.#removeAll(rel);
    check();
    fs.linkSync(this.#abs(target), abs);
  }

  /** Every component of rel must already be a real directory (no symlink, no creation). */
  #requireRealDir(rel: string, h: TarHeader): void {
    if (this.#dirs.has(rel)) return;
    let cur = '';
    for (const part of rel.split('/')) {
      cur = cur ? `${cur}/${part}` : part;
      if (this.#dirs.has(cur)) continue;
      const st = lstatOrNull(this.#abs(cur));
      if (!st) throw invalid(`hardlink "${h.name}" points at "${h.linkname}", which is not in the layer`);
      if (!st.isDirectory()) throw invalid(`hardlink "${h.name}" target "${h.linkname}" is not reachable without following a link`);
      this.#dirs.add(cur);
    }
  }

  /** Makes rel a directory, creating missing components (0755, as Docker does). */
  #ensureDir(rel: string, entryName: string): void {
    if (this.#dirs.has(rel)) return;
    let cur = '';
    for (const part of rel.split('/')) {
      cur = cur ? `${cur}/${part}` : part;
      if (this.#dirs.has(cur)) continue;
      const abs = this.#abs(cur);
      const st = lstatOrNull(abs);
      if (st && !st.isDirectory()) {
        if (this.#fromArchive(cur)) {
          const what = st.isSymbolicLink() ? 'a symlink' : 'not a directory';
          throw invalid(`tar entry "${entryName}": refusing to write through "${cur}", which is ${what} in the same archive`);
        }
        this.#removeAll(cur);
      }
      if (!st || !st.isDirectory()) {
        fs.mkdirSync(abs, { mode: 0o755 });
        this.#mark(cur);
      }
      this.#dirs.add(cur);
    }
  }

  #whiteout(rel: string, parent: string, base: string): void {
    if (base === OPAQUE) return this.#opaque(parent, rel);
    if (base.startsWith(`${WH}${WH}`)) return; // aufs metadata (.wh..wh.plnk and friends): not content
    const name = base.slice(WH.length);
    if (name === '' || name === '.' || name === '..') throw invalid(`invalid whiteout "${rel}"`);
    const target = parent ? `${parent}/${name}` : name;
    if (this.#mode === 'overlay') {
      this.#ensureDir(parent, rel);
      if (lstatOrNull(this.#abs(target))) this.#removeAll(target);
      mknod(this.#abs(target), S_IFCHR, 0, 0);
      return;
    }
    // Deleting: only along real directories; a path through a link has nothing of ours to delete.
    if (!this.#isRealDirPath(parent)) return;
    if (lstatOrNull(this.#abs(target))) this.#removeAll(target);
  }

  #opaque(dir: string, rel: string): void {
    this.#ensureDir(dir, rel);
    if (this.#mode === 'overlay') {
      lsetxattr(this.#abs(dir), 'trusted.overlay.opaque', Buffer.from('y'));
      return;
    }
    this.#pruneLower(dir);
  }

  /** Removes everything under dir that this archive did not create (an opaque dir hides the lower layers). */
  #pruneLower(dir: string): void {
    for (const name of fs.readdirSync(this.#abs(dir))) {
      const rel = dir ? `${dir}/${name}` : name;
      if (!this.#written.has(rel)) this.#removeAll(rel);
      else if (this.#dirs.has(rel) && lstatOrNull(this.#abs(rel))?.isDirectory()) this.#pruneLower(rel);
    }
  }

  #isRealDirPath(rel: string): boolean {
    if (this.#dirs.has(rel)) return true;
    let cur = '';
    for (const part of rel.split('/')) {
      cur = cur ? `${cur}/${part}` : part;
      if (this.#dirs.has(cur)) continue;
      if (!lstatOrNull(this.#abs(cur))?.isDirectory()) return false;
      this.#dirs.add(cur);
    }
    return true;
  }

  #removeAll(rel: string): void {
    fs.rmSync(this.#abs(rel), { recursive: true, force: true });
    const prefix = `${rel}/`;
    for (const d of this.#dirs) if (d === rel || d.startsWith(prefix)) this.#dirs.delete(d);
    for (const d of this.#createdGid.keys()) if (d === rel || d.startsWith(prefix)) this.#createdGid.delete(d);
  }

  /** The group the kernel gives a file created in dir now: dir's own when it is set-group-ID, else the daemon's. */
  #groupOfNew(dir: string): number {
    let gid = this.#createdGid.get(dir);
    if (gid === undefined) {
      const st = fs.lstatSync(this.#abs(dir));
      gid = st.mode & S_ISGID ? st.gid : EGID;
      this.#createdGid.set(dir, gid);
    }
    return gid;
  }

  /** The entry's owner on disk: under --userns-remap, the host IDs its IDs map to. */
  #owner(h: TarHeader): { uid: number; gid: number } {
    const m = this.#idMaps;
    return m ? ownerToHost(m, h.uid, h.gid) : { uid: h.uid, gid: h.gid };
  }

  #meta(rel: string, h: TarHeader): void {
    const abs = this.#abs(rel);
    const o = this.#owner(h);
    fs.lchownSync(abs, o.uid, o.gid);
    if (h.type !== 'symlink') fs.chmodSync(abs, h.mode & 0o7777);
    this.#xattrs(abs, h);
    if (h.type === 'dir') {
      this.#dirTimes.push([abs, h.mtime]);
      // Its owner and mode as just set (chmod by root keeps set-group-ID as given).
      this.#createdGid.set(rel, h.mode & S_ISGID ? o.gid : EGID);
    }
    else fs.lutimesSync(abs, h.mtime, h.mtime);
  }

  #xattrs(abs: string, h: TarHeader): void {
    if (h.xattrs.size === 0) return;
    for (const [name, value] of allowedXattrs(h)) {
      try {
        lsetxattr(abs, name, value);
      } catch (err) {
        // Filesystems without user xattrs: Docker also carries on.
        if ((err as { code?: string }).code !== 'ENOTSUP') throw err;
      }
    }
  }

  /** Directory mtimes last: creating entries inside would change them again. */
  finish(): void {
    for (const [abs, mtime] of this.#dirTimes) {
      if (lstatOrNull(abs)?.isDirectory()) fs.lutimesSync(abs, mtime, mtime);
    }
  }
}
