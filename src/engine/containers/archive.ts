// `docker cp`: stat, read and write paths of a container through
// /containers/{id}/archive, running or stopped.
//
// The root every lookup starts from is a descriptor:
//   running/paused  /proc/<pid>/root of the container's init: the
//                   container's own view, its binds and /etc/hostname
//                   included (pseudo filesystems such as /proc are skipped
//                   when archiving a tree);
//   otherwise       its snapshot, mounted for the duration of the call
//                   (RootfsMounts counts references, so a start meanwhile
//                   is fine).
// Below that descriptor everything resolves with openat2(RESOLVE_IN_ROOT)
// (archive-fs.ts, archive-extract.ts): no path string is ever re-walked on
// the host.

import * as fs from 'node:fs';
import type { ContainerRecord, ExtractOptions, PathStat } from '../../core/container.ts';
import type { ContainerRepository } from '../../core/metadata.ts';
import type { EventSink } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import { BerthError, invalid, notFound } from '../../core/errors.ts';
import { O_PATH, openat2 } from '../../sys/libc.ts';
import { tarStream } from '../../stores/tar/writer.ts';
import { withOwners } from '../../stores/tar/owners.ts';
import { ownerToContainer, type IdMaps } from '../../core/idmap.ts';
import { DEFAULT_LAYER_LIMITS, type LayerLimits } from '../../stores/snapshots/apply.ts';
import { parseGroup, parsePasswd } from '../../runtime/users.ts';
import type { RootfsMounts } from './rootfs.ts';
import {
  IN_ROOT, archiveNode, baseName, closeNode, closeQuietly, containerAbsPath, fdPath, pathInRoot, pathStat, resolveNode,
  pseudoPlace,
} from './archive-fs.ts';
import { decompress } from '../../images/compression.ts';
import { extractArchive } from './archive-extract.ts';

export interface ArchiveDeps {
  containers: ContainerRepository;
  rootfs: RootfsMounts;
  events: EventSink;
  logger: Logger;
  attrs(rec: ContainerRecord): Record<string, string>;
  limits?: Partial<LayerLimits>;
  /**
   * --userns-remap (the daemon's mappings: the layers of every container
   * hold host IDs): archives carry the container's IDs, extracted entries
   * are owned by the host IDs theirs map to.
   */
  idMaps?: IdMaps;
}

interface Root {
  fd: number;
  /** What readlink says of the root descriptor: stripped from resolved paths. */
  hostPath: string;
  release(): Promise<void>;
}

/** Field 22 of /proc/<pid>/stat: a process's start time, which a reused pid does not share. */
function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export class ContainerArchive {
  readonly #d: ArchiveDeps;

  constructor(deps: ArchiveDeps) {
    this.#d = deps;
  }

  async #open(rec: ContainerRecord): Promise<Root> {
    const live = (rec.state.status === 'running' || rec.state.status === 'paused') && rec.state.pid > 0;
    if (live) {
      const root = this.#openLive(rec);
      if (root) return root;
    }
    await this.#d.rootfs.acquire(rec.id);
    let fd: number;
    try {
      fd = fs.openSync(this.#d.rootfs.path(rec.id), O_PATH | fs.constants.O_DIRECTORY);
    } catch (err) {
      await this.#d.rootfs.release(rec.id);
      throw err;
    }
    return {
      fd, hostPath: fs.readlinkSync(fdPath(fd)),
      release: async () => { closeQuietly(fd); await this.#d.rootfs.release(rec.id); },
    };
  }

  /** The running container's root, or null if its init is gone (or the pid now names another process). */
  #openLive(rec: ContainerRecord): Root | null {
    const pid = rec.state.pid;
    const before = startTime(pid);
    let fd: number;
    try {
      fd = fs.openSync(`/proc/${pid}/root`, O_PATH | fs.constants.O_DIRECTORY);
    } catch {
      return null;
    }
    // The descriptor is the container's only if the same process still holds the pid and sits in its cgroup.
    let cgroup = '';
    try { cgroup = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'); } catch { /* gone */ }
    if (before === null || startTime(pid) !== before || !cgroup.includes(rec.id)) {
      closeQuietly(fd);
      return null;
    }
    return { fd, hostPath: fs.readlinkSync(fdPath(fd)), release: async () => closeQuietly(fd) };
  }

  async #withRoot<T>(ref: string, fn: (rec: ContainerRecord, root: Root) => Promise<T>): Promise<T> {
    const rec = this.#d.containers.resolve(ref);
    const root = await this.#open(rec);
    try {
      return await fn(rec, root);
    } finally {
      await root.release();
    }
  }

  #notFound(path: string, ref: string): string {
    return `Could not find the file ${path} in container ${ref}`;
  }

  async stat(ref: string, path: string): Promise<PathStat> {
    if (!path) throw invalid('bad parameter: pathcannot be empty');
    return this.#withRoot(ref, async (_rec, root) => {
      const abs = containerAbsPath(path);
      const node = resolveNode(root.fd, abs, this.#notFound(path, ref));
      try {
        if (pseudoPlace(node) === 'inside') throw notFound(this.#notFound(path, ref));
        return pathStat(root.fd, root.hostPath, abs, node);
      } finally {
        closeNode(node);
      }
    });
  }

  /** The stat and a tar of the path; the root stays open until the tar has been read (or dropped). */
  async get(ref: string, path: string): Promise<{ stat: PathStat; tar: NodeJS.ReadableStream }> {
    if (!path) throw invalid('bad parameter: pathcannot be empty');
    const rec = this.#d.containers.resolve(ref);
    const root = await this.#open(rec);
    let node;
    let stat: PathStat;
    const abs = containerAbsPath(path);
    let place: ReturnType<typeof pseudoPlace>;
    try {
      node = resolveNode(root.fd, abs, this.#notFound(path, ref));
      place = pseudoPlace(node);
      if (place === 'inside') throw notFound(this.#notFound(path, ref));
      stat = pathStat(root.fd, root.hostPath, abs, node);
    } catch (err) {
      if (node) closeNode(node);
      await root.release();
      throw err;
    }
    const opened = node;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      closeNode(opened);
      root.release().catch((err) => this.#d.logger.warn('releasing rootfs after archive failed', { id: rec.id, err }));
    };
    const maps = this.#d.idMaps;
    // /proc, /sys and the like: the directory, empty, as in dockerd's view.
    const entries = archiveNode(opened, baseName(abs), place !== 'mount');
    const tar = tarStream(maps ? withOwners(entries, (uid, gid) => ownerToContainer(maps, uid, gid)) : entries);
    tar.on('end', release);
    tar.on('close', release);
    tar.on('error', release);
    this.#d.events.emit('container', 'archive-path', rec.id, this.#d.attrs(rec));
    return { stat, tar };
  }

  async put(ref: string, path: string, tar: NodeJS.ReadableStream, opts: ExtractOptions): Promise<void> {
    if (!path) throw invalid('bad parameter: pathcannot be empty');
    await this.#withRoot(ref, async (rec, root) => {
      const abs = containerAbsPath(path);
      // The destination follows symlinks, its last component included (extracting "to" a link to a directory works).
      let dest: number;
      try {
        dest = openat2(root.fd, abs, O_PATH, 0, IN_ROOT);
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT' || (err as { code?: string }).code === 'ENOTDIR') throw notFound(this.#notFound(path, ref));
        throw err;
      }
      let destPath: string;
      try {
        if (!fs.fstatSync(dest).isDirectory()) throw invalid('extraction point is not a directory');
        if (pseudoPlace({ self: dest }) !== null) throw notFound(this.#notFound(path, ref));
        destPath = pathInRoot(root.hostPath, dest);
      } finally {
        closeQuietly(dest);
      }
      if (rec.hostConfig.readonlyRootfs) throw new BerthError('forbidden', 'container rootfs is marked read-only');
      const owner = opts.copyUIDGID && rec.config.user ? containerUser(root.fd, rec.config.user) : undefined;
      // Docker accepts the archive plain, gzip, bzip2 or xz (and zstd): the compression is found by its magic.
      const { stream } = await decompress(tar, { maxRatio: this.#d.limits?.maxRatio ?? DEFAULT_LAYER_LIMITS.maxRatio });
      try {
        await extractArchive(root.fd, stream, {
          dest: destPath, noOverwriteDirNonDir: opts.noOverwriteDirNonDir, ...(owner ? { owner } : {}), ...(this.#d.idMaps ? { idMaps: this.#d.idMaps } : {}),
          ...(this.#d.limits ? { limits: this.#d.limits } : {}),
        });
      } finally {
        stream.destroy(); // a failed extraction stops the codec (and an xz or bzip2 process) too
      }
      this.#d.events.emit('container', 'extract-to-dir', rec.id, this.#d.attrs(rec));
    });
  }
}

function readInRoot(root: number, path: string): Buffer | null {
  let fd: number | undefined;
  try {
    fd = openat2(root, path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK, 0, IN_ROOT);
    return fs.fstatSync(fd).isFile() ? fs.readFileSync(fd) : null;
  } catch {
    return null;
  } finally {
    closeQuietly(fd);
  }
}

/** cp -a: the container's USER as uid/gid, looked up in its own passwd and group files. */
function containerUser(root: number, user: string): { uid: number; gid: number } {
  const [u = '', g] = user.split(':');
  const passwd = parsePasswd(readInRoot(root, '/etc/passwd'));
  const entry = passwd.find((e) => e.name === u) ?? (/^\d+$/.test(u) ? passwd.find((e) => e.uid === Number(u)) : undefined);
  const uid = entry?.uid ?? (/^\d+$/.test(u) ? Number(u) : NaN);
  if (Number.isNaN(uid)) throw invalid(`unable to find user ${u}: no matching entries in passwd file`);
  let gid = entry?.gid ?? 0;
  if (g !== undefined && g !== '') {
    const group = parseGroup(readInRoot(root, '/etc/group')).find((e) => e.name === g);
    gid = group?.gid ?? (/^\d+$/.test(g) ? Number(g) : NaN);
    if (Number.isNaN(gid)) throw invalid(`unable to find group ${g}: no matching entries in group file`);
  }
  return { uid, gid };
}
