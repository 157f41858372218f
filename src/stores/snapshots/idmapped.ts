// Idmapped lower layers for --userns-remap. Where the kernel allows it
// (overlayfs over idmapped layers: Linux 5.19+, on a filesystem that takes
// idmapped mounts), a layer is stored once with the image's own owners and
// shown to a remapped container through a read-only bind mount whose owners
// read through the daemon's mappings: no chowned copy of the image at all.
//
//   start     usernsFd(maps): a short-lived `unshare --user` child gets the
//             maps written into /proc/<pid>/{uid,gid}_map; its namespace is
//             kept open as a descriptor, the child killed
//   probe     a scratch lower dir owned 0:0 reads as the remapped root through
//             an idmapped overlay, and a copy-up lands owned by it in the upper
//   mount     lowers(paths): each layer dir as an idmapped tree, passed to
//             overlayfs as /proc/self/fd/N. overlayfs takes private clones of
//             its layers, so one tree per layer serves every container's
//             mount: trees are made on first use and kept (at most MAX_TREES,
//             least recently used dropped first); forget(path) when the layer
//             goes, close() when the daemon stops
//
// Before Linux 6.15 overlayfs refuses a detached tree as a layer; there each
// tree is attached under <exec-root>/idmap/ ("stage") while it is kept, and
// detached when dropped. A crash leaves those mounts for the next start to
// remove (sweepStage).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { hostRoot, type IdMaps, type IdRange } from '../../core/idmap.ts';
import { MNT_DETACH, isMountPoint, mount, umount2 } from '../../sys/libc.ts';
import { moveMountTo, openTreeClone, setIdmapReadOnly } from '../../sys/mount-api.ts';
import { tmpName, unmountPath } from './common.ts';

/** How an idmapped tree reaches overlayfs: by its descriptor, or attached under the stage dir first. */
export type IdmapAttach = 'fd' | 'stage';

/** Trees kept at most: a descriptor each, and in stage mode a mount under the stage dir too. */
const MAX_TREES: Record<IdmapAttach, number> = { fd: 1024, stage: 256 };

const mapLines = (ranges: readonly IdRange[]) => ranges.map((r) => `${r.containerId} ${r.hostId} ${r.size}\n`).join('');

/** A descriptor of a new user namespace carrying maps (needs CAP_SETUID/CAP_SETGID and util-linux unshare). */
export async function usernsFd(maps: IdMaps, timeoutMs = 5000): Promise<number> {
  const child = spawn('unshare', ['--user', '--', 'sh', '-c', 'echo; exec cat'], { stdio: ['pipe', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`unshare --user gave no sign of life in ${timeoutMs} ms`)), timeoutMs);
      child.once('error', (err) => { clearTimeout(timer); reject(err); });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`unshare --user exited with ${code}`)); });
      child.stdout!.once('data', () => { clearTimeout(timer); resolve(); });
    });
    // One write each, as the kernel requires; the parent's CAP_SETGID makes setgroups irrelevant.
    fs.writeFileSync(`/proc/${child.pid}/uid_map`, mapLines(maps.uids));
    fs.writeFileSync(`/proc/${child.pid}/gid_map`, mapLines(maps.gids));
    return fs.openSync(`/proc/${child.pid}/ns/user`, 'r');
  } finally {
    child.kill('SIGKILL');
    child.stdin?.destroy();
  }
}

export class IdmappedLayers {
  readonly attach: IdmapAttach;
  readonly #userns: number;
  readonly #stageDir: string;
  /** Layer dir -> its idmapped tree (a descriptor; in stage mode also attached at stagedAt(path)), least recently used first. */
  readonly #trees = new Map<string, number>();

  constructor(userns: number, attach: IdmapAttach, stageDir: string) {
    this.#userns = userns;
    this.attach = attach;
    this.#stageDir = stageDir;
  }

  /** lowerdir entries (/proc/self/fd/N) showing each path read-only with its owners read through the maps. */
  lowers(paths: string[]): string[] {
    return paths.map((p) => `/proc/self/fd/${this.#tree(p)}`);
  }

  #tree(path: string): number {
    const kept = this.#trees.get(path);
    if (kept !== undefined) {
      this.#trees.delete(path);
      this.#trees.set(path, kept);
      return kept;
    }
    const fd = openTreeClone(path);
    try {
      setIdmapReadOnly(fd, this.#userns, path);
      if (this.attach === 'stage') {
        const at = this.#stagedAt(path);
        fs.mkdirSync(at, { recursive: true });
        // Once attached, /proc/self/fd/N names a mount in berthd's namespace, which old overlayfs wants.
        moveMountTo(fd, at);
      }
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    this.#trees.set(path, fd);
    for (const old of this.#trees.keys()) {
      if (this.#trees.size <= MAX_TREES[this.attach]) break;
      this.forget(old);
    }
    return fd;
  }

  #stagedAt(path: string): string {
    return `${this.#stageDir}/${createHash('sha256').update(path).digest('hex').slice(0, 24)}`;
  }

  /** Drops the tree of path (its layer is going, or the cache is full); mounts made from it keep their own copies. */
  forget(path: string): void {
    const fd = this.#trees.get(path);
    if (fd === undefined) return;
    this.#trees.delete(path);
    fs.closeSync(fd);
    if (this.attach === 'stage') {
      const at = this.#stagedAt(path);
      unmountStaged(at);
      fs.rmSync(at, { recursive: true, force: true });
    }
  }

  /** Drops every tree and the namespace. */
  close(): void {
    for (const p of [...this.#trees.keys()]) this.forget(p);
    fs.closeSync(this.#userns);
  }
}

function unmountStaged(at: string): void {
  try { umount2(at, MNT_DETACH); } catch { /* already gone: the sweep at start handles the rest */ }
}

/** Detaches what a crash left attached under the stage dir (trees of the last run) and empties it. */
export function sweepStage(stageDir: string): void {
  fs.mkdirSync(stageDir, { recursive: true, mode: 0o700 });
  for (const n of fs.readdirSync(stageDir)) {
    const at = `${stageDir}/${n}`;
    // An older berth staged per mount, one level deeper (m-*/N).
    for (const p of [at, ...(n.startsWith('m-') ? fs.readdirSync(at).map((k) => `${at}/${k}`) : [])]) {
      if (isMountPoint(p) !== false) unmountStaged(p);
    }
    fs.rmSync(at, { recursive: true, force: true });
  }
}

/**
 * Whether an overlay over an idmapped lower works under scratchRoot (on the
 * layers' filesystem): null when it does, else why not. A lower file owned
 * 0:0 must read as the remapped root, and its copy-up land owned by it.
 */
export function probeIdmapped(layers: IdmappedLayers, scratchRoot: string, maps: IdMaps): string | null {
  const dir = `${scratchRoot}/${tmpName()}`;
  const root = hostRoot(maps);
  let mounted = false;
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) fs.mkdirSync(`${dir}/${d}`, { recursive: true });
    fs.writeFileSync(`${dir}/lower/f`, 'lower');
    fs.chownSync(`${dir}/lower/f`, 0, 0);
    const [lower] = layers.lowers([`${dir}/lower`]);
    mount('overlay', `${dir}/merged`, 'overlay', 0, `lowerdir=${lower},upperdir=${dir}/upper,workdir=${dir}/work`);
    mounted = true;
    const seen = fs.statSync(`${dir}/merged/f`);
    if (seen.uid !== root.uid || seen.gid !== root.gid) return `a lower file owned 0:0 reads as ${seen.uid}:${seen.gid}, not ${root.uid}:${root.gid}`;
    fs.appendFileSync(`${dir}/merged/f`, '+');
    const up = fs.statSync(`${dir}/upper/f`);
    if (up.uid !== root.uid || up.gid !== root.gid) return `a copied-up file is owned ${up.uid}:${up.gid}, not ${root.uid}:${root.gid}`;
    if (fs.statSync(`${dir}/lower/f`).uid !== 0) return 'the lower file changed owner';
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    try {
      layers.forget(`${dir}/lower`);
      if (mounted) unmountPath(`${dir}/merged`);
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Left as a .tmp- dir: the next start's temp cleanup takes it.
    }
  }
}
