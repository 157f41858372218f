// /proc/self/mountinfo, read for what volumes need: is a path a mount
// point, and which mount holds a path with what propagation (Docker
// refuses rshared/rslave binds whose source mount is private).

import { readFile } from 'node:fs/promises';
import { realpath } from 'node:fs/promises';

export interface MountInfo {
  mountPoint: string;
  /** Optional fields: "shared:N", "master:N"... */
  optional: string[];
}

const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));

export async function readMountInfo(file = '/proc/self/mountinfo'): Promise<MountInfo[]> {
  const text = await readFile(file, 'utf8');
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    out.push({ mountPoint: unescape(f[4]!), optional: f.slice(6, sep < 0 ? undefined : sep) });
  }
  return out;
}

export async function isMounted(path: string): Promise<boolean> {
  return (await readMountInfo()).some((m) => m.mountPoint === path);
}

/** The mount a host path lives on (the longest mount point that contains it; the last one mounted wins). */
export async function mountOf(path: string): Promise<MountInfo> {
  const real = await realpath(path).catch(() => path);
  let best: MountInfo | undefined;
  for (const m of await readMountInfo()) {
    const inside = m.mountPoint === '/' || real === m.mountPoint || real.startsWith(`${m.mountPoint}/`);
    if (inside && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best ?? { mountPoint: '/', optional: [] };
}
