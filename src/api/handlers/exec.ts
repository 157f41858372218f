// The exec endpoints: POST /containers/{id}/exec, POST /exec/{id}/start
// (hijacked like attach), POST /exec/{id}/resize, GET /exec/{id}/json.
//
// Start, as dockerd serves it: the body ({"Detach", "Tty", "ConsoleSize"})
// is read first, then the session must exist (404 before anything is
// written). Detached, the answer is an empty 200 once the process runs,
// and a failure is an ordinary error answer. Attached, the connection is
// taken over at once ("101 UPGRADED", or a 200 whose body is the stream),
// and a process that cannot start has its error written into the stream
// on stdout, followed by "\r\n"; the client then reads ExitCode 126 from
// inspect. The stream is framed unless the start asked for a TTY; the
// docker CLI inspects the session as soon as the stream ends, so the
// engine ends it only after the exit code is recorded.

import type { Duplex } from 'node:stream';
import type { AttachOutput } from '../../core/container.ts';
import { invalid } from '../../core/errors.ts';
import type { ExecSession } from '../../core/exec.ts';
import type { Ctx, HijackCtx } from '../context.ts';
import { EscapeScanner, parseDetachKeys } from '../detach.ts';
import { httpError } from '../errors.ts';
import { readJson, sendJson, sendStatus, uint32Param } from '../http.ts';
import { parseExact } from '../json-body.ts';
import { decodeExecConfig, decodeExecStart, toExecInspect } from '../shapes/exec.ts';
import { frame, MEDIA_MULTIPLEXED, MEDIA_RAW, STDOUT, streamId } from '../stdcopy.ts';
import { versionAtLeast } from '../version.ts';
import { ResponseLink, UpgradedLink, type StreamLink } from './attach-link.ts';

export async function create(ctx: Ctx): Promise<void> {
  const config = decodeExecConfig(await readJson(ctx.req), ctx.version);
  const { id } = await ctx.deps.execs.create(ctx.params.id!, config);
  sendJson(ctx.res, 201, { Id: id });
}

export async function inspect(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, toExecInspect(ctx.deps.execs.inspect(ctx.params.id!)));
}

export async function resize(ctx: Ctx): Promise<void> {
  const height = uint32Param(ctx.query, 'h', 'height');
  const width = uint32Param(ctx.query, 'w', 'width');
  await ctx.deps.execs.resize(ctx.params.id!, { height, width });
  sendStatus(ctx.res, 200);
}

export async function start(ctx: HijackCtx): Promise<void> {
  const { body, rest } = await readStartBody(ctx);
  const req = decodeExecStart(body, ctx.version);
  const id = ctx.params.id!;
  const view = ctx.deps.execs.inspect(id);

  if (req.detach) {
    await ctx.deps.execs.start(id, { detach: true, consoleSize: req.consoleSize });
    if (ctx.upgrade) endRaw(ctx.upgrade.socket, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    else sendStatus(ctx.res!, 200);
    return;
  }

  const link: StreamLink = ctx.upgrade ? new UpgradedLink(ctx.upgrade.socket, rest) : new ResponseLink(ctx.res!, ctx.req);
  const mux = !req.tty;
  link.open(ctx.upgrade && mux && versionAtLeast(ctx.version, '1.42') ? MEDIA_MULTIPLEXED : MEDIA_RAW);
  const out: AttachOutput = {
    data: (stream, chunk) => link.write(mux ? frame(streamId(stream), chunk) : chunk),
    end: () => link.end(),
  };

  // Input may arrive before the process runs: it waits here until then.
  let session: ExecSession | null = null;
  const pending: Buffer[] = [];
  let inputEnded = false;
  let gone = false;
  const scanner = view.tty && view.openStdin ? new EscapeScanner(parseDetachKeys(view.detachKeys || ctx.deps.detachKeys || null)) : null;
  const deliver = (s: ExecSession) => {
    for (const chunk of pending.splice(0)) s.write(chunk);
    if (inputEnded) s.closeStdin();
  };
  const detach = () => {
    gone = true;
    session?.detach();
    link.end();
  };
  const guard = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      ctx.deps.logger.warn('exec session failed', { id, err: err instanceof Error ? err.message : String(err) });
      detach();
    }
  };
  link.onInput(guard((chunk: Buffer) => {
    if (!view.openStdin || gone) return;
    let forward = chunk;
    if (scanner) {
      const r = scanner.push(chunk);
      forward = r.forward;
      if (r.detach) {
        if (forward.length) pending.push(forward);
        if (session) deliver(session);
        return detach();
      }
    }
    if (forward.length === 0) return;
    pending.push(forward);
    if (session) deliver(session);
  }));
  link.onInputEnd(guard(() => {
    if (!view.openStdin) return;
    inputEnded = true;
    if (session) deliver(session);
  }));
  // The client went away: output stops, the process runs on.
  link.onClose(guard(() => {
    gone = true;
    session?.detach();
  }));

  try {
    session = await ctx.deps.execs.start(id, { detach: false, consoleSize: req.consoleSize }, out);
  } catch (err) {
    const text = Buffer.from(`${httpError(err).message}\r\n`);
    link.write(mux ? frame(STDOUT, text) : text);
    link.end();
    await link.closed;
    return;
  }
  if (gone) session.detach();
  else deliver(session);
  await link.closed;
}

const MAX_START_BODY = 64 * 1024;

/**
 * The start body. On a taken-over connection Node has not read it: it is
 * Content-Length bytes at the front of the raw stream, and what follows is
 * the client's stdin.
 */
async function readStartBody(ctx: HijackCtx): Promise<{ body: unknown; rest: Buffer }> {
  if (!ctx.upgrade) return { body: await readJson(ctx.req), rest: Buffer.alloc(0) };
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length < 0 || length > MAX_START_BODY) throw invalid(`invalid Content-Length for an exec start: ${ctx.req.headers['content-length']}`);
  const all = await takeBytes(ctx.upgrade.socket, ctx.upgrade.head, length);
  return { body: parseBody(all.subarray(0, length).toString('utf8')), rest: all.subarray(length) };
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parseExact(text);
  } catch (err) {
    throw invalid(`invalid JSON: ${(err as Error).message}`);
  }
}

/** At least `n` bytes: `head` and then the socket's data; the socket is left paused. */
function takeBytes(socket: Duplex, head: Buffer, n: number): Promise<Buffer> {
  if (head.length >= n) return Promise.resolve(head);
  return new Promise((resolve, reject) => {
    const parts = [head];
    let have = head.length;
    const done = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
    };
    const onData = (d: Buffer) => {
      parts.push(d);
      have += d.length;
      if (have < n) return;
      done();
      resolve(Buffer.concat(parts));
    };
    const onEnd = () => {
      done();
      reject(invalid('got EOF while reading request body'));
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}

function endRaw(socket: Duplex, text: string): void {
  if (socket.destroyed || socket.writableEnded) return;
  socket.end(text, () => socket.destroy());
}
