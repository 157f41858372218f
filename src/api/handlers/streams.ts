// The long-lived container answers: wait (headers now, body at the exit)
// and logs (docker's stream framing).

import type { Ctx } from '../context.ts';
import type { WaitCondition } from '../../core/container.ts';
import { invalid } from '../../core/errors.ts';
import { boolParam, startStream, writeChunk } from '../http.ts';
import { frame, MEDIA_MULTIPLEXED, MEDIA_RAW, streamId, SYSTEMERR } from '../stdcopy.ts';
import { fixedNanoTimestamp, parseTimestamp } from '../time.ts';
import { versionAtLeast, versionBelow } from '../version.ts';

const CONDITIONS: readonly WaitCondition[] = ['not-running', 'next-exit', 'removed'];

/**
 * POST /containers/{id}/wait. The docker CLI sends the wait before starting
 * the container and starts it only once the 200 arrives, so the headers go
 * out as soon as the wait is registered and the container is known to
 * exist; the body follows when the wait ends. A client that disconnects
 * aborts the wait.
 */
export async function wait(ctx: Ctx): Promise<void> {
  const legacy = versionBelow(ctx.version, '1.30');
  const raw = legacy ? '' : (ctx.query.get('condition') ?? '');
  const condition = (raw || 'not-running') as WaitCondition;
  if (!CONDITIONS.includes(condition)) throw invalid(`invalid condition: ${JSON.stringify(raw)}`);

  const id = ctx.params.id!;
  const cancel = new AbortController();
  const signal = AbortSignal.any([ctx.signal, cancel.signal]);
  // Registered first: an exit between here and the client's start must count.
  const waiting = ctx.deps.containers.wait(id, condition, signal);
  const settled = waiting.then((r) => ({ r }), (e: unknown) => ({ e }));
  try {
    // Unknown containers must get a 404, which is only possible before the 200.
    // Both promises exist before the race subscribes to them, and a service
    // that throws synchronously throws inside a promise: neither rejection
    // can go unhandled.
    const failed = settled.then((s) => { if ('e' in s) throw s.e; });
    const known = Promise.resolve().then(() => ctx.deps.containers.inspect(id));
    await Promise.race([failed, known]);
  } catch (err) {
    cancel.abort();
    throw err;
  }
  if (!legacy) startStream(ctx.res, 'application/json');
  const outcome = await settled;
  if (ctx.signal.aborted) return;
  let body: Record<string, unknown>;
  if ('e' in outcome) {
    if (legacy) throw outcome.e;
    body = { StatusCode: -1, Error: { Message: outcome.e instanceof Error ? outcome.e.message : String(outcome.e) } };
  } else {
    body = { StatusCode: outcome.r.statusCode, ...(outcome.r.error ? { Error: { Message: outcome.r.error } } : {}) };
  }
  const text = JSON.stringify(body) + '\n';
  if (legacy) ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  ctx.res.end(text);
}

/** docker's tail: "all" (or anything not a number, as dockerd treats it) means every line. */
function tailParam(raw: string | null): number | undefined {
  if (raw === null || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw);
}

/**
 * GET /containers/{id}/logs. Multiplexed frames when the container has no
 * TTY, the raw bytes when it has one. Errors after the 200 are written in
 * band, as dockerd does ("Error grabbing logs: ...", on the systemerr
 * stream when multiplexed).
 */
export async function logs(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const stdout = boolParam(q, 'stdout');
  const stderr = boolParam(q, 'stderr');
  if (!stdout && !stderr) throw invalid("must specify at least one of 'stdout' or 'stderr'");
  const since = parseTimestamp('since', q.get('since'));
  const untilRaw = q.get('until');
  const until = untilRaw === '0' ? undefined : parseTimestamp('until', untilRaw);
  const timestamps = boolParam(q, 'timestamps');
  const tail = tailParam(q.get('tail'));

  const { tty, entries } = await ctx.deps.containers.logs(ctx.params.id!, {
    stdout, stderr,
    follow: boolParam(q, 'follow'),
    ...(tail !== undefined ? { tail } : {}),
    ...(since ? { since: since.date } : {}),
    ...(until ? { until: until.date } : {}),
    signal: ctx.signal,
  });
  const mux = !tty;
  startStream(ctx.res, mux && versionAtLeast(ctx.version, '1.42') ? MEDIA_MULTIPLEXED : MEDIA_RAW);
  try {
    for await (const e of entries) {
      if (ctx.signal.aborted) break;
      const line = timestamps ? Buffer.concat([Buffer.from(fixedNanoTimestamp(e.timestamp, e.time) + ' '), e.data]) : e.data;
      await writeChunk(ctx.res, mux ? frame(streamId(e.stream), line) : line);
    }
  } catch (err) {
    if (!ctx.signal.aborted) {
      const text = Buffer.from(`Error grabbing logs: ${err instanceof Error ? err.message : String(err)}\n`);
      await writeChunk(ctx.res, mux ? frame(SYSTEMERR, text) : text);
    }
  }
  ctx.res.end();
}
