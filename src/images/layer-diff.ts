// A writable snapshot's changes as an OCI layer tar: the snapshotter's diff
// walk, with deletions written back as `.wh.<name>` files and opaque
// directories as a `.wh..wh..opq` entry inside them (the forms Docker's
// overlay converter writes: regular files of size 0, mode 0600 for a
// deletion, the directory's permission bits for an opaque marker).
// trusted.* xattrs (overlay's own markers) never leave the host.

import { idToContainer, type IdMaps } from '../core/idmap.ts';
import * as fs from 'node:fs';
import type { SnapshotDiffEntry, Snapshotter } from '../core/snapshot.ts';
import { lgetxattrs } from '../sys/libc.ts';
import { emptyHeader, encodeHeader, END_OF_ARCHIVE, padLength, type TarHeader } from '../stores/tar/format.ts';
import { tarStream, type TarEntry } from '../stores/tar/writer.ts';
import { major, minor } from '../stores/snapshots/tree.ts';

const CHUNK = 1024 * 1024;

export interface DiffTar {
  stream: NodeJS.ReadableStream;
  /** Bytes of file content written so far (final once the stream has ended). */
  contentBytes(): number;
  /** Number of changes so far (final once the stream has ended). */
  changes(): number;
}

/**
 * Mount points the runtime creates in a container's rootfs, and what berth
 * adds at start (engine/containers/init-entries.ts): Docker keeps these in
 * its init layer, out of diff and commit.
 */
/** What dockerd's init layer holds beside the mount points: an empty /.dockerenv, /etc/mtab a link to /proc/mounts. */
export const INIT_ENTRIES = { dockerenv: '.dockerenv', mtab: 'etc/mtab', mtabTarget: '/proc/mounts' } as const;

export const CONTAINER_MOUNT_STUBS: ReadonlySet<string> = new Set([
  'etc/hosts', 'etc/hostname', 'etc/resolv.conf', INIT_ENTRIES.dockerenv, INIT_ENTRIES.mtab, 'proc', 'sys', 'dev', 'dev/pts', 'dev/shm', 'dev/mqueue', 'dev/console',
]);

/** A mount stub as it lies in a writable layer, left out of the container's size (SizeRw) as of its diff. */
export function isMountStub(path: string, st: fs.Stats, hostPath: string): boolean {
  return CONTAINER_MOUNT_STUBS.has(path) && !st.isDirectory() && isEmptyStub(hostPath);
}

function isEmptyStub(source: string | undefined): boolean {
  if (!source) return false;
  try {
    const st = fs.lstatSync(source);
    if (st.isFile()) return st.size === 0;
    // The init layer's /etc/mtab.
    if (st.isSymbolicLink()) return fs.readlinkSync(source) === INIT_ENTRIES.mtabTarget;
    if (st.isDirectory()) return fs.readdirSync(source).length === 0;
    return false;
  } catch {
    return true;
  }
}

/**
 * The changes without the empty mount points the runtime made (and their
 * directories, when nothing else in them changed), so that a container that
 * changed nothing shows nothing, as in Docker. With dropped, the on-disk
 * paths of the added entries left out are collected, so that
 * a snapshot committed as the layer can be made to match its tar.
 */
export async function* withoutMountStubs(
  src: AsyncIterable<SnapshotDiffEntry>, stubs: ReadonlySet<string> = CONTAINER_MOUNT_STUBS, dropped?: string[],
): AsyncGenerator<SnapshotDiffEntry> {
  const parents = new Set<string>();
  for (const s of stubs) for (let i = s.indexOf('/'); i > 0; i = s.indexOf('/', i + 1)) parents.add(s.slice(0, i));
  const pending: SnapshotDiffEntry[] = [];
  const drop = (e: SnapshotDiffEntry) => { if (dropped && e.kind === 'A' && e.source) dropped.push(e.source); };
  for await (const e of src) {
    while (pending.length && !e.path.startsWith(`${pending[pending.length - 1]!.path}/`)) drop(pending.pop()!);
    if (e.kind === 'A' && stubs.has(e.path) && isEmptyStub(e.source)) { drop(e); continue; }
    if (e.kind !== 'D' && parents.has(e.path)) { pending.push(e); continue; }
    for (const p of pending.splice(0)) yield p;
    yield e;
  }
  for (const p of pending.reverse()) drop(p);
}

/** Removes what withoutMountStubs left out of the tar from the (unmounted) snapshot, children first. */
export function removeDropped(dropped: readonly string[]): void {
  for (const p of [...dropped].sort((a, b) => b.length - a.length)) {
    try {
      if (fs.lstatSync(p).isDirectory()) fs.rmdirSync(p);
      else fs.unlinkSync(p);
    } catch { /* not empty or gone: left as it is */ }
  }
}

export function diffTar(snapshotter: Snapshotter, key: string, stubs?: ReadonlySet<string>): DiffTar {
  let bytes = 0;
  let count = 0;
  const entries = async function* (): AsyncGenerator<TarEntry> {
    const links = new Map<string, string>();
    const changes = stubs ? withoutMountStubs(snapshotter.diff(key), stubs) : snapshotter.diff(key);
    for await (const e of changes) {
      count++;
      for (const { header, source } of toEntries(e, links, snapshotter.idMaps)) {
        if (header.type === 'file') bytes += header.size;
        yield source ? { header, body: readFile(source) } : { header };
      }
    }
  };
  return { stream: tarStream(entries()), contentBytes: () => bytes, changes: () => count };
}

export interface WrittenDiff {
  /** Bytes of file content in the tar. */
  contentBytes: number;
  changes: number;
  /** Added mount stubs (and their added parents) left out of the tar: their paths on disk. */
  dropped: string[];
}

/**
 * The same tar as diffTar, written straight into sink (a content-store
 * ingest, which hashes as it writes): headers and file contents go through
 * one reused staging buffer, filled by synchronous reads and handed to the
 * sink a megabyte at a time. It makes the same bytes as the stream (a
 * file that shrinks while read is zero-filled, one that grows is cut), at
 * several times the speed: no buffer per chunk, no stream machinery.
 */
export async function writeDiffTar(
  snapshotter: Snapshotter, key: string, stubs: ReadonlySet<string> | undefined, sink: (chunk: Buffer) => Promise<void>,
): Promise<WrittenDiff> {
  const buf = Buffer.allocUnsafe(CHUNK);
  let used = 0;
  const flush = async () => {
    if (used) await sink(buf.subarray(0, used));
    used = 0;
  };
  const put = async (b: Buffer) => {
    if (used + b.length > CHUNK) await flush();
    if (b.length > CHUNK) { await sink(b); return; }
    b.copy(buf, used);
    used += b.length;
  };
  const links = new Map<string, string>();
  let contentBytes = 0;
  let changes = 0;
  const dropped: string[] = [];
  const diff = stubs ? withoutMountStubs(snapshotter.diff(key), stubs, dropped) : snapshotter.diff(key);
  for await (const e of diff) {
    changes++;
    for (const { header, source } of toEntries(e, links, snapshotter.idMaps)) {
      await put(encodeHeader(header));
      if (header.type !== 'file' || header.size === 0) continue;
      contentBytes += header.size;
      let left = header.size;
      let fd = -1;
      try {
        fd = fs.openSync(source!, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      } catch { /* vanished: zero-filled below */ }
      try {
        while (left > 0) {
          if (used === CHUNK) await flush();
          const want = Math.min(left, CHUNK - used);
          let n = fd < 0 ? 0 : fs.readSync(fd, buf, used, want, null);
          if (n === 0) {
            // The file shrank (or vanished): keep the archive well-formed.
            buf.fill(0, used, used + want);
            n = want;
          }
          used += n;
          left -= n;
        }
      } finally {
        if (fd >= 0) fs.closeSync(fd);
      }
      const pad = padLength(header.size);
      if (pad) await put(Buffer.alloc(pad));
    }
  }
  await put(END_OF_ARCHIVE);
  await flush();
  return { contentBytes, changes, dropped };
}

function whiteoutName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? `.wh.${path}` : `${path.slice(0, i)}/.wh.${path.slice(i + 1)}`;
}

/** A tar entry of the diff; a regular file's content is read from source. */
interface DiffEntry { header: TarHeader; source?: string }

function* toEntries(e: SnapshotDiffEntry, links: Map<string, string>, idMaps?: IdMaps): Generator<DiffEntry> {
  if (e.kind === 'D' || !e.source) {
    yield { header: { ...emptyHeader(whiteoutName(e.path), 'file'), mode: 0o600, mtime: Math.floor(Date.now() / 1000) } };
    return;
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(e.source);
  } catch {
    return; // gone since the walk saw it (a running container): nothing to archive
  }
  let h: TarHeader;
  if (st.isDirectory()) h = emptyHeader(e.path, 'dir');
  else if (st.isSymbolicLink()) h = { ...emptyHeader(e.path, 'symlink'), linkname: fs.readlinkSync(e.source) };
  else if (st.isFile()) h = emptyHeader(e.path, 'file');
  else if (st.isCharacterDevice()) h = { ...emptyHeader(e.path, 'char'), devmajor: major(st.rdev), devminor: minor(st.rdev) };
  else if (st.isBlockDevice()) h = { ...emptyHeader(e.path, 'block'), devmajor: major(st.rdev), devminor: minor(st.rdev) };
  else if (st.isFIFO()) h = emptyHeader(e.path, 'fifo');
  else return; // sockets
  h.mode = st.mode & 0o7777;
  // Under --userns-remap the tree holds host IDs: a layer carries the container's, as with dockerd.
  h.uid = idMaps ? idToContainer(idMaps.uids, st.uid) : st.uid;
  h.gid = idMaps ? idToContainer(idMaps.gids, st.gid) : st.gid;
  h.mtime = Math.floor(st.mtimeMs / 1000);
  for (const [k, v] of lgetxattrs(e.source)) if (!k.startsWith('trusted.')) h.xattrs.set(k, v);
  if (!st.isDirectory() && st.nlink > 1) {
    const id = `${st.dev}:${st.ino}`;
    const first = links.get(id);
    if (first) {
      yield { header: { ...h, type: 'link', linkname: first, size: 0 } };
      return;
    }
    links.set(id, e.path);
  }
  if (st.isFile()) {
    h.size = st.size;
    yield { header: h, source: e.source };
    return;
  }
  yield { header: h };
  if (e.opaque) {
    yield {
      header: { ...emptyHeader(`${e.path}/.wh..wh..opq`, 'file'), mode: h.mode & 0o777, uid: h.uid, gid: h.gid, mtime: h.mtime },
    };
  }
}

async function* readFile(abs: string): AsyncGenerator<Buffer> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return; // vanished: the tar writer zero-fills to the announced size
  }
  try {
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
