// /containers/{id}/top and /containers/{id}/stats.

import type { Ctx } from '../context.ts';
import { boolParam, sendJson, startStream, writeChunk } from '../http.ts';
import { toDockerStats, toDockerTop } from '../shapes/stats.ts';

export async function top(ctx: Ctx): Promise<void> {
  const result = await ctx.deps.containers.top(ctx.params.id!, ctx.query.get('ps_args') ?? '');
  sendJson(ctx.res, 200, toDockerTop(result));
}

export async function stats(ctx: Ctx): Promise<void> {
  // stream defaults to true; one-shot only means something without streaming.
  const stream = ctx.query.has('stream') ? boolParam(ctx.query, 'stream') : true;
  const oneShot = !stream && boolParam(ctx.query, 'one-shot');
  const samples = ctx.deps.containers.stats(ctx.params.id!, { stream, oneShot }, ctx.signal)[Symbol.asyncIterator]();
  // The first sample before the headers: an unknown container is still a 404.
  const first = await samples.next();
  if (!stream) {
    sendJson(ctx.res, 200, first.done ? {} : toDockerStats(first.value));
    return;
  }
  startStream(ctx.res, 'application/json');
  try {
    for (let r = first; !r.done; r = await samples.next()) {
      await writeChunk(ctx.res, JSON.stringify(toDockerStats(r.value)) + '\n');
      if (ctx.res.destroyed) break;
    }
  } finally {
    await samples.return?.();
  }
  ctx.res.end();
}
