// Reading what conmon leaves on disk: the exit file, the OOM marker, its
// pid file. Small, synchronous where it is on hot paths and cheap.

import fs from 'node:fs';
import path from 'node:path';
import type { ExitStatus } from '../core/runtime.ts';
import type { ContainerMeta } from './conmon-layout.ts';
import { isErrno } from './rootfs.ts';

/**
 * conmon's exit file holds the exit code as text ("0", "137"; -1 when it
 * could not tell). It is renamed into place whole, so a present file is
 * complete. Its mtime is when conmon saw the exit.
 */
export async function readExitFile(file: string, ctrDir: string): Promise<ExitStatus | null> {
  // Synchronous: a few bytes of a local file, microseconds, where the
  // thread pool's round trips cost milliseconds on a busy host, and this
  // sits between a container's exit and everyone waiting for it.
  let text: string;
  let st: fs.Stats;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
  try {
    st = fs.fstatSync(fd);
    text = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  const code = Number.parseInt(text.trim(), 10);
  const status: ExitStatus = { exitCode: Number.isNaN(code) ? -1 : code, finishedAt: st.mtime };
  if (fs.existsSync(path.join(ctrDir, 'oom'))) status.oomKilled = true;
  return status;
}

/** The pid in <ctrDir>/conmon.pid, or null when there is none (not started, or a torn write). */
export function readConmonPid(ctrDir: string): number | null {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(ctrDir, 'conmon.pid'), 'utf8').trim());
  } catch {
    return null;
  }
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}

/**
 * Whether `pid` is a live conmon. Guards against pid reuse (the command
 * must be conmon) and zombies (a conmon that exited but was not reaped yet
 * counts as gone). One read of /proc/<pid>/stat.
 */
export function pidIsConmon(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return false;
  }
  // "<pid> (<comm>) <state> ...": comm may contain spaces and parens, so cut at the last ")".
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const state = stat.slice(close + 2, close + 3);
  return comm === 'conmon' && state !== 'Z' && state !== 'X';
}

/** Whether the conmon recorded in <ctrDir>/conmon.pid still runs. */
export function isConmonAlive(ctrDir: string): boolean {
  const pid = readConmonPid(ctrDir);
  return pid !== null && pidIsConmon(pid);
}

/**
 * Whether the spec has hooks of a kind only the runtime's own command runs:
 * as recorded at create, else (a meta of an older daemon) as the bundle's
 * spec says; unreadable counts as yes.
 */
export function hasHooks(meta: ContainerMeta, kind: 'poststart' | 'poststop'): boolean {
  if (meta.hooks) return meta.hooks.includes(kind);
  try {
    const spec = JSON.parse(fs.readFileSync(path.join(meta.bundle, 'config.json'), 'utf8')) as { hooks?: Record<string, unknown[]> };
    return (spec.hooks?.[kind]?.length ?? 0) > 0;
  } catch {
    return true;
  }
}
