// Content hashes of the files COPY/ADD read, for cache keys: sha256 (with
// the CPU's SHA extensions it is the fastest digest Node offers here),
// remembered by path and checked against the file's device, inode, size,
// mode and mtime and ctime in nanoseconds (BuildKit's content hash cache
// keys on the same stat fields). Any write to a file changes its ctime,
// which no one can set back, so a changed file always misses.
//
// A context sent as a tar is hashed while it is extracted (rememberFile()),
// so its files are never read back for the key; those entries are dropped
// when the context is removed (forgetUnder()). A folder read in place keeps
// its entries, and they are saved under the builder's root (save()) so a
// restarted daemon does not read and hash the same files again.

import * as fs from 'node:fs';
import { createHash } from 'node:crypto';

interface Entry { key: string; hash: string }

const MAX_ENTRIES = 100_000;
const VERSION = 1;

const memo = new Map<string, Entry>();
/** Extracted contexts (each a "<dir>/" prefix): their entries are never saved. */
const transientRoots = new Set<string>();
const isTransient = (abs: string) => { for (const r of transientRoots) if (abs.startsWith(r)) return true; return false; };
let savePath: string | null = null;
let loaded = true;
let dirty = false;
/** Bytes read to hash files (tests: a hit reads nothing). */
let bytesHashed = 0;

/** The stat fields an entry must match, from a bigint lstat: any change to the file changes one of them. */
function keyOf(st: fs.BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.mode}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** sha256 (hex) of a regular file's content; st: its bigint lstat, when the caller has it. */
export function fileHash(abs: string, st: fs.BigIntStats = fs.lstatSync(abs, { bigint: true })): string {
  if (!loaded) load();
  const key = keyOf(st);
  const m = memo.get(abs);
  if (m && m.key === key) return m.hash;
  const h = createHash('sha256');
  const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      bytesHashed += n;
      h.update(buf.subarray(0, n));
    }
    // Written while it was read: its hash is not remembered (a later build reads it again).
    if (keyOf(fs.fstatSync(fd, { bigint: true })) !== key) return h.digest('hex');
  } finally {
    fs.closeSync(fd);
  }
  const hash = h.digest('hex');
  put(abs, key, hash);
  if (!isTransient(abs)) dirty = true;
  return hash;
}

/** Records the hash of a file of an extracted context, just written whole (its metadata final). */
export function rememberFile(abs: string, hash: string): void {
  const st = fs.lstatSync(abs, { bigint: true, throwIfNoEntry: false });
  if (!st?.isFile()) return;
  put(abs, keyOf(st), hash);
}

/** Marks dir as an extracted context: its entries live until forgetUnder(dir) and are never saved. */
export function extractedTree(dir: string): void { transientRoots.add(`${dir}/`); }

/** Forgets the entries of an extracted context that is being removed. */
export function forgetUnder(dir: string): void {
  const prefix = `${dir}/`;
  transientRoots.delete(prefix);
  for (const p of memo.keys()) if (p.startsWith(prefix)) memo.delete(p);
}

function put(abs: string, key: string, hash: string): void {
  if (memo.size >= MAX_ENTRIES && !memo.has(abs)) memo.clear();
  memo.set(abs, { key, hash });
}

/** Names the file the entries are saved in (saveHashes()); it is read at the first use, not here: a daemon's start does not wait for it. */
export function setHashFile(file: string): void {
  savePath = file;
  loaded = false;
}

/** A missing or unreadable file is an empty cache. */
function load(): void {
  loaded = true;
  if (!savePath) return;
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(savePath, 'utf8'));
  } catch {
    return;
  }
  const d = data as { version?: number; entries?: unknown };
  if (d.version !== VERSION || !Array.isArray(d.entries)) return;
  for (const e of d.entries as unknown[]) {
    if (!Array.isArray(e) || e.length !== 3 || !e.every((x) => typeof x === 'string')) continue;
    const [abs, key, hash] = e as [string, string, string];
    if (!memo.has(abs) && /^[0-9a-f]{64}$/.test(hash)) put(abs, key, hash);
  }
}

/** Writes the in-place entries to the file setHashFile() named, if any changed (atomically: a crash leaves the old file). */
export function saveHashes(): void {
  if (!savePath || !dirty) return;
  dirty = false;
  const entries: Array<[string, string, string]> = [];
  for (const [abs, e] of memo) if (!isTransient(abs)) entries.push([abs, e.key, e.hash]);
  const tmp = `${savePath}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify({ version: VERSION, entries }), { mode: 0o600 });
    fs.renameSync(tmp, savePath);
  } catch {
    // Only a cache: the next build hashes again.
    fs.rmSync(tmp, { force: true });
  }
}

/** Bytes read for hashing since the process started. */
export function hashedBytes(): number { return bytesHashed; }
