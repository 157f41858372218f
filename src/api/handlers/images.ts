// Image endpoints. {name} may hold slashes and a registry port
// ("localhost:5000/a/b:t"); the router hands it over whole.

import type { Ctx } from '../context.ts';
import type { ImageFilters } from '../../core/image.ts';
import { invalid } from '../../core/errors.ts';
import { checkFilterKeys, parseFilters, singleValue } from '../filters.ts';
import { boolParam, sendJson, sendStatus } from '../http.ts';
import { toHistory, toImageInspect, toImageSummary, toRemoved } from '../shapes/images.ts';
import { versionBelow } from '../version.ts';
import { parseUntil } from '../time.ts';
import { pull } from './distribution.ts';

function listFilters(ctx: Ctx): ImageFilters {
  const f = parseFilters(ctx.query.get('filters'));
  // API < 1.25 clients send the reference glob as `filter`.
  const legacy = ctx.query.get('filter');
  if (legacy && versionBelow(ctx.version, '1.25') && !f.has('reference')) f.set('reference', [legacy]);
  checkFilterKeys(f, ['reference', 'dangling', 'label', 'before', 'since'], ['until']);
  const out: ImageFilters = {};
  const reference = f.get('reference');
  if (reference) out.reference = reference;
  const label = f.get('label');
  if (label) out.label = label;
  const dangling = singleValue(f, 'dangling');
  if (dangling !== undefined) {
    const v = dangling.toLowerCase();
    if (v !== 'true' && v !== 'false' && v !== '1' && v !== '0') throw invalid(`invalid filter 'dangling=${dangling}'`);
    out.dangling = v === 'true' || v === '1';
  }
  const before = singleValue(f, 'before');
  if (before) out.before = before;
  const since = singleValue(f, 'since');
  if (since) out.since = since;
  return out;
}

export async function list(ctx: Ctx): Promise<void> {
  const images = await ctx.deps.images.list({ all: boolParam(ctx.query, 'all'), filters: listFilters(ctx) });
  sendJson(ctx.res, 200, images.map((img) => toImageSummary(img, ctx.version)));
}

export async function inspect(ctx: Ctx): Promise<void> {
  const img = await ctx.deps.images.resolve(ctx.params.name!);
  sendJson(ctx.res, 200, toImageInspect(img, ctx.version, ctx.deps.images.snapshotter.name));
}

export async function history(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, toHistory(await ctx.deps.images.history(ctx.params.name!)));
}

export async function tag(ctx: Ctx): Promise<void> {
  const repo = ctx.query.get('repo') ?? '';
  if (!repo) throw invalid('repository name must have at least one component');
  await ctx.deps.images.tag(ctx.params.name!, repo, ctx.query.get('tag') || undefined);
  sendStatus(ctx.res, 201);
}

export async function remove(ctx: Ctx): Promise<void> {
  const removed = await ctx.deps.images.remove(ctx.params.name!, {
    force: boolParam(ctx.query, 'force'),
    noprune: boolParam(ctx.query, 'noprune'),
  });
  sendJson(ctx.res, 200, toRemoved(removed));
}

/** POST /images/prune?filters= (dangling, until, label, label!) */
export async function prune(ctx: Ctx): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  checkFilterKeys(f, ['dangling', 'until', 'label', 'label!']);
  let danglingOnly = true;
  for (const v of f.get('dangling') ?? []) {
    const d = v.toLowerCase();
    if (d === 'false' || d === '0') danglingOnly = false;
    else if (d !== 'true' && d !== '1') throw invalid(`invalid filter 'dangling=${v}'`);
  }
  const until = singleValue(f, 'until');
  const report = await ctx.deps.images.prune({
    danglingOnly,
    ...(until ? { until: parseUntil(until) } : {}),
    ...(f.get('label')?.length ? { labels: f.get('label')! } : {}),
    ...(f.get('label!')?.length ? { labelsNot: f.get('label!')! } : {}),
  });
  sendJson(ctx.res, 200, { ImagesDeleted: report.deleted.length ? toRemoved(report.deleted) : null, SpaceReclaimed: report.spaceReclaimed });
}

/** "repo" + "tag" as one reference; a "tag" that is a digest (tags hold no ':') makes "repo@digest". */
function joinReference(repo: string, tag: string): string {
  if (!tag) return repo;
  return tag.includes(':') ? `${repo}@${tag}` : `${repo}:${tag}`;
}

/**
 * POST /images/create: `fromSrc` imports the request body as a one-layer
 * image; `fromImage` pulls (distribution.ts). Import answers
 * with docker's JSON progress stream, whose last line carries the image ID
 * (`docker import` prints it).
 */
export async function create(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const fromImage = q.get('fromImage');
  if (fromImage) return pull(ctx, fromImage.replace(/:$/, ''), q.get('tag') ?? '');

  const src = q.get('fromSrc') ?? '';
  if (src !== '-') {
    throw invalid(src ? `importing from a URL (${src}) is not supported by berth yet: send the archive as the request body with fromSrc=-`
      : 'fromImage or fromSrc must be given');
  }
  const repo = q.get('repo') ?? '';
  const reference = repo ? joinReference(repo, q.get('tag') ?? '') : '';
  const img = await ctx.deps.images.import(ctx.req, {
    ...(reference ? { reference } : {}),
    changes: q.getAll('changes').filter((c) => c !== ''),
    message: q.get('message') || `Imported from ${src}`,
    ...(q.get('platform') ? { platform: q.get('platform')! } : {}),
  });
  // dockerd's stream formatter ends each JSON line with CRLF.
  const line = JSON.stringify({ status: img.id }) + '\r\n';
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(line) });
  ctx.res.end(line);
}
