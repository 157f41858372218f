// Removing every trace of one container from the conmon driver's root,
// whatever state a crash or a stuck create left it in. Used by a forced
// delete (`rm -f`), by a create that failed or was cut short, and by the
// boot sweep for containers no record owns.
//
// What one container can leave, and how each is found:
//   conmon                c/<id>/conmon.pid (checked to be a conmon)
//   runc create/init,     conmon's descendants; the init pid in runc's
//   the container's          state.json (checked against its start time);
//   processes                every process in the container's cgroups
//   cgroups               state.json's cgroup_paths, and the spec's
//                            cgroupsPath under every cgroup mount (a v1
//                            host has one per controller, plus name=systemd
//                            and, on hybrid hosts, the unified one)
//   runc state            state/<runtime>/<id>/
//   conmon's files        exits/<id>, s/<id>, c/<id>/, and in the bundle
//                            config.json, attach, ctl, winsz
//
// Order matters for crash safety: processes die first, then cgroups and
// runc state go, and c/<id> (the record of which runtime and bundle this
// was) goes last, so a purge cut by a crash is found and finished by the
// next boot's sweep.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { cgroupMounts, releaseCgroupMemory, removeCgroup } from './cgroups.ts';
import { killProcs, procsInCgroup, readProc, withDescendants, type Proc } from './procs.ts';

/** How long a purge keeps killing and removing before it reports what resisted. */
const PURGE_TIMEOUT_MS = 15_000;

export interface PurgeTarget {
  id: string;
  /** The driver's root (<execRoot>/runtime). */
  root: string;
  /** Bundle directory, when known (meta.json). */
  bundle: string | null;
  /** The cgroupsPath to assume when neither the spec nor runc's state names one. */
  defaultCgroupsPath: string;
  /** The spec's cgroupsPath when known (meta.json), sparing a read of the bundle's config.json. */
  cgroupsPath?: string;
}

export interface PurgeResult {
  /** Processes that survived SIGKILL. */
  survivors: number[];
  /** cgroup directories that could not be removed (still populated). */
  busyCgroups: string[];
}

interface RuncStateFile {
  init_process_pid?: number;
  init_process_start?: number;
  cgroup_paths?: Record<string, string>;
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** runc state dirs of this container, one per runtime (runc, crun) that knows it. */
function stateDirs(root: string, id: string): string[] {
  let runtimes: string[] = [];
  try {
    runtimes = fs.readdirSync(path.join(root, 'state'));
  } catch {}
  return runtimes.map((r) => path.join(root, 'state', r, id)).filter((d) => fs.existsSync(d));
}

export async function purgeContainer(t: PurgeTarget): Promise<PurgeResult> {
  const { id, root } = t;
  const ctrDir = path.join(root, 'c', id);

  // A create may still be under way (runc writing its state, forking
  // init), and on a loaded host a killed process can take a while to go:
  // kill what is found, remove the cgroups, and look again until both are
  // done or the time is up.
  const deadline = Date.now() + PURGE_TIMEOUT_MS;
  const rel = specCgroupsPath(t);
  let survivors: Proc[];
  let busyCgroups: string[];
  for (;;) {
    const found = withDescendants(roots(t, ctrDir, rel));
    survivors = found.length > 0 ? await killProcs(found, Math.max(0, deadline - Date.now())) : [];
    busyCgroups = [];
    if (survivors.length === 0) {
      const dirs = cgroupDirs(t, rel);
      await releaseCgroupMemory(dirs);
      busyCgroups = removeCgroups(dirs);
    }
    if ((survivors.length === 0 && busyCgroups.length === 0) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // Something survived: keep every trace (c/<id> above all), so that the
  // next forced delete or boot sweep finds this container and tries again.
  if (survivors.length > 0 || busyCgroups.length > 0) return { survivors: survivors.map((p) => p.pid), busyCgroups };

  const rm = (p: string) => fsp.rm(p, { force: true, recursive: true });
  await Promise.all([
    ...stateDirs(root, id).map(rm),
    rm(path.join(root, 'exits', id)),
    rm(path.join(root, 's', id)),
    ...(t.bundle ? ['config.json', 'attach', 'ctl', 'winsz'].map((f) => rm(path.join(t.bundle!, f))) : []),
  ]);
  await rm(ctrDir);
  return { survivors: [], busyCgroups: [] };
}

/** Removes each cgroup directory (children first); returns those still populated. */
function removeCgroups(dirs: string[]): string[] {
  const busy: string[] = [];
  for (const dir of dirs) {
    try {
      busy.push(...removeCgroup(path.relative('/', dir), ['/']).busy);
    } catch {
      busy.push(dir);
    }
  }
  return busy;
}

/** conmon, runc's init, and every process in the container's cgroups. */
function roots(t: PurgeTarget, ctrDir: string, rel: string): Proc[] {
  const out: Proc[] = [];
  let conmonPid = 0;
  try {
    conmonPid = Number(fs.readFileSync(path.join(ctrDir, 'conmon.pid'), 'utf8').trim());
  } catch {}
  const conmon = Number.isInteger(conmonPid) && conmonPid > 1 ? readProc(conmonPid) : null;
  if (conmon?.comm === 'conmon') out.push(conmon);
  for (const dir of stateDirs(t.root, t.id)) {
    const st = readJson<RuncStateFile>(path.join(dir, 'state.json'));
    const init = st?.init_process_pid ? readProc(st.init_process_pid) : null;
    if (init && init.start === st?.init_process_start) out.push(init);
  }
  for (const dir of cgroupDirs(t, rel)) out.push(...procsInCgroup(dir));
  return out;
}

/** The cgroupsPath the container was given (an absolute one; else the default). */
function specCgroupsPath(t: PurgeTarget): string {
  let specPath: unknown = t.cgroupsPath;
  if (specPath === undefined && t.bundle) specPath = readJson<{ linux?: { cgroupsPath?: unknown } }>(path.join(t.bundle, 'config.json'))?.linux?.cgroupsPath;
  return typeof specPath === 'string' && specPath.startsWith('/') ? specPath : t.defaultCgroupsPath;
}

/** The container's cgroup directories that exist, in every hierarchy. */
function cgroupDirs(t: PurgeTarget, rel: string): string[] {
  const dirs = new Set<string>();
  for (const mp of cgroupMounts()) dirs.add(path.join(mp, rel));
  for (const dir of stateDirs(t.root, t.id)) {
    const st = readJson<RuncStateFile>(path.join(dir, 'state.json'));
    for (const p of Object.values(st?.cgroup_paths ?? {})) if (p.startsWith('/sys/fs/cgroup/')) dirs.add(p);
  }
  // Only directories named for this container: never a parent or a hierarchy's root.
  return [...dirs].filter((d) => path.basename(d).includes(t.id) && fs.existsSync(d));
}

/** Every container id with any trace under the driver's root. */
export function tracedIds(root: string, idRe: RegExp): string[] {
  const ids = new Set<string>();
  const add = (dir: string) => {
    try {
      for (const n of fs.readdirSync(dir)) if (idRe.test(n)) ids.add(n);
    } catch {}
  };
  // Not s/: conmon makes s/<id> only after c/<id> exists, and exec sessions
  // (conmon-exec.ts) keep their own links there.
  add(path.join(root, 'c'));
  add(path.join(root, 'exits'));
  let runtimes: string[] = [];
  try {
    runtimes = fs.readdirSync(path.join(root, 'state'));
  } catch {}
  for (const r of runtimes) add(path.join(root, 'state', r));
  return [...ids];
}
