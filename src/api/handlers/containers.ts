// Container lifecycle and listing endpoints. Each decodes its parameters,
// calls the container service once, and encodes docker's answer.

import type { Ctx } from '../context.ts';
import type { ContainerFilters } from '../../core/container.ts';
import { wrap } from '../../core/errors.ts';
import { checkFilterKeys, parseFilters, singleValue } from '../filters.ts';
import { boolParam, intParam, readJson, sendJson, sendJsonText, sendStatus, uint32Param } from '../http.ts';
import { summaryJson, toInspect } from '../shapes/containers.ts';
import { decodeCreateRequest } from '../shapes/create.ts';
import { versionAtLeast } from '../version.ts';
import { invalid } from '../../core/errors.ts';
import { parseUntil } from '../time.ts';

export async function create(ctx: Ctx): Promise<void> {
  const body = await readJson(ctx.req);
  const req = decodeCreateRequest(body, ctx.query.get('name'), ctx.version);
  const { id, warnings } = await ctx.deps.containers.create(req);
  sendJson(ctx.res, 201, { Id: id, Warnings: warnings });
}

export async function start(ctx: Ctx): Promise<void> {
  // dockerd refuses a start with a HostConfig body (removed in API 1.24).
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (length > 7 || ctx.req.headers['transfer-encoding'] === 'chunked') {
    throw invalid('starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24');
  }
  await ctx.deps.containers.start(ctx.params.id!);
  sendStatus(ctx.res, 204);
}

function stopOptions(ctx: Ctx): { timeout?: number; signal?: string } {
  const opts: { timeout?: number; signal?: string } = {};
  const t = intParam(ctx.query, 't');
  if (t !== undefined) opts.timeout = t;
  const signal = ctx.query.get('signal');
  if (signal && versionAtLeast(ctx.version, '1.42')) opts.signal = signal;
  return opts;
}

export async function stop(ctx: Ctx): Promise<void> {
  await ctx.deps.containers.stop(ctx.params.id!, stopOptions(ctx));
  sendStatus(ctx.res, 204);
}

export async function restart(ctx: Ctx): Promise<void> {
  await ctx.deps.containers.restart(ctx.params.id!, stopOptions(ctx));
  sendStatus(ctx.res, 204);
}

export async function kill(ctx: Ctx): Promise<void> {
  const id = ctx.params.id!;
  try {
    await ctx.deps.containers.kill(id, ctx.query.get('signal') || undefined);
  } catch (err) {
    // dockerd wraps what the backend says ("Cannot kill container: NAME: ..."), but not a signal name its router refused.
    const msg = err instanceof Error ? err.message : '';
    if (msg.startsWith('Invalid signal: ') || msg.startsWith('Cannot kill container: ')) throw err;
    throw wrap(err, `Cannot kill container: ${id}`);
  }
  sendStatus(ctx.res, 204);
}

export async function remove(ctx: Ctx): Promise<void> {
  await ctx.deps.containers.remove(ctx.params.id!, { force: boolParam(ctx.query, 'force'), volumes: boolParam(ctx.query, 'v') });
  sendStatus(ctx.res, 204);
}

/** POST /containers/prune?filters= (until, label, label!) */
export async function prune(ctx: Ctx): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  checkFilterKeys(f, ['until', 'label', 'label!']);
  const until = f.get('until') ?? [];
  if (until.length > 1) throw invalid('more than one until filter specified');
  const report = await ctx.deps.containers.prune({
    ...(until.length ? { until: parseUntil(until[0]!) } : {}),
    ...(f.get('label')?.length ? { labels: f.get('label')! } : {}),
    ...(f.get('label!')?.length ? { labelsNot: f.get('label!')! } : {}),
  });
  sendJson(ctx.res, 200, { ContainersDeleted: report.deleted.length ? report.deleted : null, SpaceReclaimed: report.spaceReclaimed });
}

const LIST_FILTERS = ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'volume', 'health'];
const LIST_FILTERS_LATER = ['network', 'publish', 'expose', 'isolation', 'is-task'];

function listFilters(raw: string | null): ContainerFilters {
  const f = parseFilters(raw);
  checkFilterKeys(f, LIST_FILTERS, LIST_FILTERS_LATER);
  const out: ContainerFilters = {};
  for (const key of ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'volume', 'health'] as const) {
    const v = f.get(key);
    if (v) out[key] = v;
  }
  const before = singleValue(f, 'before');
  if (before) out.before = before;
  const since = singleValue(f, 'since');
  if (since) out.since = since;
  return out;
}

export async function list(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const limit = intParam(q, 'limit');
  const views = await ctx.deps.containers.list({
    all: boolParam(q, 'all'),
    size: boolParam(q, 'size'),
    ...(limit !== undefined ? { limit } : {}),
    filters: listFilters(q.get('filters')),
  });
  const now = Date.now();
  sendJsonText(ctx.res, 200, `[${views.map((v) => summaryJson(v, ctx.version, now)).join(',')}]`);
}

export async function inspect(ctx: Ctx): Promise<void> {
  const size = boolParam(ctx.query, 'size');
  const view = await ctx.deps.containers.inspect(ctx.params.id!, { size });
  sendJson(ctx.res, 200, toInspect(view, size, ctx.version, ctx.deps.execs.execIds(view.id)));
}

export async function resize(ctx: Ctx): Promise<void> {
  const height = uint32Param(ctx.query, 'h', 'height');
  const width = uint32Param(ctx.query, 'w', 'width');
  await ctx.deps.containers.resize(ctx.params.id!, { height, width });
  sendStatus(ctx.res, 200);
}

export async function exportFs(ctx: Ctx): Promise<void> {
  const tar = await ctx.deps.containers.export(ctx.params.id!);
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await new Promise<void>((resolve) => {
    const stream = tar as NodeJS.ReadableStream & { destroy?: (err?: Error) => void };
    const stop = () => { stream.destroy?.(); resolve(); };
    ctx.signal.addEventListener('abort', stop, { once: true });
    stream.on('error', (err: Error) => {
      ctx.deps.logger.warn('container export failed mid-stream', { id: ctx.params.id, err: err.message });
      // The status line is gone: cutting the connection is how the client learns the tar is incomplete.
      ctx.res.destroy(err);
      resolve();
    });
    stream.on('end', () => { ctx.signal.removeEventListener('abort', stop); ctx.res.end(); resolve(); });
    stream.pipe(ctx.res, { end: false });
  });
}
