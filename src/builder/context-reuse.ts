// One context upload measured against the kept trees (context-keep.ts):
// the tar stream passes through filter() on its way to applyTar(), which
// keeps doing all the guarding. A regular file whose header (path, size,
// mode, owner, mtime; no xattrs) matches a kept file is taken out of the
// stream: its body is compared, chunk by chunk, with the kept file's bytes
// (read from the page cache), neither written nor hashed, and applyTar gets
// an empty placeholder file in its place. Equal to the last byte, the body
// is the kept file's content, so the kept file's recorded sha256 is its
// hash: no header field decides anything, the bytes do. At the first
// difference the body goes to a file of its own (the equal prefix copied
// from the kept file), hashed like any other.
//
// Once applyTar is done, finish() puts the real files where the
// placeholders are: each placeholder's inode is held by a link in a
// private stage dir from the moment applyTar made it, so any name in the
// tree with that inode (the entry's own path, or a hard link the archive
// made to it) is one to fill, and one that a later entry replaced or a
// whiteout removed is left alone. A filling is a link made beside the name
// and renamed over it, along parents checked to be real directories.

import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { internal, invalid } from '../core/errors.ts';
import { inodeKey, MIN_KEPT_SIZE, type FileHead, type KeptContexts, type KeptFile } from './context-keep.ts';
import { Scanner, type ScanSink, type Taken } from './context-scan.ts';
import { rememberFile } from './file-hash.ts';

/** The large files of the finished tree, for KeptContexts.adopt(). */
export interface MadeFile { rel: string; head: FileHead; hash: string; st: fs.BigIntStats }

export class ContextUpload implements ScanSink {
  readonly kept: KeptContexts;
  readonly #dir: string;
  readonly #stage: string;
  #compare = false;
  readonly #maxBytes: number;
  /** Regular-file entries handed to applyTar and not yet made, in order: applyTar's onFile takes them. */
  readonly #queue: Array<{ rel: string; head: FileHead | null; taken: Taken | null }> = [];
  #queueAt = 0;
  readonly #taken: Taken[] = [];
  /** Paths of hard links in the archive: one may name a placeholder. */
  readonly #links = new Set<string>();
  /** Large files applyTar wrote, with the stat they had when made. */
  readonly #made = new Map<string, MadeFile>();
  readonly #fds = new Set<number>();
  #n = 0;
  #buf = Buffer.alloc(0);
  #closed = false;
  /** Whether a kept file was linked into the tree (a failed upload's tree then goes through KeptContexts.discard). */
  linked = false;

  constructor(kept: KeptContexts, dir: string, maxBytes: number) {
    this.kept = kept;
    this.#dir = dir;
    this.#stage = `${dir}.stage`;
    this.#maxBytes = maxBytes;
    fs.mkdirSync(this.#stage, { mode: 0o700 });
  }

  /** Before the stream: whether this upload may compare against the kept trees. */
  async start(): Promise<void> {
    this.#compare = await this.kept.begin();
  }

  /** For applyTar's onFile: records the hash (file-hash.ts), or holds a placeholder's inode. */
  readonly onFile = (abs: string, sha256: string): void => {
    const rel = abs.slice(this.#dir.length + 1);
    const q = this.#queue[this.#queueAt];
    if (!q || q.rel !== rel) throw internal(`context reuse out of step at "${rel}" (expected "${q?.rel}")`);
    this.#queue[this.#queueAt++] = undefined!;
    if (this.#queueAt > 1024) { this.#queue.splice(0, this.#queueAt); this.#queueAt = 0; }
    if (q.taken) {
      q.taken.hold = `${this.#stage}/p${++this.#n}`;
      fs.linkSync(abs, q.taken.hold);
      return;
    }
    rememberFile(abs, sha256);
    if (q.head) this.#made.set(rel, { rel, head: q.head, hash: sha256, st: fs.lstatSync(abs, { bigint: true }) });
    else this.#made.delete(rel);
  };

  /** The tar stream for applyTar: the input with the matching bodies taken out. */
  async *filter(src: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
    const scan = new Scanner(this);
    let total = 0;
    for await (const raw of src) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      total += chunk.length;
      // applyTar counts only what it is given: the limit on what was sent is kept here.
      if (total > this.#maxBytes) throw invalid(`archive exceeds the limit of ${this.#maxBytes} uncompressed bytes (max-layer-size)`);
      yield* scan.feed(chunk);
    }
    yield* scan.end();
  }

  fileEntry(rel: string, head: FileHead, xattrs: boolean): KeptFile[] {
    return this.#compare && recordable(head, xattrs) ? this.kept.candidates(rel, head) : [];
  }

  queued(rel: string, head: FileHead, xattrs: boolean, taken: Taken | null): void {
    this.#queue.push({ rel, head: recordable(head, xattrs) ? head : null, taken });
    if (taken) this.#taken.push(taken);
  }

  link(rel: string): void { this.#links.add(rel); }

  buffer(n: number): Buffer {
    if (this.#buf.length < n) this.#buf = Buffer.allocUnsafeSlow(Math.max(n, 1 << 20));
    return this.#buf;
  }

  stagePath(): string { return `${this.#stage}/w${++this.#n}`; }
  track(fd: number): void { this.#fds.add(fd); }
  untrack(fd: number): void { this.#fds.delete(fd); }

  /** After applyTar: fills the placeholders; returns the tree's large files (for KeptContexts.adopt). */
  finish(): MadeFile[] {
    const byHold = new Map<string, Taken>();
    for (const t of this.#taken) if (t.hold) byHold.set(inodeKey(fs.lstatSync(t.hold, { bigint: true })), t);
    const filled: Array<{ rel: string; t: Taken }> = [];
    for (const rel of new Set([...this.#taken.map((t) => t.rel), ...this.#links])) {
      const st = lstatInTree(this.#dir, rel);
      const t = st?.isFile() ? byHold.get(inodeKey(st)) : undefined;
      if (!t) continue;
      this.#fill(rel, t);
      filled.push({ rel, t });
    }
    // Every name a placeholder had is filled: only its stage link is left.
    for (const t of this.#taken) {
      if (t.hold && fs.lstatSync(t.hold).nlink !== 1) throw internal(`a placeholder for "${t.rel}" was left in the build context`);
    }
    this.abort();
    const out = new Map<string, MadeFile>();
    for (const [rel, m] of this.#made) {
      const now = fs.lstatSync(`${this.#dir}/${rel}`, { bigint: true, throwIfNoEntry: false });
      if (now && inodeKey(now) === inodeKey(m.st) && now.ctimeNs === m.st.ctimeNs) out.set(rel, m);
    }
    for (const { rel, t } of filled) {
      const abs = `${this.#dir}/${rel}`;
      rememberFile(abs, t.hash);
      out.set(rel, { rel, head: t.head, hash: t.hash, st: fs.lstatSync(abs, { bigint: true }) });
    }
    return [...out.values()];
  }

  /** Ends the upload, finished or failed: closes what it opened, removes its stage dir, lets the kept trees go. */
  abort(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const fd of this.#fds) { try { fs.closeSync(fd); } catch { /* closed */ } }
    this.#fds.clear();
    fs.rmSync(this.#stage, { recursive: true, force: true });
    if (this.#compare) this.kept.done();
  }

  #fill(rel: string, t: Taken): void {
    const abs = `${this.#dir}/${rel}`;
    const tmp = `${abs.slice(0, abs.lastIndexOf('/'))}/.berth-reuse-${randomBytes(6).toString('hex')}`;
    if (t.from.kind === 'kept') {
      const k = t.from.file;
      if (!this.kept.valid(k.key, fs.lstatSync(k.abs, { bigint: true }))) throw internal(`kept context file ${k.abs} changed`);
      this.linked = true;
      fs.linkSync(k.abs, tmp);
      fs.renameSync(tmp, abs);
      this.kept.touched(k.key, fs.lstatSync(abs, { bigint: true }));
    } else {
      fs.linkSync(t.from.path, tmp);
      fs.renameSync(tmp, abs);
    }
  }
}

/** Files worth recording (and comparing): large, and with no xattrs (a placeholder could not carry them). */
function recordable(head: FileHead, xattrs: boolean): boolean {
  return head.size >= MIN_KEPT_SIZE && !xattrs;
}

/** lstat of root/rel when every parent is a real directory (no symlink on the way), else null. */
function lstatInTree(root: string, rel: string): fs.BigIntStats | null {
  const parts = rel.split('/');
  let cur = root;
  for (let i = 0; i < parts.length - 1; i++) {
    cur = `${cur}/${parts[i]}`;
    if (!fs.lstatSync(cur, { throwIfNoEntry: false })?.isDirectory()) return null;
  }
  return fs.lstatSync(`${root}/${rel}`, { bigint: true, throwIfNoEntry: false }) ?? null;
}
