// GET /containers/{id}/attach/ws: attach over a websocket, as dockerd
// serves it. The container must exist before the handshake (a 404 is an
// ordinary answer); then output goes out as one message per chunk, never
// multiplexed (the streams are not told apart), as binary messages from
// API 1.28 and text before; messages in are the container's stdin. Before
// API 1.42 dockerd ignores the stdin/stdout/stderr parameters and attaches
// all three. Detach keys work on a TTY, like the hijacked attach.

import { WebSocketServer, type WebSocket } from 'ws';
import type { AttachOptions, AttachOutput } from '../../core/container.ts';
import { invalid } from '../../core/errors.ts';
import type { HijackCtx } from '../context.ts';
import { EscapeScanner, parseDetachKeys } from '../detach.ts';
import { boolParam } from '../http.ts';
import { versionAtLeast } from '../version.ts';

// One server for every attach: it only performs handshakes (noServer).
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

export async function attachWs(ctx: HijackCtx): Promise<void> {
  const q = ctx.query;
  const id = ctx.params.id!;
  const view = await ctx.deps.containers.inspect(id);
  const all = !versionAtLeast(ctx.version, '1.42');
  const opts: AttachOptions = {
    stdin: all || boolParam(q, 'stdin'),
    stdout: all || boolParam(q, 'stdout'),
    stderr: all || boolParam(q, 'stderr'),
    stream: boolParam(q, 'stream'),
    logs: boolParam(q, 'logs'),
  };
  const keys = parseDetachKeys(q.get('detachKeys') || ctx.deps.detachKeys || null);
  if (!ctx.upgrade || String(ctx.req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    throw invalid('websocket: the client is not using the websocket protocol');
  }
  const { socket, head } = ctx.upgrade;
  // A handshake ws refuses is answered (400) and the socket closed, without the callback.
  const ws = await new Promise<WebSocket | null>((resolve) => {
    socket.once('close', () => resolve(null));
    wss.handleUpgrade(ctx.req, socket, head, resolve);
  });
  if (!ws) return;
  const binary = versionAtLeast(ctx.version, '1.28');
  const { tty, openStdin, stdinOnce } = view.config;

  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  ws.on('error', () => {});
  // Messages may come before the session exists: they wait for it.
  const early: Buffer[] = [];
  let onInput: ((chunk: Buffer) => void) | null = null;
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (onInput) onInput(chunk);
    else early.push(chunk);
  });
  let ended = false;
  const out: AttachOutput = {
    data(_stream, chunk) {
      if (ws.readyState === ws.OPEN) ws.send(chunk, { binary });
    },
    end() {
      ended = true;
      if (ws.readyState === ws.OPEN) ws.close(1000);
    },
  };
  const handle = await ctx.deps.containers.attach(id, opts, out);
  if (ended) {
    await closed;
    return;
  }

  const takesInput = opts.stdin && openStdin;
  const scanner = tty && takesInput ? new EscapeScanner(keys) : null;
  let detached = false;
  const detach = () => {
    if (detached) return;
    detached = true;
    handle.detach();
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  onInput = (chunk: Buffer) => {
    if (!takesInput || detached) return;
    try {
      if (!scanner) return handle.write(chunk);
      const { forward, detach: hit } = scanner.push(chunk);
      if (forward.length) handle.write(forward);
      if (hit) detach();
    } catch (err) {
      ctx.deps.logger.warn('websocket attach failed', { id, err: err instanceof Error ? err.message : String(err) });
      detach();
    }
  };
  for (const chunk of early.splice(0)) onInput(chunk);
  await closed;
  if (detached || ended) return;
  // The client went away: its stdin ends with it (StdinOnce closes the container's), the container runs on.
  if (takesInput && stdinOnce && !tty) handle.closeStdin();
  detached = true;
  handle.detach();
}
