// A directory tree as a tar stream (docker export of a mounted rootfs).
// Symlinks are archived as links, never followed; hardlinked files become
// tar hardlinks; modes, owners, times, device numbers and xattrs (but not
// trusted.*, which are the host's own markers) are kept. Sockets are
// skipped: tar cannot hold them.
//
// The tree may belong to a running container that changes it while we
// read. Every file is opened with O_NOFOLLOW and then checked through
// /proc/self/fd to really be inside root, so swapping a directory for a
// symlink mid-export cannot make us archive host files.

import * as fs from 'node:fs';
import { lgetxattrs } from '../sys/libc.ts';
import { emptyHeader, type TarHeader } from '../stores/tar/format.ts';
import { tarStream, type TarEntry } from '../stores/tar/writer.ts';
import { major, minor } from '../stores/snapshots/tree.ts';
import { withOwners } from '../stores/tar/owners.ts';
import { ownerToContainer, type IdMaps } from '../core/idmap.ts';

const CHUNK = 256 * 1024;

/** idMaps (--userns-remap): the tree holds host IDs; the tar carries the container's (ownerToContainer). */
export function tarDirectory(rootDir: string, idMaps?: IdMaps | null): NodeJS.ReadableStream {
  const entries = walk(fs.realpathSync(rootDir));
  return tarStream(idMaps ? withOwners(entries, (uid, gid) => ownerToContainer(idMaps, uid, gid)) : entries);
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);
}

async function* walk(root: string): AsyncGenerator<TarEntry> {
  const links = new Map<string, string>();
  const stack: string[] = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    const dir = rel ? `${root}/${rel}` : root;
    let names: string[];
    try {
      if (!inside(root, fs.realpathSync(dir))) continue;
      names = fs.readdirSync(dir).sort();
    } catch (err) {
      if (gone(err)) continue;
      throw err;
    }
    const subdirs: string[] = [];
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const abs = `${root}/${path}`;
      let st: fs.Stats;
      try { st = fs.lstatSync(abs); } catch (err) { if (gone(err)) continue; throw err; }
      const entry = await toEntry(root, path, abs, st, links);
      if (!entry) continue;
      yield entry;
      if (st.isDirectory()) subdirs.push(path);
    }
    // Depth-first, in name order: reversed onto the stack.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
}

async function toEntry(root: string, path: string, abs: string, st: fs.Stats, links: Map<string, string>): Promise<TarEntry | null> {
  let h: TarHeader;
  if (st.isDirectory()) h = emptyHeader(path, 'dir');
  else if (st.isSymbolicLink()) h = { ...emptyHeader(path, 'symlink'), linkname: fs.readlinkSync(abs) };
  else if (st.isFile()) h = emptyHeader(path, 'file');
  else if (st.isCharacterDevice()) h = { ...emptyHeader(path, 'char'), devmajor: major(st.rdev), devminor: minor(st.rdev) };
  else if (st.isBlockDevice()) h = { ...emptyHeader(path, 'block'), devmajor: major(st.rdev), devminor: minor(st.rdev) };
  else if (st.isFIFO()) h = emptyHeader(path, 'fifo');
  else return null;
  h.mode = st.mode & 0o7777;
  h.uid = st.uid;
  h.gid = st.gid;
  h.mtime = Math.floor(st.mtimeMs / 1000);
  for (const [k, v] of lgetxattrs(abs)) if (!k.startsWith('trusted.')) h.xattrs.set(k, v);
  if (!st.isDirectory() && st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first) return { header: { ...h, type: 'link', linkname: first, size: 0 } };
    links.set(key, path);
  }
  if (!st.isFile()) return { header: h };
  h.size = st.size;
  return { header: h, body: readFile(root, abs) };
}

/** The file's bytes, opened only when the writer gets to it (no descriptor held across entries). */
async function* readFile(root: string, abs: string): AsyncGenerator<Buffer> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    if (gone(err)) return; // vanished: the writer zero-fills to the announced size
    throw err;
  }
  try {
    if (!inside(root, fs.readlinkSync(`/proc/self/fd/${fh.fd}`))) return;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

function gone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR';
}
