// The host side of `cp`, as docker's archive package does it: what a source
// or destination path is (CopyInfo), the tar of a local path named so the
// daemon unpacks it where the user meant, the renaming of entries when the
// destination takes another name (RebaseArchiveEntries), and the unpacking
// of the container's tar into a local directory. That tar comes from inside
// a container and is not trusted: no entry, link or parent directory may
// land outside the destination, and nothing is written through a symlink
// that leads out of it.

import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import type { Stats } from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TarReader } from '../../stores/tar/reader.ts';
import { emptyHeader } from '../../stores/tar/format.ts';
import type { TarEntryType, TarHeader } from '../../stores/tar/format.ts';
import { tarStream } from '../../stores/tar/writer.ts';
import type { TarEntry } from '../../stores/tar/writer.ts';

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  rebaseName: string;
}

/** Go's filepath.Clean. */
export function goClean(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Go's filepath.Base: the last element after trailing slashes are dropped; not cleaned ("a/." is "."). */
function goBase(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  return trimmed === '' ? '/' : posix.basename(trimmed);
}
export const hasTrailingSeparator = (p: string): boolean => p.endsWith('/');
export const specifiesCurrentDir = (p: string): boolean => goBase(p) === '.';
export const assertsDirectory = (p: string): boolean => hasTrailingSeparator(p) || specifiesCurrentDir(p);

/** archive.SplitPathDirEntry: "/a/b/." is ("/a/b", "."), "/a/b/" is ("/a", "b"). */
export function splitPathDirEntry(p: string): [string, string] {
  let cleaned = goClean(p);
  if (specifiesCurrentDir(p)) cleaned += '/.';
  return [posix.dirname(cleaned), posix.basename(cleaned)];
}

/** archive.PreserveTrailingDotOrSeparator */
export function preserveTrailing(cleaned: string, original: string): string {
  let out = cleaned;
  if (specifiesCurrentDir(original) && !specifiesCurrentDir(out)) out += '/.';
  if (hasTrailingSeparator(original) && !hasTrailingSeparator(out)) out += '/';
  return out;
}

/** archive.GetRebaseName: keep the requested name when resolving a link changed the last element. */
export function getRebaseName(path: string, resolved: string): [string, string] {
  let out = resolved;
  if (specifiesCurrentDir(path) && !specifiesCurrentDir(out)) out += '/.';
  if (hasTrailingSeparator(path) && !hasTrailingSeparator(out)) out += '/';
  return [out, goBase(path) !== goBase(out) ? goBase(path) : ''];
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** archive.CopyInfoSourcePath: a local source, its parent's symlinks resolved (all of them with -L). */
export async function sourceInfo(path: string, followLink: boolean): Promise<CopyInfo> {
  let resolved: string;
  let rebaseName = '';
  if (followLink) {
    [resolved, rebaseName] = getRebaseName(path, await fs.realpath(path));
  } else {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash + 1);
    const base = path.slice(slash + 1);
    const realDir = await fs.realpath(dir || '.');
    resolved = `${realDir === '/' ? '' : realDir}/${base}`;
    if (hasTrailingSeparator(path) && goBase(path) !== goBase(resolved)) rebaseName = goBase(path);
  }
  const st = await fs.lstat(resolved);
  return { path: resolved, exists: true, isDir: st.isDirectory(), rebaseName };
}

/** archive.CopyInfoDestinationPath: a local destination, symlinks at its end followed; its parent must exist. */
export async function destinationInfo(path: string): Promise<CopyInfo> {
  let current = path;
  let st = await lstatOrNull(current);
  for (let n = 0; st?.isSymbolicLink(); n++) {
    if (n > 10) throw new Error(`too many symlinks in ${path}`);
    let target = await fs.readlink(current);
    if (!target.startsWith('/')) target = posix.join(splitPathDirEntry(current)[0], target);
    current = target;
    st = await lstatOrNull(current);
  }
  if (st) return { path: current, exists: true, isDir: st.isDirectory(), rebaseName: '' };
  const [parent] = splitPathDirEntry(current);
  const parentStat = await fs.stat(parent);
  if (!parentStat.isDirectory()) throw new Error('not a directory');
  return { path: current, exists: false, isDir: false, rebaseName: '' };
}

/**
 * archive.PrepareArchiveCopy: the directory to unpack into and how the
 * archive's top entry must be renamed (undefined: as it is).
 */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): { dir: string; rebase?: [string, string] } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  const srcBase = src.rebaseName || splitPathDirEntry(src.path)[1];
  if (dst.exists && dst.isDir) return { dir: dst.path };
  if (dst.exists && src.isDir) throw new Error('cannot copy directory');
  if (!dst.exists && !src.isDir && assertsDirectory(dst.path)) throw new Error('no such directory');
  return { dir: dstDir, rebase: [srcBase, dstBase] };
}

/** RebaseArchiveEntries: the first occurrence of oldBase in each name (and hardlink target) becomes newBase. */
export async function* rebaseEntries(tar: AsyncIterable<Buffer>, oldBase: string, newBase: string): AsyncGenerator<TarEntry> {
  const reader = new TarReader(tar, { digest: false });
  for (let h = await reader.next(); h; h = await reader.next()) {
    const header = { ...h, name: h.name.replace(oldBase, newBase) };
    if (h.type === 'link') header.linkname = h.linkname.replace(oldBase, newBase);
    yield { header, body: h.type === 'file' ? reader.body() : undefined };
  }
}

function typeOf(st: Stats): TarEntryType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return undefined; // sockets are not archived
}

/**
 * archive.TarResource: the tar of a local path, entries named from its
 * parent directory ("tree/...", or "./..." for "tree/."), the top entry
 * renamed to rebaseName when given, hardlinks kept as links.
 */
export function tarLocal(src: CopyInfo): NodeJS.ReadableStream {
  const [dir, base] = splitPathDirEntry(src.path);
  const inodes = new Map<string, string>();
  async function* walk(rel: string): AsyncGenerator<TarEntry> {
    const full = posix.join(dir, rel);
    const st = await fs.lstat(full);
    const type = typeOf(st);
    if (!type) return;
    let name = rel;
    if (base === '.' && rel !== '.') name = `./${rel.slice(2)}`;
    if (src.rebaseName && base !== '.') name = name.replace(base, src.rebaseName);
    const header: TarHeader = {
      ...emptyHeader(name, type), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000),
    };
    const key = `${st.dev}:${st.ino}`;
    if (type === 'file' && st.nlink > 1 && inodes.has(key)) {
      yield { header: { ...header, type: 'link', linkname: inodes.get(key)! } };
      return;
    }
    if (type === 'file') {
      if (st.nlink > 1) inodes.set(key, name);
      yield { header: { ...header, size: st.size }, body: createReadStream(full) };
    } else if (type === 'symlink') {
      yield { header: { ...header, linkname: await fs.readlink(full) } };
    } else if (type === 'char' || type === 'block') {
      const rdev = st.rdev;
      yield { header: { ...header, devmajor: Math.floor(rdev / 256) & 0xfff, devminor: (rdev & 0xff) | ((Math.floor(rdev / 4096) & 0xfff00)) } };
    } else {
      yield { header };
      if (type === 'dir') {
        for (const child of (await fs.readdir(full)).sort()) yield* walk(rel === '.' ? `./${child}` : `${rel}/${child}`);
      }
    }
  }
  return tarStream(walk(base));
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root === '/' ? '/' : `${root}/`);
}

/**
 * archive.Untar with NoLchown and NoOverwriteDirNonDir: unpacks into dest,
 * refusing entries, links and parents that resolve outside of it.
 */
export async function untarLocal(tar: AsyncIterable<TarEntry>, dest: string): Promise<void> {
  const root = await fs.realpath(dest);
  const dirTimes: Array<[string, number]> = [];
  for await (const { header: h, body } of tar) {
    const name = goClean(h.name);
    const path = posix.join(root, name);
    if (!inside(root, path)) throw new Error(`${JSON.stringify(h.name)} is outside of ${JSON.stringify(dest)}`);
    const parent = posix.dirname(path);
    if (path !== root) {
      await fs.mkdir(parent, { recursive: true, mode: 0o755 });
      if (!inside(root, await fs.realpath(parent))) throw new Error(`${JSON.stringify(h.name)} is outside of ${JSON.stringify(dest)}`);
    }
    const existing = await lstatOrNull(path);
    if (existing) {
      if (existing.isDirectory() && h.type !== 'dir') throw new Error(`cannot overwrite directory ${JSON.stringify(path)} with non-directory ${JSON.stringify(name)}`);
      if (!existing.isDirectory() && h.type === 'dir') throw new Error(`cannot overwrite non-directory ${JSON.stringify(path)} with directory ${JSON.stringify(name)}`);
      if (!existing.isDirectory()) await fs.rm(path, { force: true });
    }
    switch (h.type) {
      case 'dir':
        if (!existing) await fs.mkdir(path, { mode: h.mode & 0o7777 });
        break;
      case 'file':
        await pipeline(body ?? [], createWriteStream(path, { mode: h.mode & 0o7777 }));
        break;
      case 'link': {
        const target = posix.join(root, goClean(h.linkname));
        if (!inside(root, target)) throw new Error(`invalid hardlink ${JSON.stringify(target)} -> ${JSON.stringify(h.linkname)}`);
        await fs.link(target, path);
        break;
      }
      case 'symlink': {
        const target = posix.join(parent, h.linkname);
        if (!inside(root, target)) throw new Error(`invalid symlink ${JSON.stringify(path)} -> ${JSON.stringify(h.linkname)}`);
        await fs.symlink(h.linkname, path);
        break;
      }
      default:
        // Devices and FIFOs need privileges docker's unprivileged untar skips too.
        continue;
    }
    if (h.type === 'symlink') continue;
    await fs.chmod(path, h.mode & 0o7777);
    if (h.type === 'dir') dirTimes.push([path, h.mtime]);
    else await fs.utimes(path, h.mtime, h.mtime);
  }
  // Directories last: unpacking their entries changed their times.
  for (const [path, mtime] of dirTimes.reverse()) await fs.utimes(path, mtime, mtime);
}

/** The tar from the container, as entries (renamed when the destination takes another name). */
export async function* containerEntries(tar: AsyncIterable<Buffer>, rebase?: [string, string]): AsyncGenerator<TarEntry> {
  if (rebase) {
    yield* rebaseEntries(tar, rebase[0], rebase[1]);
    return;
  }
  const reader = new TarReader(tar, { digest: false });
  for (let h = await reader.next(); h; h = await reader.next()) yield { header: h, body: h.type === 'file' ? reader.body() : undefined };
}
