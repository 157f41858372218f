// Mount table reads and teardown for private daemons' temp dirs.
// Daemons leave overlay rootfs mounts, nsfs bind mounts and a private bind of
// their data root when they crash or are killed; cleanup unmounts them
// deepest first before anything is deleted, because rm -rf through a live
// bind mount would delete the mount's source.

import { readFileSync } from 'node:fs';
import { run } from './run.ts';

export interface MountEntry {
  id: number;
  parentId: number;
  mountPoint: string;
  fsType: string;
  source: string;
}

// mountinfo escapes space, tab, newline and backslash as \ooo octal.
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function readMounts(): MountEntry[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    out.push({
      id: Number(fields[0]),
      parentId: Number(fields[1]),
      mountPoint: unescape(fields[4]),
      fsType: fields[sep + 1],
      source: unescape(fields[sep + 2]),
    });
  }
  return out;
}

export function mountsUnder(dir: string): MountEntry[] {
  const base = dir.replace(/\/+$/, '');
  return readMounts().filter((m) => m.mountPoint === base || m.mountPoint.startsWith(`${base}/`));
}

/**
 * Unmounts everything at or under dir, deepest path first; falls back to a
 * lazy unmount for a busy mount. Returns what is still mounted afterwards
 * (the caller must then not delete the directory).
 */
export async function unmountUnder(dir: string): Promise<MountEntry[]> {
  // Stacked mounts on one path need one umount each: loop until stable.
  for (let round = 0; round < 20; round++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return [];
    mounts.sort((a, b) => depth(b.mountPoint) - depth(a.mountPoint) || b.id - a.id);
    for (const m of mounts) {
      const r = await run('umount', [m.mountPoint], { timeout: 20_000 });
      if (r.code !== 0 && !/not mounted|no mount point/i.test(r.stderr)) {
        await run('umount', ['-l', m.mountPoint], { timeout: 20_000 });
      }
    }
  }
  return mountsUnder(dir);
}

function depth(path: string): number {
  return path.split('/').length;
}
