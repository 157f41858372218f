// Which OCI runtimes a daemon offers, as dockerd does it: runc always (the
// reserved default name), crun when installed, plus any named in the
// config (`runtimes` in daemon.json: {"name": {"path": "...", "runtimeArgs":
// [...]}}, or `--add-runtime name=path`). A container picks one with
// HostConfig.Runtime (`docker run --runtime`); `default-runtime` picks the
// one used otherwise.
//
// crun on a hybrid cgroup host: crun 1.8 refuses to run while the cgroup2
// hierarchy mounted beside the v1 ones still holds a controller ("cgroups in
// hybrid mode not supported, drop all controllers from cgroupv2"). On
// Debian's hybrid layout that controller is hugetlb, which no v1 hierarchy
// mounts; scripts/hybrid-hugetlb.sh (run by scripts/setup.sh) mounts it as
// one. berthd does not change the host's cgroup layout itself: it checks
// before each crun create and answers with what to do.

import { existsSync, readFileSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { invalid, unavailable } from '../core/errors.ts';

export interface RuntimeDef {
  /** Absolute path of the binary. */
  path: string;
  /** Global options given before every command (dockerd's runtimeArgs). */
  args: string[];
}

export type RuntimeTable = Record<string, RuntimeDef>;

/** Names dockerd keeps for its own runc; a config may not redefine them. */
export const RESERVED_RUNTIME_NAMES = ['runc', 'io.containerd.runc.v2', 'io.containerd.runtime.v1.linux'];

const CANDIDATES: Record<string, string[]> = {
  runc: ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'],
  crun: ['/usr/bin/crun', '/usr/local/bin/crun'],
};

/** A configured runtime as daemon.json holds it. */
export interface RuntimeConfigEntry {
  path?: unknown;
  runtimeArgs?: unknown;
}

/** Checks one configured runtime; `where` names the source in errors. */
export function parseRuntimeEntry(name: string, entry: unknown, where: string): RuntimeDef {
  if (!name || /[\s/]/.test(name)) throw invalid(`${where}: invalid runtime name ${JSON.stringify(name)}`);
  if (RESERVED_RUNTIME_NAMES.includes(name)) throw invalid(`${where}: runtime name '${name}' is reserved`);
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw invalid(`${where}: runtime ${name} must be an object like {"path": "/usr/bin/crun"}`);
  const e = entry as RuntimeConfigEntry;
  const known = ['path', 'runtimeArgs'];
  const extra = Object.keys(e).filter((k) => !known.includes(k));
  if (extra.length) throw invalid(`${where}: runtime ${name}: unsupported option(s) ${extra.join(', ')} (berth runs OCI runtime binaries: path and runtimeArgs)`);
  if (typeof e.path !== 'string' || e.path === '') throw invalid(`${where}: runtime ${name} needs a "path" to the OCI runtime binary`);
  const args = e.runtimeArgs ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) throw invalid(`${where}: runtime ${name}: "runtimeArgs" must be a list of strings`);
  return { path: e.path, args: args as string[] };
}

/** `--add-runtime name=path`. */
export function parseAddRuntime(flag: string): [string, RuntimeDef] {
  const eq = flag.indexOf('=');
  if (eq <= 0 || eq === flag.length - 1) throw invalid(`invalid argument ${JSON.stringify(flag)} for "--add-runtime" flag: use name=path`);
  const name = flag.slice(0, eq);
  if (RESERVED_RUNTIME_NAMES.includes(name)) throw invalid(`invalid argument ${JSON.stringify(flag)} for "--add-runtime" flag: runtime name '${name}' is reserved`);
  return [name, parseRuntimeEntry(name, { path: flag.slice(eq + 1) }, '--add-runtime')];
}

/** Resolves a runtime binary the way dockerd does: a bare name through PATH. */
function resolveBinary(p: string, envPath = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string | null {
  if (p.includes('/')) return existsSync(p) ? path.resolve(p) : null;
  for (const dir of envPath.split(':')) {
    const full = path.join(dir || '.', p);
    if (existsSync(full)) return full;
  }
  return null;
}

/**
 * The daemon's runtime table: runc and crun where installed, then the
 * configured ones (which may also name crun, replacing the built-in entry).
 * Throws if the default names none of them, or a configured binary is missing.
 */
export function runtimeTable(configured: Record<string, RuntimeDef>, defaultRuntime: string): RuntimeTable {
  const out: RuntimeTable = {};
  for (const [name, paths] of Object.entries(CANDIDATES)) {
    const found = paths.find((p) => existsSync(p));
    if (found) out[name] = { path: found, args: [] };
  }
  for (const [name, def] of Object.entries(configured)) {
    const bin = resolveBinary(def.path);
    if (!bin) throw invalid(`runtime ${name}: OCI runtime binary ${def.path} not found`);
    out[name] = { path: bin, args: def.args };
  }
  if (!out[defaultRuntime]) {
    const looked = CANDIDATES[defaultRuntime] ? ` (looked for ${CANDIDATES[defaultRuntime].join(', ')})` : '';
    throw invalid(`specified default runtime '${defaultRuntime}' does not exist${looked}`);
  }
  return out;
}

/** runc's start protocol (exec.fifo) only applies to runc itself. */
export function isRunc(def: RuntimeDef | undefined): boolean {
  return !!def && path.basename(def.path) === 'runc';
}

export function isCrun(def: RuntimeDef | undefined): boolean {
  return !!def && path.basename(def.path) === 'crun';
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * Controllers the cgroup2 hierarchy of a hybrid host still holds (crun
 * refuses such a host); [] on pure v1, pure v2, or a hybrid host crun takes.
 */
export function hybridV2Controllers(root = '/sys/fs/cgroup'): string[] {
  try {
    if (statfsSync(root).type === CGROUP2_SUPER_MAGIC) return [];
    const unified = path.join(root, 'unified');
    if (statfsSync(unified).type !== CGROUP2_SUPER_MAGIC) return [];
    return readFileSync(path.join(unified, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** Why crun cannot run containers on this host, or null when it can. */
export function crunHostProblem(root = '/sys/fs/cgroup'): string | null {
  return crunProblemFor(hybridV2Controllers(root), root);
}

/** The explanation for a hybrid host whose cgroup2 hierarchy holds `held`. */
export function crunProblemFor(held: string[], root = '/sys/fs/cgroup'): string | null {
  if (held.length === 0) return null;
  const fix = held.length === 1 && held[0] === 'hugetlb'
    ? `run scripts/hybrid-hugetlb.sh (it mounts the hugetlb controller as a v1 hierarchy: mount -t cgroup -o hugetlb cgroup ${root}/hugetlb), or use --runtime runc`
    : 'move those controllers to v1 hierarchies, or use --runtime runc';
  return `crun cannot run containers on this host: it is a hybrid cgroup host whose cgroup v2 hierarchy still holds controllers (${held.join(', ')}), which crun refuses; ${fix}`;
}

/** Throws 503 with crunHostProblem's text when `def` is crun and the host refuses it. */
export function assertRuntimeUsable(def: RuntimeDef, root = '/sys/fs/cgroup'): void {
  if (!isCrun(def)) return;
  const problem = crunHostProblem(root);
  if (problem) throw unavailable(problem);
}
