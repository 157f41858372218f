// POST /containers/{id}/attach: docker's hijacked connection.
//
// The docker CLI asks for `Connection: Upgrade, Upgrade: tcp`; once the
// container is known and the attach session exists, the answer is
// "HTTP/1.1 101 UPGRADED" and from then on the socket is a raw pipe: the
// container's output out (8-byte-framed when it has no TTY), the client's
// input in. A client that does not ask to upgrade gets an ordinary 200 with
// the same stream as its body, and its request body as input.
//
// Output the session delivers before the status line is written (a log
// replay, or output of a container that started meanwhile) is queued and
// sent right after it, so the client sees every byte in order.

import type { HijackCtx } from '../context.ts';
import type { AttachHandle, AttachOptions, AttachOutput } from '../../core/container.ts';
import { boolParam } from '../http.ts';
import { EscapeScanner, parseDetachKeys } from '../detach.ts';
import { frame, MEDIA_MULTIPLEXED, MEDIA_RAW, streamId } from '../stdcopy.ts';
import { versionAtLeast } from '../version.ts';
import { ResponseLink, UpgradedLink, type StreamLink } from './attach-link.ts';

export async function attach(ctx: HijackCtx): Promise<void> {
  const q = ctx.query;
  const opts: AttachOptions = {
    stdin: boolParam(q, 'stdin'),
    stdout: boolParam(q, 'stdout'),
    stderr: boolParam(q, 'stderr'),
    stream: boolParam(q, 'stream'),
    logs: boolParam(q, 'logs'),
  };
  const keys = parseDetachKeys(q.get('detachKeys') || ctx.deps.detachKeys || null);
  const id = ctx.params.id!;
  const view = await ctx.deps.containers.inspect(id);
  const { tty, openStdin, stdinOnce } = view.config;
  const mux = !tty;

  const link: StreamLink = ctx.upgrade
    ? new UpgradedLink(ctx.upgrade.socket, ctx.upgrade.head)
    : new ResponseLink(ctx.res!, ctx.req);
  const queued: Buffer[] = [];
  let open = false;
  let outputEnded = false;
  const out: AttachOutput = {
    data(stream, chunk) {
      const bytes = mux ? frame(streamId(stream), chunk) : chunk;
      if (open) link.write(bytes);
      else queued.push(bytes);
    },
    end() {
      outputEnded = true;
      if (open) link.end();
    },
  };

  // Errors up to here become an ordinary HTTP error answer (nothing is written yet).
  const handle = await ctx.deps.containers.attach(id, opts, out);

  const contentType = ctx.upgrade && mux && versionAtLeast(ctx.version, '1.42') ? MEDIA_MULTIPLEXED : MEDIA_RAW;
  link.open(contentType);
  open = true;
  for (const bytes of queued) link.write(bytes);
  queued.length = 0;
  if (outputEnded) {
    link.end();
    return;
  }

  // dockerd ignores input for a container without OpenStdin, and sees the
  // detach keys only on a TTY.
  const takesInput = opts.stdin && openStdin;
  const scanner = tty && takesInput ? new EscapeScanner(keys) : null;
  let detached = false;
  const detach = () => {
    if (detached || outputEnded) return;
    detached = true;
    handle.detach();
    link.end();
  };
  // These run from socket events: a throw there would take the daemon down.
  const guard = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      ctx.deps.logger.warn('attach session failed', { id, err: err instanceof Error ? err.message : String(err) });
      detach();
    }
  };
  link.onInput(guard((chunk: Buffer) => {
    if (!takesInput || detached) return;
    if (!scanner) return handle.write(chunk);
    const { forward, detach: hit } = scanner.push(chunk);
    if (forward.length) handle.write(forward);
    if (hit) detach();
  }));
  link.onInputEnd(guard(() => inputEnded(handle, takesInput, stdinOnce && !tty, detach)));
  // The client went away: stop delivering output to it; the container runs on.
  link.onClose(guard(() => {
    if (detached || outputEnded) return;
    detached = true;
    handle.detach();
  }));
  await link.closed;
}

/**
 * The client closed its input. With StdinOnce (docker run -i) that closes
 * the container's stdin and output keeps flowing until it exits; otherwise
 * dockerd ends the attach session.
 */
function inputEnded(handle: AttachHandle, takesInput: boolean, closesStdin: boolean, detach: () => void): void {
  if (!takesInput) return;
  if (closesStdin) handle.closeStdin();
  else detach();
}
