// Content hashes of the files COPY/ADD read, for cache keys: sha256 (with
// the CPU's SHA extensions it is the fastest digest Node offers here),
// remembered by device, inode, size, mtime and ctime so that a rebuild
// from the same folder reads nothing again. A context sent as a tar is
// hashed while it is extracted (remember()), so its files are never read
// back for the key either.

import * as fs from 'node:fs';
import { createHash } from 'node:crypto';

const memo = new Map<string, { key: string; hash: string }>();
const MAX_ENTRIES = 100_000;

const idOf = (st: fs.Stats) => `${st.dev}:${st.ino}`;
const keyOf = (st: fs.Stats) => `${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

/** sha256 (hex) of a regular file's content; st is its lstat. */
export function fileHash(abs: string, st: fs.Stats): string {
  const m = memo.get(idOf(st));
  if (m && m.key === keyOf(st)) return m.hash;
  const h = createHash('sha256');
  const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  const hash = h.digest('hex');
  remember(st, hash);
  return hash;
}

/** Records the hash of a file just written whole (its metadata final). */
export function rememberFile(abs: string, hash: string): void {
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (st?.isFile()) remember(st, hash);
}

function remember(st: fs.Stats, hash: string): void {
  if (memo.size >= MAX_ENTRIES) memo.clear();
  memo.set(idOf(st), { key: keyOf(st), hash });
}
