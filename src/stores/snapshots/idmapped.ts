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
//   mount     lowers(paths): each layer dir as a detached idmapped tree
//             (/proc/self/fd/N), the overlay mounted, release(): the overlay
//             keeps its own private copies, so nothing stays mounted beside it
//
// Before Linux 6.15 overlayfs refuses a detached tree as a layer; there each
// tree is first attached under <exec-root>/idmap/ ("stage"), and detached
// again right after the overlay mount. A crash in between leaves mounts there
// for the next start to remove (sweepStage).

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { hostRoot, type IdMaps, type IdRange } from '../../core/idmap.ts';
import { MNT_DETACH, isMountPoint, mount, umount2 } from '../../sys/libc.ts';
import { moveMountTo, openTreeClone, setIdmapReadOnly } from '../../sys/mount-api.ts';
import { tmpName, unmountPath } from './common.ts';

/** How an idmapped tree reaches overlayfs: by its descriptor, or attached under the stage dir first. */
export type IdmapAttach = 'fd' | 'stage';

export interface IdmapLease {
  /** lowerdir entries, in the order of the paths given. */
  lowers: string[];
  /** Closes the trees (and detaches staged ones); call once the overlay is mounted, or failed to. */
  release(): void;
}

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

  constructor(userns: number, attach: IdmapAttach, stageDir: string) {
    this.#userns = userns;
    this.attach = attach;
    this.#stageDir = stageDir;
  }

  /** Each path as a read-only tree whose owners read through the maps. */
  lowers(paths: string[]): IdmapLease {
    const fds: number[] = [];
    const staged: string[] = [];
    let dir: string | null = null;
    const release = () => {
      for (const fd of fds) fs.closeSync(fd);
      for (const s of staged) unmountStaged(s);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
      for (const p of paths) {
        const fd = openTreeClone(p);
        fds.push(fd);
        setIdmapReadOnly(fd, this.#userns, p);
        if (this.attach === 'stage') {
          dir ??= fs.mkdtempSync(`${this.#stageDir}/m-`);
          const at = `${dir}/${fds.length}`;
          fs.mkdirSync(at);
          // Once attached, /proc/self/fd/N names the mount in berthd's namespace, which old overlayfs wants.
          moveMountTo(fd, at);
          staged.push(at);
        }
      }
    } catch (err) {
      release();
      throw err;
    }
    return { lowers: fds.map((fd) => `/proc/self/fd/${fd}`), release };
  }

  close(): void {
    fs.closeSync(this.#userns);
  }
}

function unmountStaged(at: string): void {
  try { umount2(at, MNT_DETACH); } catch { /* already gone: the sweep at start handles the rest */ }
}

/** Detaches what a crash left attached under the stage dir (lowers of mounts that were being made) and empties it. */
export function sweepStage(stageDir: string): void {
  fs.mkdirSync(stageDir, { recursive: true, mode: 0o700 });
  for (const m of fs.readdirSync(stageDir)) {
    const dir = `${stageDir}/${m}`;
    for (const n of fs.readdirSync(dir)) {
      if (isMountPoint(`${dir}/${n}`) !== false) unmountStaged(`${dir}/${n}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
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
  let lease: IdmapLease | null = null;
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) fs.mkdirSync(`${dir}/${d}`, { recursive: true });
    fs.writeFileSync(`${dir}/lower/f`, 'lower');
    fs.chownSync(`${dir}/lower/f`, 0, 0);
    lease = layers.lowers([`${dir}/lower`]);
    mount('overlay', `${dir}/merged`, 'overlay', 0, `lowerdir=${lease.lowers[0]},upperdir=${dir}/upper,workdir=${dir}/work`);
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
      lease?.release();
      if (mounted) unmountPath(`${dir}/merged`);
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Left as a .tmp- dir: the next start's temp cleanup takes it.
    }
  }
}
