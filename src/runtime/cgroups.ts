// cgroups: which hierarchy the host runs, where a container's cgroup goes,
// and cleaning up a cgroup runc left behind.
//
//   v2 (unified)  /sys/fs/cgroup is cgroup2            most users' machines
//   v1 / hybrid   /sys/fs/cgroup is a tmpfs with one   these machines (with
//                 cgroup mount per controller           cgroup2 beside it at
//                                                       /sys/fs/cgroup/unified)
//
// berth uses the cgroupfs driver: the spec's cgroupsPath is "/berth/<id>"
// and runc creates that directory in every hierarchy (every v1 controller,
// the name=systemd one and the unified one on hybrid hosts). `runc delete`
// removes them; removeCgroup() is the fallback for a container whose runc
// state is gone (a crash between exit and delete).

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

const CGROUP2_SUPER_MAGIC = 0x63677270;

export interface CgroupInfo {
  version: '1' | '2';
  /** v1 with a cgroup2 hierarchy mounted beside it. */
  hybrid: boolean;
  /** Where the cgroup2 hierarchy is mounted, if anywhere. */
  unifiedMount: string | null;
  /** Whether memory+swap limits can be set (v1 memsw / v2 swap.max). */
  swapAccounting: boolean;
}

let cached: CgroupInfo | undefined;

export function detectCgroups(mountPoint = '/sys/fs/cgroup'): CgroupInfo {
  if (mountPoint === '/sys/fs/cgroup' && cached) return cached;
  const info = probe(mountPoint);
  if (mountPoint === '/sys/fs/cgroup') cached = info;
  return info;
}

function probe(mountPoint: string): CgroupInfo {
  if (fs.statfsSync(mountPoint).type === CGROUP2_SUPER_MAGIC) {
    // Swap is controllable when the memory controller exists; runc maps it to memory.swap.max.
    const controllers = readOr(path.join(mountPoint, 'cgroup.controllers'), '');
    return { version: '2', hybrid: false, unifiedMount: mountPoint, swapAccounting: controllers.split(/\s+/).includes('memory') };
  }
  const unified = path.join(mountPoint, 'unified');
  let unifiedMount: string | null = null;
  try {
    if (fs.statfsSync(unified).type === CGROUP2_SUPER_MAGIC) unifiedMount = unified;
  } catch {}
  const swapAccounting = fs.existsSync(path.join(mountPoint, 'memory', 'memory.memsw.limit_in_bytes'));
  return { version: '1', hybrid: unifiedMount !== null, unifiedMount, swapAccounting };
}

/** The spec's linux.cgroupsPath for a container under the cgroupfs driver. */
export function cgroupsPathFor(id: string, parent = '/berth'): string {
  return path.posix.join('/', parent, id);
}

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP_ROOT = '/sys/fs/cgroup';

/** What /proc/self/mountinfo listed when first asked: read once, it is ~760 KB on a host with many containers. */
let listedAtFirstUse: string[] | undefined;

/**
 * Mount points of every cgroup/cgroup2 hierarchy: those mountinfo listed
 * when first asked, plus whatever is mounted under /sys/fs/cgroup now (a
 * v1 controller mounted since, as scripts/hybrid-hugetlb.sh does), found
 * by statfs. One that went away since is still named: callers look for a
 * container's directory under each and skip what does not exist.
 * `mountinfo`: parse that file instead (tests).
 */
export function cgroupMounts(mountinfo?: string): string[] {
  if (mountinfo !== undefined) return parseCgroupMounts(readOr(mountinfo, ''));
  listedAtFirstUse ??= parseCgroupMounts(readOr('/proc/self/mountinfo', ''));
  return [...new Set([...listedAtFirstUse, ...mountedUnderCgroupRoot()])];
}

function parseCgroupMounts(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const mp = line.split(' ')[4];
    if (mp) out.add(mp.replace(/\\040/g, ' '));
  }
  return [...out];
}

/** /sys/fs/cgroup itself when it is cgroup2, else its directories that are cgroup mounts (not the symlinks beside them). */
function mountedUnderCgroupRoot(): string[] {
  const isCgroup = (p: string) => {
    try {
      const { type } = fs.statfsSync(p);
      return type === CGROUP_SUPER_MAGIC || type === CGROUP2_SUPER_MAGIC;
    } catch {
      return false;
    }
  };
  try {
    if (fs.statfsSync(CGROUP_ROOT).type === CGROUP2_SUPER_MAGIC) return [CGROUP_ROOT];
    return fs.readdirSync(CGROUP_ROOT, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(CGROUP_ROOT, e.name))
      .filter(isCgroup);
  } catch {
    return [];
  }
}

/**
 * Removes the container's cgroup directory from every hierarchy. Missing
 * directories are fine; a cgroup that still holds processes (EBUSY) is
 * reported, not forced. Children are removed before parents.
 */
export function removeCgroup(cgroupsPath: string, mounts: string[] = cgroupMounts()): { busy: string[] } {
  const rel = path.posix.normalize('/' + cgroupsPath);
  if (rel === '/') throw new Error('refusing to remove the root cgroup');
  const busy: string[] = [];
  for (const mp of mounts) {
    const dir = path.join(mp, rel);
    try {
      removeTree(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      if (code === 'EBUSY') busy.push(dir);
      else throw err;
    }
  }
  return { busy };
}

/**
 * Lets go of what the kernel still charges to a container's memory cgroup
 * once its processes are gone, so that removing the cgroup frees it: the
 * page cache of files the container read first or wrote stays charged to
 * its cgroup, and an rmdir'd memory cgroup with pages charged stays in the
 * kernel as a "dying" one until they are evicted. Each costs unreclaimable
 * kernel memory that grows with the number of mounts on the host (its
 * shrinker map has a slot per superblock, ten per container): after three
 * runs of 1,000 containers here, 2,300 dying cgroups held 1.5 GB.
 *
 * v1 (and hybrid): memory.force_empty reclaims what it can (clean pages
 * go; dirty ones are not waited for). v2: memory.reclaim of what
 * memory.current shows (EAGAIN when not all of it could go). Asynchronous,
 * since a reclaim can take a while; best effort: a failure leaves a
 * dying cgroup, as before. `dirs`: the container's directories in every
 * hierarchy (only the memory ones have these files; 'r+' never creates one).
 */
export async function releaseCgroupMemory(dirs: string[]): Promise<void> {
  await Promise.all(dirs.map(async (dir) => {
    try {
      await fsp.writeFile(path.join(dir, 'memory.force_empty'), '0', { flag: 'r+' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
    }
    try {
      const current = (await fsp.readFile(path.join(dir, 'memory.current'), 'latin1')).trim();
      if (/^\d+$/.test(current) && current !== '0') await fsp.writeFile(path.join(dir, 'memory.reclaim'), current, { flag: 'r+' });
    } catch { /* not a memory cgroup, or not all could be reclaimed */ }
  }));
}

// cgroup directories cannot be rm -r'd (their files are not removable);
// only rmdir of each empty directory, deepest first, works.
function removeTree(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) removeTree(path.join(dir, e.name));
  }
  fs.rmdirSync(dir);
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}
