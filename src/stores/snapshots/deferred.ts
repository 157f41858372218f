// Bodies of large files an archive carried, kept in memory instead of being
// written while the archive streams in. The applier creates each such file
// with its final size (a sparse file: ftruncate), owner, mode and mtime, so
// everything that only looks at the tree (stat, readdir, a cache key built
// from sizes and content hashes taken on the way in) sees it as written;
// write() fills the contents in later, and only when something reads them.
//
// A build context sent by the docker CLI is the case: a rebuild with
// nothing changed needs the files' hashes, never their bytes, so 250 MB
// of context costs its hashing and no disk write.
//
// The applier drops a record whenever it removes or replaces the path (a
// later entry of the same name, a whiteout, a directory turned symlink), so
// a record always names the file it was made for; write() still opens with
// O_NOFOLLOW and checks the inode before writing.

import * as fs from 'node:fs';
import * as os from 'node:os';

export interface DeferredFile {
  rel: string;
  chunks: Buffer[];
  size: number;
  mtime: number;
  ino: number;
  dev: number;
  sha256: string;
}

/** Smallest body worth deferring: below this a write costs less than the bookkeeping. */
const MIN_DEFERRED = 1024 * 1024;
/** Bytes held across every archive of the process (a shared budget: builds can run side by side). */
let held = 0;
export const DEFERRED_BUDGET = Math.min(1024 ** 3, Math.floor(os.totalmem() / 8));

export class DeferredBodies {
  readonly #root: string;
  readonly #files = new Map<string, DeferredFile>();
  #bytes = 0;
  #budget: number;

  constructor(root: string, budget = DEFERRED_BUDGET) {
    this.#root = root;
    this.#budget = budget;
  }

  /** Bytes this archive holds in memory. */
  get bytes(): number { return this.#bytes; }
  get count(): number { return this.#files.size; }

  /** Whether a body of this size is kept (reserving it) or written at once. */
  reserve(size: number): boolean {
    if (size < MIN_DEFERRED || held + size > this.#budget) return false;
    held += size;
    this.#bytes += size;
    return true;
  }

  /** Gives back a reservation whose file was never recorded (an error while reading its body). */
  unreserve(size: number): void {
    held -= size;
    this.#bytes -= size;
  }

  add(f: DeferredFile): void {
    this.#drop(f.rel);
    this.#files.set(f.rel, f);
  }

  /** The applier removed rel (and everything below it): their bodies are no longer wanted. */
  dropUnder(rel: string): void {
    if (this.#files.size === 0) return;
    if (rel === '') { this.release(); return; }
    const prefix = `${rel}/`;
    for (const k of [...this.#files.keys()]) if (k === rel || k.startsWith(prefix)) this.#drop(k);
  }

  /** Writes one file's body now (a hardlink is about to share its inode); false if none was deferred. */
  writeOne(rel: string, onWritten?: (abs: string, sha256: string) => void): boolean {
    const f = this.#files.get(rel);
    if (!f) return false;
    this.#write(f);
    this.#drop(rel);
    onWritten?.(`${this.#root}/${rel}`, f.sha256);
    return true;
  }

  /** Writes every deferred body into its file, keeping the file's mtime; onWritten gets each path and its hash. */
  writeAll(onWritten?: (abs: string, sha256: string) => void): void {
    for (const f of [...this.#files.values()]) {
      this.#write(f);
      this.#drop(f.rel);
      onWritten?.(`${this.#root}/${f.rel}`, f.sha256);
    }
  }

  /** Forgets every body (the tree is going away). */
  release(): void {
    for (const k of [...this.#files.keys()]) this.#drop(k);
  }

  #drop(rel: string): void {
    const f = this.#files.get(rel);
    if (!f) return;
    this.#files.delete(rel);
    this.unreserve(f.size);
  }

  #write(f: DeferredFile): void {
    const c = fs.constants;
    const abs = `${this.#root}/${f.rel}`;
    const fd = fs.openSync(abs, c.O_WRONLY | c.O_NOFOLLOW);
    try {
      const st = fs.fstatSync(fd);
      if (st.ino !== f.ino || st.dev !== f.dev || !st.isFile()) throw new Error(`deferred file ${f.rel} was replaced`);
      let pos = 0;
      for (const chunk of f.chunks) {
        let off = 0;
        while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off, pos + off);
        pos += chunk.length;
      }
      fs.futimesSync(fd, f.mtime, f.mtime);
    } finally {
      fs.closeSync(fd);
    }
  }
}
