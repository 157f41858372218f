// Driving the OCI runtime binary (runc; crun takes the same commands).
//
// Every call passes `--root <state dir>` (berth's own, never the system's
// /run/runc) and `--log-format json`, so errors arrive on stderr as JSON
// lines ({"level":"error","msg":"..."}) and can be shown to the user as
// runc wrote them, the way podman and containerd do.

import { execFile } from 'node:child_process';
import { BerthError, conflict, internal, invalid, notFound } from '../core/errors.ts';
import type { ResourceUpdate } from '../core/runtime.ts';

export interface RuncOptions {
  binary: string;
  /** runc's --root: where it keeps container state. */
  root: string;
  /** Global options before the command (a configured runtime's runtimeArgs). */
  args?: string[];
}

export interface RuncStateJson {
  id: string;
  pid: number;
  status: 'created' | 'running' | 'paused' | 'stopped' | 'creating';
  bundle: string;
}

export class RuncError extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.stderr = stderr;
  }
}

/** Runs `<binary> --root R --log-format json <args>`; rejects with runc's own error text. */
export function runc(opts: RuncOptions, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(opts.binary, [...(opts.args ?? []), '--root', opts.root, '--log-format', 'json', ...args], { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const msg = runtimeErrorText(stderr) || err.message;
      reject(new RuncError(msg, stderr));
    });
  });
}

/**
 * The error lines of a runtime's stderr: JSON log lines (--log-format json),
 * logrus text lines (time="..." level=error msg="..."), or plain text.
 */
export function runtimeErrorText(stderr: string): string {
  const errors: string[] = [];
  const others: string[] = [];
  for (const line of stderr.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (line.startsWith('{')) {
      try {
        const j = JSON.parse(line) as { level?: string; msg?: string };
        if (typeof j.msg === 'string') {
          (j.level === 'error' || j.level === 'fatal' ? errors : others).push(j.msg);
          continue;
        }
      } catch {}
    }
    const m = /level=(\w+)\s+msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) {
      let text = m[2];
      try {
        text = JSON.parse(`"${m[2]}"`) as string;
      } catch {}
      (m[1] === 'error' || m[1] === 'fatal' ? errors : others).push(text);
      continue;
    }
    others.push(line);
  }
  return (errors.length > 0 ? errors : others).join('; ');
}

/** Maps a runtime's error for container `id` to berth's error codes. */
/** The runtime has no state for the container (runc: "does not exist"; crun: its status file cannot be opened). */
function isGoneMessage(msg: string): boolean {
  return /does not exist|container not found|no such file or directory.*state\.json|error opening file `[^`]*\/status`: no such file or directory/i.test(msg);
}

export function classifyRuncError(err: unknown, context: string): BerthError {
  const msg = err instanceof Error ? err.message : String(err);
  const full = `${context}: ${msg}`;
  if (isGoneMessage(msg)) return notFound(full);
  // runc's words, then crun's ("open pidfd: No such process" for a kill of an
  // exited container, "is not in `created` or `stopped` state" for a delete of a running one).
  if (/not running|process already finished|cannot (start|kill|pause|resume)|container is (stopped|paused)|already (started|running)|not stopped|not paused|open pidfd: no such process|not in `?created`? or `?stopped`? state/i.test(msg)) return conflict(full);
  if (/invalid signal|unknown signal/i.test(msg)) return invalid(full);
  return internal(full, err);
}

export async function runcState(opts: RuncOptions, id: string): Promise<RuncStateJson | null> {
  try {
    return JSON.parse(await runc(opts, ['state', id])) as RuncStateJson;
  } catch (err) {
    if (err instanceof RuncError && (/does not exist|not found/i.test(err.message) || isGoneMessage(err.message))) return null;
    throw classifyRuncError(err, `runc state ${id}`);
  }
}

/** `runc update` flags for the limits given (the others are left as they are). */
export function runcUpdateArgs(r: ResourceUpdate): string[] {
  const args: string[] = [];
    // runc and crun take the same names, and the value glued on with '=' (crun's parser wants it so for a negative one).
    const flag = (name: string, v: number | string | undefined) => { if (v !== undefined) args.push(`--${name}=${v}`); };
    flag('memory', r.memory);
    flag('memory-swap', r.memorySwap);
    flag('memory-reservation', r.memoryReservation);
    flag('kernel-memory', r.kernelMemory);
    flag('cpu-share', r.cpuShares);
    flag('cpu-period', r.cpuPeriod);
    flag('cpu-quota', r.cpuQuota);
    flag('cpu-rt-period', r.cpuRealtimePeriod);
    flag('cpu-rt-runtime', r.cpuRealtimeRuntime);
    flag('cpuset-cpus', r.cpusetCpus);
    flag('cpuset-mems', r.cpusetMems);
    flag('blkio-weight', r.blkioWeight);
    flag('pids-limit', r.pidsLimit);
  return args;
}
