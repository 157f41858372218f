// `runc kill <id> <signal>` (and crun's) without the runtime's process.
// For a running container both runtimes do the same thing: read the init's
// pid from their state, check it is still the process they started, and
// send it the signal through a pidfd. Spawning the runtime for that cost
// tens of milliseconds of a busy host per container (removing 1,500 spent
// most of its CPU there). Here: the state files (state-files.ts), a pidfd
// opened on the recorded pid, the start time of the process it names
// compared with the recorded one (a reused pid is never hit: once the pidfd
// is open it cannot be redirected, and a pid reused before the open shows
// another start time), then pidfd_send_signal.
//
// Anything else goes to the runtime: --all (every process of the cgroup),
// a created or paused container (runc thaws a frozen one for SIGKILL), a
// layout the reader does not know, an init already gone (the runtime then
// answers "not running", which the caller reports).

import { closeSync } from 'node:fs';
import { pidfdOpen, pidfdSendSignal } from '../sys/libc.ts';
import { readProc } from './procs.ts';
import { createdOrPaused, readRecorded, type StateFileOptions } from './state-files.ts';

/** True when the signal went to the container's init; false: ask the runtime. */
export async function signalInit(opts: StateFileOptions, id: string, signal: number): Promise<boolean> {
  const rec = await readRecorded(opts, id).catch(() => undefined);
  if (!rec || await createdOrPaused(rec).catch(() => 'unknown')) return false;
  let fd: number;
  try {
    fd = pidfdOpen(rec.pid);
  } catch {
    return false;
  }
  try {
    const init = readProc(rec.pid);
    if (!init || init.start !== rec.start) return false;
    pidfdSendSignal(fd, signal);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
