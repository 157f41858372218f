// Reading a container's filesystem for `docker cp` (GET/HEAD archive)
// without ever leaving its root.
//
// Every lookup starts from a descriptor of the container's root and goes
// through openat2(RESOLVE_IN_ROOT): "..", absolute symlinks and symlink
// chains are resolved by the kernel as if that descriptor were "/", so a
// container that swaps a directory for a symlink to the host's / while we
// walk (CVE-2018-15664) only ever redirects us to somewhere else inside
// itself. Below the resolved path, the tree is walked descriptor by
// descriptor: each directory is opened relative to its parent with
// RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH, and entries are named through
// /proc/self/fd/<dir>/<name>, which pins the parent (the kernel follows the
// magic link to the open directory itself, not to a path string).

import * as fs from 'node:fs';
import { posix } from 'node:path';
import { notFound } from '../../core/errors.ts';
import type { PathStat } from '../../core/container.ts';
import {
  O_PATH, RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, SysError, lgetxattrs, openat2,
} from '../../sys/libc.ts';
import { emptyHeader, type TarHeader } from '../../stores/tar/format.ts';
import type { TarEntry } from '../../stores/tar/writer.ts';
import { major, minor } from '../../stores/snapshots/tree.ts';

const { O_DIRECTORY, O_NOFOLLOW, O_RDONLY } = fs.constants;
export const IN_ROOT = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
export const BENEATH = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
const CHUNK = 256 * 1024;

export const fdPath = (fd: number, name?: string): string => (name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`);

/** A resolved path: either an entry `name` of the open directory `dir`, or the object `self` itself. */
/**
 * A resolved path: a descriptor of the thing itself, or (for a last
 * component that is not followed) its directory, its name and the stat taken
 * when it was resolved; the entry may be swapped or removed after that.
 */
export type Node = { dir: number; name: string; st: fs.BigIntStats; self?: undefined } | { self: number; dir?: undefined };

export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try { fs.closeSync(fd); } catch { /* already closed */ }
}

/** Docker's path rules: absolute inside the container, a trailing "/" or "/." kept (it means "follow"). */
export function containerAbsPath(p: string): string {
  const clean = posix.join('/', p);
  if (p.endsWith('/.') && clean !== '/') return `${clean}/.`;
  if (p.endsWith('/') && clean !== '/') return `${clean}/`;
  return clean;
}

/** filepath.Base: "/" for the root, the last name otherwise ("." for ".../."). */
export function baseName(abs: string): string {
  if (abs === '/') return '/';
  return posix.basename(abs) || '/';
}

function missing(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Resolves `abs` inside the root like Docker's ResolvePath: the directory
 * part follows symlinks (in the root); the last component does not, unless
 * the path ends in "/" or "/.". Throws not_found with Docker's message.
 */
export function resolveNode(root: number, abs: string, notFoundMessage: string): Node {
  try {
    const slash = abs.lastIndexOf('/');
    const base = abs.slice(slash + 1);
    if (base === '' || base === '.' || abs === '/') {
      return { self: openat2(root, abs, O_PATH, 0, IN_ROOT) };
    }
    const dir = openat2(root, abs.slice(0, slash) || '/', O_PATH | O_DIRECTORY, 0, IN_ROOT);
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(fdPath(dir, base), { bigint: true });
    } catch (err) {
      closeQuietly(dir);
      throw err;
    }
    return { dir, name: base, st };
  } catch (err) {
    if (missing(err)) throw notFound(notFoundMessage);
    throw err;
  }
}

export function closeNode(n: Node): void {
  closeQuietly(n.self ?? n.dir);
}

export function statNode(n: Node): fs.BigIntStats {
  return n.self !== undefined ? fs.fstatSync(n.self, { bigint: true }) : n.st;
}

/** Where a resolved descriptor lies, as a path inside the root ("/etc/passwd"). */
export function pathInRoot(rootHostPath: string, fd: number): string {
  const host = fs.readlinkSync(fdPath(fd));
  if (host === rootHostPath || rootHostPath === '/') return host === rootHostPath ? '/' : host;
  return host.startsWith(`${rootHostPath}/`) ? host.slice(rootHostPath.length) : '/';
}

/** Go's time.Time JSON: RFC 3339 with nanoseconds, trailing zeros dropped. */
function rfc3339Nano(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return new Date(Number(secs) * 1000).toISOString().replace(/\.\d{3}Z$/, frac ? `.${frac}Z` : 'Z');
}

/** The stat Docker sends in X-Docker-Container-Path-Stat (mode still in unix bits here). */
export function pathStat(root: number, rootHostPath: string, abs: string, node: Node): PathStat {
  const st = statNode(node);
  let linkTarget = '';
  if ((Number(st.mode) & fs.constants.S_IFMT) === fs.constants.S_IFLNK) linkTarget = resolveLinkTarget(root, rootHostPath, abs);
  return { name: baseName(abs), size: Number(st.size), mode: Number(st.mode), mtime: rfc3339Nano(st.mtimeNs), linkTarget };
}

/** A symlink's target fully resolved in the root (a dangling one: joined to its directory, lexically). */
function resolveLinkTarget(root: number, rootHostPath: string, abs: string): string {
  let fd: number | undefined;
  try {
    fd = openat2(root, abs, O_PATH, 0, IN_ROOT);
    return pathInRoot(rootHostPath, fd);
  } catch {
    closeQuietly(fd);
    fd = undefined;
    try {
      fd = openat2(root, posix.dirname(abs), O_PATH | O_DIRECTORY, 0, IN_ROOT, abs);
      const target = fs.readlinkSync(fdPath(fd, posix.basename(abs)));
      return posix.join(target.startsWith('/') ? '/' : pathInRoot(rootHostPath, fd), target);
    } catch {
      return '';
    }
  } finally {
    closeQuietly(fd);
  }
}

// Filesystems a running container's view mounts that are not its files.
const PSEUDO_FS = new Set([0x9fa0 /* proc */, 0x62656572 /* sysfs */, 0x1cd1 /* devpts */, 0x19800202 /* mqueue */,
  0x27e0eb /* cgroup */, 0x63677270 /* cgroup2 */, 0x73636673 /* securityfs */, 0x64626720 /* debugfs */]);

const isPseudo = (fdOrPath: string) => PSEUDO_FS.has(fs.statfsSync(fdOrPath).type);

/**
 * Where a resolved node lies against the kernel's filesystems a running
 * container's view mounts (/proc, /sys, /dev/pts, cgroups): 'mount' for
 * the mount point itself, 'inside' for anything below one, null for the
 * container's own files. dockerd's cp sees the container's files only
 * (its layers and volumes; /proc and /sys are its init layer's empty
 * directories), and berthd, reading as the host's root, must not read or
 * write a container's processes' kernel files for it.
 */
export function pseudoPlace(node: Node): 'mount' | 'inside' | null {
  const here = node.self !== undefined ? fdPath(node.self) : fdPath(node.dir, node.name);
  const parent = node.self !== undefined ? `${fdPath(node.self)}/..` : fdPath(node.dir);
  try {
    if (isPseudo(parent)) return 'inside';
    return statNode(node).isDirectory() && isPseudo(here) ? 'mount' : null;
  } catch (err) {
    if (missing(err)) return null;
    throw err;
  }
}

/**
 * The tar entries of a resolved node, named as Docker names them: the node
 * itself is `rebase` ("hostname", "etc", ".", "/"), its contents below it
 * (none with `descend` false). Symlinks are archived, never followed.
 */
export async function* archiveNode(node: Node, rebase: string, descend = true): AsyncGenerator<TarEntry> {
  const links = new Map<string, string>();
  const st = statNode(node);
  if (node.self !== undefined) {
    const entry = headerFor(rebase, st, node.self, undefined, links);
    if (entry) yield entry;
    if (st.isDirectory() && descend) yield* walkDir(node.self, rebase, st.dev, links);
    return;
  }
  const entry = headerFor(rebase, st, node.dir, node.name, links);
  if (!entry) return;
  yield entry;
  if (!st.isDirectory() || !descend) return;
  let fd: number;
  try { fd = openat2(node.dir, node.name, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, BENEATH); } catch (err) {
    if (missing(err) || (err instanceof SysError && err.code === 'ELOOP')) return; // swapped away since it was resolved
    throw err;
  }
  try {
    yield* walkDir(fd, rebase, st.dev, links);
  } finally {
    closeQuietly(fd);
  }
}

function childName(prefix: string, name: string): string {
  if (prefix === '/') return `/${name}`;
  return `${prefix}/${name}`;
}

async function* walkDir(dir: number, prefix: string, dev: bigint, links: Map<string, string>): AsyncGenerator<TarEntry> {
  let names: string[];
  try { names = fs.readdirSync(fdPath(dir)).sort(); } catch (err) { if (missing(err)) return; throw err; }
  for (const name of names) {
    let st: fs.BigIntStats;
    try { st = fs.lstatSync(fdPath(dir, name), { bigint: true }); } catch (err) { if (missing(err)) continue; throw err; }
    const entryName = childName(prefix, name);
    if (!st.isDirectory()) {
      const entry = headerFor(entryName, st, dir, name, links);
      if (entry) yield entry;
      continue;
    }
    let fd: number;
    try { fd = openat2(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, BENEATH); } catch (err) {
      if (missing(err) || (err instanceof SysError && err.code === 'ELOOP')) continue; // swapped away meanwhile
      throw err;
    }
    try {
      if (st.dev !== dev && PSEUDO_FS.has(fs.statfsSync(fdPath(fd)).type)) continue;
      const entry = headerFor(entryName, st, dir, name, links);
      if (entry) yield entry;
      yield* walkDir(fd, entryName, st.dev, links);
    } finally {
      closeQuietly(fd);
    }
  }
}

function headerFor(name: string, st: fs.BigIntStats, dir: number, entry: string | undefined, links: Map<string, string>): TarEntry | null {
  const path = entry === undefined ? fdPath(dir) : fdPath(dir, entry);
  let h: TarHeader;
  if (st.isDirectory()) h = emptyHeader(name, 'dir');
  else if (st.isSymbolicLink()) {
    let linkname: string;
    try { linkname = fs.readlinkSync(path); } catch (err) {
      if (missing(err) || (err as { code?: string }).code === 'EINVAL') return null; // removed or swapped since its stat: skipped, as Docker's tar walk skips what it cannot read
      throw err;
    }
    h = { ...emptyHeader(name, 'symlink'), linkname };
  }
  else if (st.isFile()) h = emptyHeader(name, 'file');
  else if (st.isCharacterDevice()) h = { ...emptyHeader(name, 'char'), devmajor: major(Number(st.rdev)), devminor: minor(Number(st.rdev)) };
  else if (st.isBlockDevice()) h = { ...emptyHeader(name, 'block'), devmajor: major(Number(st.rdev)), devminor: minor(Number(st.rdev)) };
  else if (st.isFIFO()) h = emptyHeader(name, 'fifo');
  else return null;
  h.mode = Number(st.mode) & 0o7777;
  h.uid = Number(st.uid);
  h.gid = Number(st.gid);
  h.mtime = Number(st.mtimeNs / 1_000_000_000n);
  if (entry !== undefined) {
    try {
      for (const [k, v] of lgetxattrs(path)) if (!k.startsWith('trusted.')) h.xattrs.set(k, v);
    } catch { /* a filesystem without xattrs */ }
  }
  if (!st.isDirectory() && st.nlink > 1n) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first) return { header: { ...h, type: 'link', linkname: first, size: 0 } };
    links.set(key, name);
  }
  if (!st.isFile()) return { header: h };
  h.size = Number(st.size);
  return { header: h, body: h.size > 0 ? readFileAt(dir, entry, st.ino) : undefined };
}

/** The file's bytes, opened (without following anything) only when the writer reaches it. */
async function* readFileAt(dir: number, name: string | undefined, ino: bigint): AsyncGenerator<Buffer> {
  let fd: number;
  try {
    fd = name === undefined ? fs.openSync(fdPath(dir), O_RDONLY) : openat2(dir, name, O_RDONLY | O_NOFOLLOW, 0, BENEATH);
  } catch {
    return; // gone or swapped: the writer zero-fills to the announced size
  }
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    if (!st.isFile() || st.ino !== ino) return;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = await new Promise<number>((resolve, reject) => fs.read(fd, buf, 0, CHUNK, null, (err, k) => (err ? reject(err) : resolve(k))));
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    closeQuietly(fd);
  }
}
