// Starting one conmon, and how it reports back.
//
// File descriptors and environment conmon is given:
//   fd 0, 1      /dev/null
//   fd 2         a pipe, read only until conmon detaches: conmon's own
//                argument/setup errors arrive here (after its fork it
//                points its stdio at /dev/null by itself)
//   fd 3         the sync pipe, announced by _OCI_SYNCPIPE=3
//   cwd          the container's state dir: conmon drops its "oom" marker
//                file into its working directory
//
// conmon forks at once (the parent writes --conmon-pidfile and exits 0),
// the child calls setsid(), becomes a subreaper, and forks `runc create`.
// When runc returns it writes exactly one JSON line to the sync pipe:
//   {"pid": 12345}                                   container created
//   {"pid": -1, "message": "<runc's stderr>"}        runc create failed
// and in the failure case exits, closing the pipe. With runc's
// --log-format json that stderr is JSON log lines whose "msg" is the text
// Docker shows, e.g. runc create failed: unable to start container
// process: exec: "nosuchcmd": executable file not found in $PATH.
// conmon never writes to the pipe again for a container (only for exec),
// so berthd closing its end, or dying, cannot hurt the running conmon.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { internal, invalid, unavailable, type BerthError } from '../core/errors.ts';
import { runtimeErrorText } from './runc.ts';

export interface LaunchOptions {
  conmonPath: string;
  args: string[];
  cwd: string;
  /** conmon's --conmon-pidfile, so a hung create can be killed. */
  conmonPidFile: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** Spawns conmon detached and resolves with the container's pid once runc create succeeded. */
export function launchConmon(opts: LaunchOptions): Promise<{ pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.conmonPath, opts.args, {
      cwd: opts.cwd,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3' },
    });
    const sync = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
    const stderr = child.stderr!;
    let syncBuf = '';
    let errText = '';
    let parentExit: number | null = null;
    let settled = false;

    const finish = (err: BerthError | null, pid?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sync.destroy();
      stderr.destroy();
      child.unref();
      if (err) reject(err);
      else resolve({ pid: pid as number });
    };

    const timer = setTimeout(() => {
      killConmon(opts.conmonPidFile);
      finish(unavailable(`OCI runtime create timed out after ${(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000}s`));
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);

    child.on('error', (err) => finish(internal(`starting conmon (${opts.conmonPath}): ${err.message}`, err)));
    child.on('exit', (code) => { parentExit = code; });
    stderr.setEncoding('utf8');
    stderr.on('data', (d: string) => { if (errText.length < 65536) errText += d; });
    stderr.on('error', () => {});
    sync.on('error', () => {});
    sync.on('data', (d: Buffer) => {
      syncBuf += d.toString('utf8');
      const nl = syncBuf.indexOf('\n');
      if (nl < 0) return;
      finish(...parseSyncMessage(syncBuf.slice(0, nl)));
    });
    sync.on('end', () => {
      if (syncBuf.trim() !== '') return finish(...parseSyncMessage(syncBuf));
      // No message at all: conmon failed before runc ran. Its reason is on
      // stderr, which closes once every conmon process let go of it.
      const report = () => {
        const detail = errText.trim() || (parentExit ? `conmon exited with status ${parentExit}` : 'conmon exited without reporting the container');
        finish(internal(`OCI runtime create failed: ${detail}`));
      };
      if (stderr.readableEnded || stderr.destroyed) report();
      else stderr.once('close', report);
    });
  });
}

function parseSyncMessage(line: string): [BerthError | null, number?] {
  let msg: { pid?: number; data?: number; message?: string };
  try {
    msg = JSON.parse(line) as typeof msg;
  } catch {
    return [internal(`conmon sent an unreadable sync message: ${line.slice(0, 200)}`)];
  }
  const pid = msg.pid ?? msg.data ?? -1;
  if (pid > 0) return [null, pid];
  return [createError(runtimeErrorText(msg.message ?? '') || 'unknown error')];
}

/**
 * Docker's wording and codes: a command that cannot be found or executed is
 * the user's mistake (400); anything else is the runtime's fault (500).
 */
export function createError(runtimeMsg: string): BerthError {
  const text = `OCI runtime create failed: ${runtimeMsg}`;
  if (/executable file not found|no such file or directory|permission denied|not a directory/i.test(runtimeMsg)) return invalid(text);
  return internal(text);
}

function killConmon(pidFile: string): void {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    if (pid > 1) process.kill(pid, 'SIGKILL');
  } catch {}
}
