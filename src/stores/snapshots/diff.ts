// What a writable snapshot changed against its parent, as a walk of
// entries in archive order (parents before children, names sorted):
//
//   overlay: the upper dir is the change set. A 0/0 char device is a
//     deletion, a directory with trusted.overlay.opaque=y hides everything
//     below it; A or C depends on whether the lower layers have the path.
//   copy: the snapshot is a full tree, compared with the parent layer's
//     tree by type, mode, owner, size, mtime, link target and device number
//     (Docker's naive diff does the same); names only in the parent are
//     deletions.
//
// Unchanged directories that hold changes are reported as C before their
// children, so a layer built from the walk never recreates a directory with
// default metadata over the lower layer's (what /tmp's 1777 would lose).

import * as fs from 'node:fs';
import type { SnapshotDiffEntry } from '../../core/snapshot.ts';
import { lgetxattr } from '../../sys/libc.ts';
import { lstatOrNull } from './tree-paths.ts';

function sortedNames(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function isOpaque(abs: string): boolean {
  try {
    return lgetxattr(abs, 'trusted.overlay.opaque')?.toString() === 'y';
  } catch {
    return false;
  }
}

/** Whether the lower layers (nearest first) show path: the first layer that has it (or hides it) decides. */
function inLowers(lowers: string[], path: string): boolean {
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  for (const lower of lowers) {
    const st = lstatOrNull(`${lower}/${path}`);
    if (st) return !isWhiteout(st);
    if (parent && isOpaque(`${lower}/${parent}`)) return false;
  }
  return false;
}

export async function* overlayDiff(upper: string, lowers: string[]): AsyncGenerator<SnapshotDiffEntry> {
  const walk = async function* (rel: string): AsyncGenerator<SnapshotDiffEntry> {
    for (const name of sortedNames(rel ? `${upper}/${rel}` : upper)) {
      const path = rel ? `${rel}/${name}` : name;
      const abs = `${upper}/${path}`;
      const st = lstatOrNull(abs);
      if (!st) continue;
      if (isWhiteout(st)) {
        if (inLowers(lowers, path)) yield { path, kind: 'D' };
        continue;
      }
      const dir = st.isDirectory();
      const opaque = dir && isOpaque(abs);
      yield { path, kind: inLowers(lowers, path) ? 'C' : 'A', source: abs, ...(opaque ? { opaque } : {}) };
      if (dir) yield* walk(path);
    }
  };
  yield* walk('');
}

function sameEntry(a: fs.Stats, b: fs.Stats, aPath: string, bPath: string): boolean {
  if ((a.mode & 0o170000) !== (b.mode & 0o170000)) return false;
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  // copyTree sets times through a Date (whole milliseconds, rounded): equal within a millisecond.
  if (Math.abs(a.mtimeMs - b.mtimeMs) >= 1) return false;
  if (a.isDirectory()) return true;
  if (a.size !== b.size || a.rdev !== b.rdev) return false;
  if (a.isSymbolicLink() && fs.readlinkSync(aPath) !== fs.readlinkSync(bPath)) return false;
  return true;
}

export async function* treeDiff(upper: string, parent: string | null): AsyncGenerator<SnapshotDiffEntry> {
  // Unchanged directories on the way down, emitted only once something below them is.
  const pending: SnapshotDiffEntry[] = [];
  const flush = function* (): Generator<SnapshotDiffEntry> {
    for (const p of pending.splice(0)) yield p;
  };
  const walk = async function* (rel: string, lowerExists: boolean): AsyncGenerator<SnapshotDiffEntry> {
    const upperNames = sortedNames(rel ? `${upper}/${rel}` : upper);
    const lowerNames = lowerExists && parent ? sortedNames(rel ? `${parent}/${rel}` : parent) : [];
    const inUpper = new Set(upperNames);
    const all = [...new Set([...upperNames, ...lowerNames])].sort();
    for (const name of all) {
      const path = rel ? `${rel}/${name}` : name;
      const abs = `${upper}/${path}`;
      if (!inUpper.has(name)) {
        yield* flush();
        yield { path, kind: 'D' };
        continue;
      }
      const u = lstatOrNull(abs);
      if (!u) continue;
      const lowerAbs = parent ? `${parent}/${path}` : '';
      const l = lowerExists && parent ? lstatOrNull(lowerAbs) : null;
      const dir = u.isDirectory();
      if (!l) {
        yield* flush();
        yield { path, kind: 'A', source: abs };
        if (dir) yield* walk(path, false);
        continue;
      }
      const typeChanged = (u.mode & 0o170000) !== (l.mode & 0o170000);
      if (!sameEntry(u, l, abs, lowerAbs)) {
        yield* flush();
        // A directory that replaced a file (or the reverse) hides all of the lower one.
        yield { path, kind: 'C', source: abs, ...(dir && typeChanged ? { opaque: true } : {}) };
        if (dir) yield* walk(path, !typeChanged);
        continue;
      }
      if (!dir) continue;
      const depth = pending.length;
      pending.push({ path, kind: 'C', source: abs });
      yield* walk(path, true);
      if (pending.length > depth) pending.length = depth; // nothing changed below: not reported
    }
  };
  yield* walk('', true);
}
