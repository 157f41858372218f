// RUN --mount=type=secret files live on a tmpfs made for the one RUN that
// mounts them: a secret's bytes never reach a disk (not the data root, not
// the layer, not the page cache of a disk file). The tmpfs is mounted on
// a fresh dir under the builder's tmp, each secret written there with its
// owner and mode, bound read-only into the container, and the tmpfs is
// unmounted when the RUN ends. A daemon killed mid-RUN leaves the mount:
// unmountStale() takes those away at the next start.

import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mountPointsSync } from '../engine/mounts.ts';
import { MNT_DETACH, MS_NODEV, MS_NOEXEC, MS_NOSUID, mount, umount2 } from '../sys/libc.ts';

export class SecretFiles {
  readonly dir: string;
  #n = 0;
  #mounted = false;

  private constructor(dir: string) { this.dir = dir; }

  /** A tmpfs sized for `bytes` of secrets, on a new dir under tmpRoot. */
  static create(tmpRoot: string, bytes: number): SecretFiles {
    const dir = `${tmpRoot}/secrets-${randomBytes(8).toString('hex')}`;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const s = new SecretFiles(dir);
    try {
      // Room for the bytes plus one page per file; the kernel rounds size up to pages.
      mount('tmpfs', dir, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, `size=${bytes + 64 * 4096},nr_inodes=256,mode=0755`);
      s.#mounted = true;
    } catch (err) {
      fs.rmdirSync(dir);
      throw err;
    }
    return s;
  }

  /** Writes one secret; returns its path (to bind read-only). */
  write(data: Buffer, uid: number, gid: number, mode: number): string {
    const f = `${this.dir}/${++this.#n}`;
    fs.writeFileSync(f, data, { mode: 0o600, flag: 'wx' });
    fs.chownSync(f, uid, gid);
    fs.chmodSync(f, mode);
    return f;
  }

  close(): void {
    if (this.#mounted) {
      umount2(this.dir, MNT_DETACH);
      this.#mounted = false;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Unmounts what a killed daemon left mounted under tmpRoot (before that dir is removed). */
export function unmountStale(tmpRoot: string): void {
  let all: string[];
  try { all = mountPointsSync(); } catch { return; }
  const prefix = `${tmpRoot}/`;
  const points = all.filter((p) => p.startsWith(prefix));
  // Deepest first.
  for (const p of points.sort((a, b) => b.length - a.length)) {
    try { umount2(p, MNT_DETACH); } catch { /* already gone */ }
  }
}
