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
// and in the failure case exits, closing the pipe.
//
// conmon reads runc's stderr only after `runc create` has exited, and only
// once (8 KiB). An error longer than the pipe's 64 KiB (runc quotes the
// command it could not find, so a 70,000-character entrypoint is enough)
// blocks runc in write() while conmon blocks in waitpid(), for ever; one
// longer than 8 KiB arrives cut, as unparseable JSON. So runc also gets
// --log <file>: its JSON log lines, whose "msg" is the text Docker shows
// (runc create failed: unable to start container process: exec:
// "nosuchcmd": executable file not found in $PATH). runc writes its fatal
// error there before it writes it to stderr, so the file is watched: an
// error in it that conmon has not reported within STUCK_GRACE_MS is that
// deadlock, and the create fails at once with the file's text (the caller
// then kills runc and conmon). On any failure the file's text is preferred
// to conmon's (possibly cut) copy of stderr.
// conmon never writes to the pipe again for a container (only for exec),
// so berthd closing its end, or dying, cannot hurt the running conmon.

import fs from 'node:fs';
import { BerthError, internal, invalid, unavailable } from '../core/errors.ts';
import { spawnDetached, type SpawnedProcess } from '../sys/spawn.ts';
import { runtimeErrorText } from './runc.ts';

export interface LaunchOptions {
  conmonPath: string;
  args: string[];
  cwd: string;
  /** runc's --log file: where the reason of a failed create is. */
  runtimeLog: string;
  timeoutMs?: number;
  /** Aborting gives up on the create (the caller then removes what it left). */
  signal?: AbortSignal;
}

/** runc create takes ~60-100 ms here; seconds under heavy load. Far beyond that, it is stuck. */
export const DEFAULT_CREATE_TIMEOUT_MS = 20_000;
/** How long the error of a runtime may be; longer quoted values are cut (the user sent them, they know them). */
const MAX_QUOTED = 200;
const LOG_POLL_MS = 100;
const STUCK_GRACE_MS = 1_000;

/** Spawns conmon detached and resolves with the container's pid once runc create succeeded. */
export function launchConmon(opts: LaunchOptions): Promise<{ pid: number }> {
  return new Promise((resolve, reject) => {
    let child: SpawnedProcess;
    try {
      // posix_spawn, not child_process: no fork of the daemon (sys/spawn.ts).
      child = spawnDetached(opts.conmonPath, opts.args, {
        cwd: opts.cwd,
        env: { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3' },
        pipes: { 2: 'from-child', 3: 'from-child' },
      });
    } catch (err) {
      reject(internal(`starting conmon (${opts.conmonPath}): ${(err as Error).message}`, err));
      return;
    }
    const sync = child.pipes.get(3)!;
    const stderr = child.pipes.get(2)!;
    let syncBuf = '';
    let errText = '';
    let parentExit: number | null = null;
    let settled = false;

    const finish = (err: BerthError | null, pid?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(logWatch);
      opts.signal?.removeEventListener('abort', onAbort);
      sync.destroy();
      stderr.destroy();
      if (err) reject(err);
      else resolve({ pid: pid as number });
    };

    // Giving up waits for conmon's first process, which writes the pid file
    // of the monitor it forks: once it is gone the caller can find and kill
    // everything the create left (see conmon-purge.ts).
    let parentGone = false;
    const parentExited = child.exited.then((code) => { parentGone = true; parentExit = code; });
    const giveUp = (err: BerthError) => {
      if (settled) return;
      if (!parentGone) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
      void Promise.race([parentExited, new Promise((r) => setTimeout(r, 2_000))]).then(() => finish(err));
    };
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CREATE_TIMEOUT_MS;
    const timer = setTimeout(() => giveUp(unavailable(`OCI runtime create timed out after ${timeoutMs / 1000}s (runtime-create-timeout)`)), timeoutMs);
    const onAbort = () => giveUp(abortError(opts.signal?.reason));
    let errorSeenAt = 0;
    const logWatch = setInterval(() => {
      const text = runtimeFailure(opts.runtimeLog);
      if (!text) return;
      errorSeenAt ||= Date.now();
      if (Date.now() - errorSeenAt >= STUCK_GRACE_MS) giveUp(createError(text));
    }, LOG_POLL_MS);
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    stderr.setEncoding('utf8');
    stderr.on('data', (d: string) => { if (errText.length < 65536) errText += d; });
    stderr.on('error', () => {});
    sync.on('error', () => {});
    sync.on('data', (d: Buffer) => {
      syncBuf += d.toString('utf8');
      const nl = syncBuf.indexOf('\n');
      if (nl < 0) return;
      finish(...parseSyncMessage(syncBuf.slice(0, nl), opts.runtimeLog));
    });
    sync.on('end', () => {
      if (syncBuf.trim() !== '') return finish(...parseSyncMessage(syncBuf, opts.runtimeLog));
      // No message: runc failed and said why in its log file (conmon had
      // nothing on runc's stderr to pass on), or conmon failed before runc
      // ran, and its reason is on stderr, which closes once every conmon
      // process let go of it.
      const report = () => {
        const runtimeText = runtimeFailure(opts.runtimeLog);
        if (runtimeText) return finish(createError(runtimeText));
        const detail = errText.trim() || (parentExit ? `conmon exited with status ${parentExit}` : 'conmon exited without reporting the container');
        finish(internal(`OCI runtime create failed: ${detail}`));
      };
      if (stderr.readableEnded || stderr.destroyed) report();
      else stderr.once('close', report);
    });
  });
}

function parseSyncMessage(line: string, runtimeLog: string): [BerthError | null, number?] {
  let msg: { pid?: number; data?: number; message?: string };
  try {
    msg = JSON.parse(line) as typeof msg;
  } catch {
    return [internal(`conmon sent an unreadable sync message: ${line.slice(0, 200)}`)];
  }
  const pid = msg.pid ?? msg.data ?? -1;
  if (pid > 0) return [null, pid];
  return [createError(runtimeFailure(runtimeLog) || runtimeErrorText(msg.message ?? '') || 'unknown error')];
}

/** The error-level lines of runc's log file; '' while there are none. */
function runtimeFailure(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  if (!/"level":"(error|fatal)"/.test(text)) return '';
  return runtimeErrorText(text);
}

function abortError(reason: unknown): BerthError {
  if (reason instanceof BerthError) return reason;
  return unavailable(`OCI runtime create cancelled${reason instanceof Error ? `: ${reason.message}` : ''}`);
}

/**
 * Cuts values longer than MAX_QUOTED characters (quoted ones, then any other
 * run without spaces), saying how long they were: the user sent them.
 */
export function shortenQuoted(text: string): string {
  const cut = (inner: string) => `${inner.slice(0, MAX_QUOTED)}... (${inner.length} characters)`;
  return text.replace(/"((?:[^"\\]|\\.){201,})"|[^\s"]{201,}?(?=:?(?:\s|"|$))/g, (m, inner?: string) => (inner === undefined ? cut(m) : `"${cut(inner)}"`));
}

/**
 * Docker's wording and codes: a command that cannot be found or executed is
 * the user's mistake (400); anything else is the runtime's fault (500).
 */
export function createError(runtimeMsg: string): BerthError {
  const text = `OCI runtime create failed: ${shortenQuoted(runtimeMsg)}`;
  if (/executable file not found|no such file or directory|permission denied|not a directory|file name too long/i.test(runtimeMsg)) return invalid(text);
  return internal(text);
}
