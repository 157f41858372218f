// The trees of recent context uploads, kept after their builds so that the
// next upload of the same context need not write its large files again
// (context-reuse.ts compares each arriving body with the kept file of the
// same path and, when every byte matches, links the kept file in).
//
//   upload 1: extracted into ctx-1 as always; at close() ctx-1 is kept, its
//             files of 64 KiB and more recorded: path -> header fields and
//             inode, inode -> sha256 and the stat that content had
//   upload 2: "big" arrives with the header ctx-1/big had: the body is
//             compared with ctx-1/big as it streams (nothing written,
//             nothing hashed); equal to the last byte, ctx-2/big becomes a
//             hard link to ctx-1/big and takes its recorded sha256
//   close 2:  ctx-2 is kept too; the oldest trees go past 3 or 1 GiB
//
// A recorded sha256 is only believed while the inode's size, mtime and
// ctime in nanoseconds are those it was recorded with: any write to the
// file changes the ctime, which nothing can set back. This module's own
// link, rename and unlink calls change the ctime too; each is followed at
// once (synchronously, nothing else runs between) by a refresh of the
// record, and no upload compares against kept files while trees are being
// removed. The trees live under the builder's tmp dir (0700), which a
// daemon start wipes: nothing here survives a restart.

import * as fs from 'node:fs';

/** What a tar header says about a file, as compared between uploads. */
export interface FileHead { size: number; mode: number; uid: number; gid: number; mtime: number }

/** The content a recorded inode had: its sha256 while the stat fields are these. */
interface InodeRecord { hash: string; size: bigint; mtimeNs: bigint; ctimeNs: bigint }

export interface KeptEntry { rel: string; head: FileHead; key: string }

interface Tree { dir: string; bytes: number; files: Map<string, KeptEntry> }

/** A kept file an arriving one may be compared with. */
export interface KeptFile { abs: string; key: string; hash: string }

/** Files smaller than this are written as they arrive: a link costs about what writing them does. */
export const MIN_KEPT_SIZE = 64 * 1024;
const MAX_TREES = 3;
const MAX_BYTES = 1024 ** 3;

export const inodeKey = (st: fs.BigIntStats): string => `${st.dev}:${st.ino}`;

export class KeptContexts {
  readonly #trees: Tree[] = [];
  readonly #inodes = new Map<string, InodeRecord>();
  /** Uploads comparing against kept files now: no tree is removed while any is. */
  #comparing = 0;
  #removal: Promise<void> | null = null;
  /** Trees taken out of the lookups, to remove once no upload compares. */
  readonly #doomed: Tree[] = [];
  readonly #maxTrees: number;
  readonly #maxBytes: number;

  constructor(o: { maxTrees?: number; maxBytes?: number } = {}) {
    this.#maxTrees = o.maxTrees ?? MAX_TREES;
    this.#maxBytes = o.maxBytes ?? MAX_BYTES;
  }

  /**
   * An upload starts: true if it may compare against kept files (until
   * done()). Removing a tree moves the ctime of the inodes it shares with
   * others, so an upload waits a little for a removal under way, and does
   * not compare if it is still going.
   */
  async begin(): Promise<boolean> {
    if (this.#removal) await Promise.race([this.#removal, new Promise((r) => setTimeout(r, 250).unref())]);
    if (this.#removal) return false;
    this.#comparing++;
    return true;
  }

  done(): void {
    this.#comparing--;
    this.#evict();
  }

  /** Kept files recorded at rel with exactly this header, newest tree first, one per inode. */
  candidates(rel: string, h: FileHead): KeptFile[] {
    const out: KeptFile[] = [];
    for (let i = this.#trees.length - 1; i >= 0; i--) {
      const t = this.#trees[i]!;
      const e = t.files.get(rel);
      if (!e || !sameHead(e.head, h) || out.some((k) => k.key === e.key)) continue;
      const r = this.#inodes.get(e.key);
      if (r) out.push({ abs: `${t.dir}/${rel}`, key: e.key, hash: r.hash });
    }
    return out;
  }

  /** Whether st (of a kept file) still has the content its record names. */
  valid(key: string, st: fs.BigIntStats): boolean {
    const r = this.#inodes.get(key);
    return !!r && inodeKey(st) === key && st.isFile() && st.size === r.size && st.mtimeNs === r.mtimeNs && st.ctimeNs === r.ctimeNs;
  }

  /**
   * After this module linked, renamed or unlinked a name of a recorded
   * inode (its ctime moved): st is the inode's stat taken right after.
   */
  touched(key: string, st: fs.BigIntStats): void {
    const r = this.#inodes.get(key);
    if (!r) return;
    if (inodeKey(st) === key && st.size === r.size && st.mtimeNs === r.mtimeNs) r.ctimeNs = st.ctimeNs;
    else this.#inodes.delete(key);
  }

  /**
   * Takes a closed context's tree: keeps it (files: its large files with
   * their hash and the stat taken when they were made; one whose stat moved
   * since is not recorded), or removes it when it is too large to keep.
   * A tree with no large file is not kept either. Either way the tree is
   * this module's now: it may share inodes with kept trees, so it is
   * removed as they are.
   */
  adopt(dir: string, bytes: number, files: Array<{ rel: string; head: FileHead; hash: string; st: fs.BigIntStats }>): void {
    const tree: Tree = { dir, bytes, files: new Map() };
    if (bytes > this.#maxBytes || this.#maxTrees === 0) return this.discard(dir);
    for (const f of files) {
      const now = fs.lstatSync(`${dir}/${f.rel}`, { bigint: true, throwIfNoEntry: false });
      if (!now || inodeKey(now) !== inodeKey(f.st) || now.ctimeNs !== f.st.ctimeNs || now.size !== f.st.size || now.mtimeNs !== f.st.mtimeNs) continue;
      const key = inodeKey(now);
      const r = this.#inodes.get(key);
      if (r && r.hash !== f.hash) continue; // cannot be (one inode, one content): trust neither
      if (!r) this.#inodes.set(key, { hash: f.hash, size: now.size, mtimeNs: now.mtimeNs, ctimeNs: now.ctimeNs });
      tree.files.set(f.rel, { rel: f.rel, head: f.head, key });
    }
    // Nothing in it to compare with: not worth its room.
    if (tree.files.size === 0) return this.discard(dir);
    this.#trees.push(tree);
    this.#evict();
  }

  /** Removes a tree that is not kept (a failed upload), as kept ones are removed. */
  discard(dir: string): void {
    this.#doomed.push({ dir, bytes: 0, files: new Map() });
    this.#evict();
  }

  /** Removes every kept tree (builder prune); trees an upload is comparing against go once it is done. */
  clear(): void {
    this.#doomed.push(...this.#trees.splice(0));
    this.#evict();
  }

  /** Trees kept now (tests). */
  get size(): number { return this.#trees.length; }

  #evict(): void {
    if (this.#comparing > 0) return;
    const drop: Tree[] = this.#doomed.splice(0);
    let bytes = this.#trees.reduce((n, t) => n + t.bytes, 0);
    while (this.#trees.length > this.#maxTrees || (this.#trees.length > 0 && bytes > this.#maxBytes)) {
      const t = this.#trees.shift()!;
      bytes -= t.bytes;
      drop.push(t);
    }
    if (drop.length) void this.#remove(drop);
  }

  /** Removes trees (off the event loop), then refreshes the inodes other trees still share with them. */
  async #remove(trees: Tree[]): Promise<void> {
    if (trees.length === 0) return;
    const before = this.#removal;
    const removal = this.#removeNow(trees, before);
    this.#removal = removal;
    await removal;
    if (this.#removal === removal) this.#removal = null;
  }

  async #removeNow(trees: Tree[], before: Promise<void> | null): Promise<void> {
    await before;
    try {
      await Promise.all(trees.map((t) => fs.promises.rm(t.dir, { recursive: true, force: true }).catch(() => {})));
    } finally {
      // Unlinking moved the ctime of every inode a removed tree shared with a kept one: the records take it again.
      const live = new Set<string>();
      for (const t of this.#trees) {
        for (const e of t.files.values()) {
          const st = fs.lstatSync(`${t.dir}/${e.rel}`, { bigint: true, throwIfNoEntry: false });
          if (st) this.touched(e.key, st);
          live.add(e.key);
        }
      }
      for (const key of this.#inodes.keys()) if (!live.has(key)) this.#inodes.delete(key);
    }
  }
}

function sameHead(a: FileHead, b: FileHead): boolean {
  return a.size === b.size && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.mtime === b.mtime;
}
