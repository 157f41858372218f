// A container's runtime state read from the runtime's own files, without
// running the runtime: what `runc state` / `crun state` would answer, at
// the cost of a few small reads instead of a process (a live restore of
// 1,000 containers spawned 1,000 of them).
//
//   runc: <root>/<id>/state.json  {init_process_pid, init_process_start,
//                                  cgroup_paths: {freezer | "": dir}}
//   crun: <root>/<id>/status      {pid, "process-start-time", "cgroup-path"}
//   both: <root>/<id>/exec.fifo   present from create until start
//
// The status is decided as both runtimes decide it:
//   no state file                          -> no container (null)
//   init pid gone, a zombie, or its start
//     time (/proc/<pid>/stat field 22) not
//     the recorded one (the pid was reused) -> stopped (pid 0)
//   exec.fifo present                       -> created
//   cgroup frozen (v1 freezer.state FROZEN,
//     v2 cgroup.freeze 1)                   -> paused
//   otherwise                               -> running
//
// Anything else (another runtime's layout, a file this reader does not
// understand) answers `undefined`: the caller asks the runtime itself.

import fs from 'node:fs';
import path from 'node:path';
import type { RuntimeState } from '../core/runtime.ts';
import { readProc } from './procs.ts';
import { isErrno } from './rootfs.ts';

interface Recorded {
  pid: number;
  start: number;
  /** Directories whose freezer file tells whether the container is paused. */
  freezer: { v1?: string; v2?: string };
}

// The reads are synchronous: a few hundred bytes of local files and
// cgroupfs, microseconds each, where a thread-pool round trip per read cost
// a live restore of 1,000 containers ~1.6 s of CPU in a profile.
function readJson(file: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' ? v as Record<string, unknown> : null;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null;
    // Being rewritten (runc writes state.json in place on some paths) or unreadable: let the runtime answer.
    throw err;
  }
}

const asInt = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN);

/** runc's state.json (init_process_start a number since 1.0, a string before). */
export function fromRuncState(s: Record<string, unknown>): Recorded | undefined {
  const pid = asInt(s.init_process_pid);
  const start = asInt(s.init_process_start);
  if (!Number.isInteger(pid) || !Number.isInteger(start)) return undefined;
  const paths = (s.cgroup_paths && typeof s.cgroup_paths === 'object' ? s.cgroup_paths : {}) as Record<string, unknown>;
  const freezer: Recorded['freezer'] = {};
  if (typeof paths.freezer === 'string') freezer.v1 = paths.freezer;
  else if (typeof paths[''] === 'string') freezer.v2 = paths[''];
  return { pid, start, freezer };
}

/** crun's status file; its cgroup-path is relative to the cgroup mount. */
export function fromCrunStatus(s: Record<string, unknown>, cgroupRoot: string, unified: boolean): Recorded | undefined {
  const pid = asInt(s.pid);
  const start = asInt(s['process-start-time']);
  if (!Number.isInteger(pid) || !Number.isInteger(start)) return undefined;
  const cg = typeof s['cgroup-path'] === 'string' ? s['cgroup-path'] : '';
  const freezer: Recorded['freezer'] = {};
  if (cg) {
    if (unified) freezer.v2 = path.join(cgroupRoot, cg);
    else freezer.v1 = path.join(cgroupRoot, 'freezer', cg);
  }
  return { pid, start, freezer };
}

function frozen(f: Recorded['freezer']): boolean {
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch {
      return '';
    }
  };
  if (f.v1) return read(path.join(f.v1, 'freezer.state')) === 'FROZEN';
  if (f.v2) return read(path.join(f.v2, 'cgroup.freeze')) === '1';
  return false;
}

export interface StateFileOptions {
  /** The runtime's --root. */
  root: string;
  /** The cgroup mount point (crun's cgroup-path is relative to it). */
  cgroupRoot?: string;
  /** True on a pure cgroup v2 host. */
  unified?: boolean;
}

/** The init the state files record; null: no such container; undefined: a layout this reader does not know. */
export async function readRecorded(opts: StateFileOptions, id: string): Promise<(Recorded & { dir: string }) | null | undefined> {
  const dir = path.join(opts.root, id);
  let rec: Recorded | undefined;
  const runcState = readJson(path.join(dir, 'state.json'));
  if (runcState) {
    rec = fromRuncState(runcState);
  } else {
    const crunStatus = readJson(path.join(dir, 'status'));
    if (!crunStatus) return fs.existsSync(dir) ? undefined : null;
    rec = fromCrunStatus(crunStatus, opts.cgroupRoot ?? '/sys/fs/cgroup', opts.unified ?? false);
  }
  return rec && { ...rec, dir };
}

/** Whether the init waits on its exec.fifo (created) or sits in a frozen cgroup (paused). */
export async function createdOrPaused(rec: Recorded & { dir: string }): Promise<'created' | 'paused' | null> {
  if (fs.existsSync(path.join(rec.dir, 'exec.fifo'))) return 'created';
  if (frozen(rec.freezer)) return 'paused';
  return null;
}

/** The container's state from the runtime's files; null: no such container; undefined: ask the runtime. */
export async function readStateFiles(opts: StateFileOptions, id: string): Promise<RuntimeState | null | undefined> {
  const rec = await readRecorded(opts, id);
  if (!rec) return rec;
  const init = readProc(rec.pid);
  if (!init || init.start !== rec.start) return { status: 'stopped', pid: 0 };
  return { status: (await createdOrPaused(rec)) ?? 'running', pid: rec.pid };
}
