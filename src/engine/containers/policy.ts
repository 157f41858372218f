// Docker's rules for what a failed start means and when a container that
// exited is started again.

import type { ContainerRecord } from '../../core/container.ts';
import { BerthError, wrap } from '../../core/errors.ts';

const CANNOT_RUN = /executable file not found|no such file or directory|permission denied|unable to find user|not a directory/i;

/** A user's mistake (missing command, unknown user) is a 400; the rest keeps its class. */
export function startError(err: unknown): BerthError {
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof BerthError && err.code !== 'internal') return err;
  if (CANNOT_RUN.test(msg)) return new BerthError('invalid_argument', msg, { cause: err });
  return wrap(err, 'failed to start container');
}

/** The ExitCode dockerd records for a start that failed: 127 not found, 126 not executable, 128 otherwise. */
export function startFailureExitCode(msg: string): number {
  if (/executable file not found|no such file or directory/i.test(msg)) return 127;
  if (/permission denied/i.test(msg)) return 126;
  return 128;
}

export function shouldRestart(rec: ContainerRecord, manuallyStopped: boolean): boolean {
  if (manuallyStopped) return false;
  const p = rec.hostConfig.restartPolicy;
  if (p.name === 'always' || p.name === 'unless-stopped') return true;
  if (p.name === 'on-failure') {
    return rec.state.exitCode !== 0 && (p.maximumRetryCount === 0 || rec.restartCount < p.maximumRetryCount);
  }
  return false;
}

/** Docker's back-off: 100 ms doubling per restart, capped at a minute, reset after 10 s of running. */
export function restartDelayMs(rec: ContainerRecord): number {
  const ran = Date.parse(rec.state.finishedAt) - Date.parse(rec.state.startedAt);
  return ran > 10_000 ? 100 : Math.min(100 * 2 ** Math.min(rec.restartCount, 10), 60_000);
}
