// /_ping, /version, /info and /events.

import type { Ctx } from '../context.ts';
import { invalid, unavailable } from '../../core/errors.ts';
import type { EngineEvent } from '../../core/events.ts';
import { checkFilterKeys, parseFilters } from '../filters.ts';
import { boolParam, sendJson, startStream, writeChunk } from '../http.ts';
import { EVENT_FILTERS, eventMatches, toDockerEvent } from '../shapes/events.ts';
import { toInfo, toVersion } from '../shapes/system.ts';
import { diskUsageKinds, toDiskUsage } from '../shapes/disk-usage.ts';
import { parseTimestamp } from '../time.ts';
import { versionBelow } from '../version.ts';

export async function ping(ctx: Ctx): Promise<void> {
  const { res } = ctx;
  res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
  res.setHeader('Pragma', 'no-cache');
  // berth builds with the classic builder only.
  res.setHeader('Builder-Version', '1');
  res.setHeader('Swarm', 'inactive');
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': ctx.req.method === 'HEAD' ? '0' : '2' });
  res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
}

export async function version(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, toVersion(ctx.deps.system.version()));
}

/** GET /system/df?type=...&verbose= (shapes/disk-usage.ts has the per-version shapes). */
export async function diskUsage(ctx: Ctx): Promise<void> {
  if (!ctx.deps.diskUsage) throw unavailable('disk usage is not available in this daemon');
  const kinds = diskUsageKinds(ctx.query.getAll('type'), ctx.version);
  const verbose = boolParam(ctx.query, 'verbose');
  sendJson(ctx.res, 200, toDiskUsage(await ctx.deps.diskUsage.usage(kinds), ctx.version, verbose));
}

// Open /events streams per server (keyed by its deps), for /info's NEventsListener.
const listeners = new WeakMap<object, number>();
const addListener = (deps: object, n: number) => listeners.set(deps, (listeners.get(deps) ?? 0) + n);

export async function info(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, toInfo(await ctx.deps.system.info(), ctx.version, listeners.get(ctx.deps) ?? 0));
}

/**
 * Streams events as JSON lines: the past ones since `since` first, then live
 * ones, until `until` passes or the client leaves. An `until` already past
 * ends the stream after the replay.
 */
export async function events(ctx: Ctx): Promise<void> {
  const since = parseTimestamp('since', ctx.query.get('since'));
  const until = parseTimestamp('until', ctx.query.get('until'));
  if (since && until && until.nanos < since.nanos) {
    throw invalid(`\`since\` time (${ctx.query.get('since')}) cannot be after \`until\` time (${ctx.query.get('until')})`);
  }
  const filters = parseFilters(ctx.query.get('filters'));
  checkFilterKeys(filters, EVENT_FILTERS, ['plugin', 'node', 'service', 'secret', 'config']);

  startStream(ctx.res, versionBelow(ctx.version, '1.52') ? 'application/json' : 'application/jsonl');

  let writing = Promise.resolve();
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  const onEvent = (e: EngineEvent) => {
    // Both bounds are inclusive, as in dockerd.
    const t = BigInt(Math.round(e.timeNano));
    if ((since && t < since.nanos) || (until && t > until.nanos) || !eventMatches(filters, e)) return;
    const line = JSON.stringify(toDockerEvent(e, ctx.version)) + '\n';
    writing = writing.then(() => writeChunk(ctx.res, line));
  };

  addListener(ctx.deps, 1);
  // The event source replays the backlog synchronously inside subscribe().
  const unsubscribe = ctx.deps.events.subscribe(onEvent, since ? { since: Math.floor(since.seconds) } : {});
  let timer: NodeJS.Timeout | undefined;
  try {
    if (until) {
      const wait = until.date.getTime() - Date.now();
      if (wait <= 0) finish();
      else timer = setTimeout(finish, wait);
    }
    ctx.signal.addEventListener('abort', finish, { once: true });
    if (ctx.signal.aborted) finish();
    await done;
  } finally {
    addListener(ctx.deps, -1);
    unsubscribe();
    if (timer) clearTimeout(timer);
    ctx.signal.removeEventListener('abort', finish);
  }
  await writing;
  ctx.res.end();
}
