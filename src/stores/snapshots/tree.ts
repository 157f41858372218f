// Whole-tree operations for snapshots: a faithful copy (modes, owners,
// symlinks, hardlinks, device nodes, xattrs, times) and disk usage.
// Nothing here follows a symlink.

import type { UsageSkip } from '../../core/snapshot.ts';
import * as fs from 'node:fs';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { S_IFBLK, S_IFCHR, S_IFIFO, lgetxattrs, lsetxattr, mknod } from '../../sys/libc.ts';

const YIELD_EVERY = 256;

/** Copies the contents of src into dst (which must exist and be empty). */
export async function copyTree(src: string, dst: string): Promise<void> {
  const links = new Map<string, string>();   // "dev:ino" of a multiply-linked file -> its first copy
  const dirTimes: Array<[string, fs.Stats]> = [];
  let n = 0;
  const copyDir = async (from: string, to: string): Promise<void> => {
    for (const name of fs.readdirSync(from)) {
      if (++n % YIELD_EVERY === 0) await yieldLoop();
      const s = `${from}/${name}`;
      const d = `${to}/${name}`;
      const st = fs.lstatSync(s);
      if (st.isDirectory()) {
        fs.mkdirSync(d, { mode: 0o700 });
        await copyDir(s, d);
        copyMeta(s, d, st);
        dirTimes.push([d, st]);
        continue;
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first) { fs.linkSync(first, d); continue; }
        links.set(key, d);
      }
      if (st.isFile()) fs.copyFileSync(s, d, fs.constants.COPYFILE_FICLONE);
      else if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(s), d);
      else if (st.isCharacterDevice()) mknod(d, S_IFCHR, major(st.rdev), minor(st.rdev));
      else if (st.isBlockDevice()) mknod(d, S_IFBLK, major(st.rdev), minor(st.rdev));
      else if (st.isFIFO()) mknod(d, S_IFIFO);
      else continue; // sockets belong to a running process, not to a filesystem image
      copyMeta(s, d, st);
      fs.lutimesSync(d, st.atime, st.mtime);
    }
  };
  const root = fs.lstatSync(src);
  await copyDir(src, dst);
  copyMeta(src, dst, root);
  dirTimes.push([dst, root]);
  for (const [d, st] of dirTimes) fs.lutimesSync(d, st.atime, st.mtime);
}

function copyMeta(src: string, dst: string, st: fs.Stats): void {
  fs.lchownSync(dst, st.uid, st.gid);
  if (!st.isSymbolicLink()) fs.chmodSync(dst, st.mode & 0o7777);
  // After chown: chown clears security.capability.
  for (const [name, value] of lgetxattrs(src)) lsetxattr(dst, name, value);
}

export function major(dev: number): number {
  return ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & 0xfffff000);
}

export function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}

/** Bytes of everything but directories under root, each inode counted once (Docker's SizeRw); `skip` leaves entries out. */
export async function diskUsage(root: string, skip?: UsageSkip): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  let n = 0;
  const walk = async (dir: string, rel: string): Promise<void> => {
    let names: string[];
    try { names = fs.readdirSync(dir); } catch { return; }
    for (const name of names) {
      if (++n % YIELD_EVERY === 0) await yieldLoop();
      const p = `${dir}/${name}`;
      const relPath = rel ? `${rel}/${name}` : name;
      let st: fs.Stats;
      try { st = fs.lstatSync(p); } catch { continue; }
      if (st.isDirectory()) { await walk(p, relPath); continue; }
      if (skip?.(relPath, st, p)) continue;
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
    }
  };
  await walk(root, '');
  return total;
}

/** Removes a tree by renaming it aside first, so a crash never leaves half of it under its name. */
export async function removeTree(p: string, trashDir: string): Promise<void> {
  await emptyAside(moveAside(p, trashDir));
}

/** The first half of removeTree: the tree renamed into trashDir (null: there was none). */
export function moveAside(p: string, trashDir: string): string | null {
  const aside = `${trashDir}/${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  try {
    fs.mkdirSync(trashDir, { recursive: true });
    fs.renameSync(p, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return aside;
}

/** The second half: deleting what moveAside moved. */
export async function emptyAside(aside: string | null): Promise<void> {
  if (aside) await fs.promises.rm(aside, { recursive: true, force: true });
}
