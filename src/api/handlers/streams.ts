// The long-lived container answer: wait (headers now, body at the exit).

import type { Ctx } from '../context.ts';
import type { WaitCondition } from '../../core/container.ts';
import { invalid } from '../../core/errors.ts';
import { startStream } from '../http.ts';
import { versionBelow } from '../version.ts';

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

