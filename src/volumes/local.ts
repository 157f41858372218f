// The local driver's filesystem side: <root>/<name>/_data per volume, and
// for volumes with options (type/device/o) the mount of that device on
// _data while at least one container uses it.
//
// Which containers hold a mounted volume is kept in memory; a volume found
// mounted at boot with no holder is unmounted by the first release of it,
// and `remove` always unmounts what it finds.

import { chown, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { isMounted } from './mountinfo.ts';
import { MNT_DETACH, mount, umount2 } from '../sys/libc.ts';
import { parseMountOptions } from './mount-options.ts';
import type { VolumeRecord } from '../core/volume.ts';
import { internal } from '../core/errors.ts';

export class LocalDriver {
  readonly root: string;
  readonly #holders = new Map<string, Set<string>>();

  readonly #owner: { uid: number; gid: number } | null;

  constructor(root: string, owner: { uid: number; gid: number } | null = null) {
    this.root = root;
    this.#owner = owner;
  }

  dir(name: string): string { return `${this.root}/${name}`; }
  mountpoint(name: string): string { return `${this.root}/${name}/_data`; }

  async create(name: string): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o701 });
    await mkdir(this.dir(name), { mode: 0o701 }).catch((err) => { if (err.code !== 'EEXIST') throw err; });
    await mkdir(this.mountpoint(name), { recursive: true, mode: 0o755 });
    if (this.#owner) await chown(this.mountpoint(name), this.#owner.uid, this.#owner.gid);
  }

  /** Mounts the volume's device (if it has options) for `holder`; a no-op for plain volumes. */
  async acquire(vol: VolumeRecord, holder: string): Promise<void> {
    const o = vol.options;
    if (!o.type && !o.device) return;
    if (!o.device) throw internal(`error while mounting volume '${this.mountpoint(vol.name)}': missing device in volume options`);
    const set = this.#holders.get(vol.name) ?? new Set<string>();
    const target = this.mountpoint(vol.name);
    if (set.size === 0 && !(await isMounted(target))) {
      await mkdir(target, { recursive: true });
      const parsed = parseMountOptions(o.o ?? '');
      try {
        mount(o.device!, target, o.type === 'none' ? null : o.type!, parsed.flags, parsed.data || null);
        if (parsed.propagation) mount(null, target, null, parsed.propagation, null);
      } catch (err) {
        if (await isMounted(target)) umount2(target, MNT_DETACH);
        throw internal(`error while mounting volume '${target}': failed to mount local volume: ${(err as Error).message}`, err);
      }
    }
    set.add(holder);
    this.#holders.set(vol.name, set);
  }

  async release(vol: VolumeRecord, holder: string): Promise<void> {
    if (!vol.options.type && !vol.options.device) return;
    const set = this.#holders.get(vol.name);
    set?.delete(holder);
    if (set && set.size > 0) return;
    this.#holders.delete(vol.name);
    const target = this.mountpoint(vol.name);
    if (await isMounted(target)) umount2(target, MNT_DETACH);
  }

  /** A holder found at boot (a running container re-adopted): its volume is already mounted. */
  adopt(name: string, holder: string): void {
    const set = this.#holders.get(name) ?? new Set<string>();
    set.add(holder);
    this.#holders.set(name, set);
  }

  async remove(name: string): Promise<void> {
    const target = this.mountpoint(name);
    // Never recurse through a mount: that would delete the device's files.
    while (await isMounted(target)) umount2(target, MNT_DETACH);
    this.#holders.delete(name);
    await rm(this.dir(name), { recursive: true, force: true });
  }

  /** Names of the volume directories on disk. */
  async names(): Promise<string[]> {
    try {
      return (await readdir(this.root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return [];
    }
  }

  /** A device mounted on a volume nobody holds (a crash between mount and use): unmounted. */
  async unmountIfUnheld(name: string): Promise<boolean> {
    if (this.#holders.get(name)?.size) return false;
    const target = this.mountpoint(name);
    if (!(await isMounted(target))) return false;
    umount2(target, MNT_DETACH);
    return true;
  }

  async isEmpty(name: string): Promise<boolean> {
    return (await readdir(this.mountpoint(name))).length === 0;
  }

  /** Apparent size of the files under _data (hard links counted once), like Docker's directory.Size. */
  async size(name: string): Promise<number> {
    const seen = new Set<string>();
    let total = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = `${dir}/${e.name}`;
        let st;
        try {
          st = await lstat(p, { bigint: false });
        } catch {
          continue;
        }
        if (st.isDirectory()) {
          await walk(p);
          continue;
        }
        if (st.nlink > 1) {
          const key = `${st.dev}:${st.ino}`;
          if (seen.has(key)) continue;
          seen.add(key);
        }
        total += st.size;
      }
    };
    await walk(this.mountpoint(name));
    return total;
  }
}
