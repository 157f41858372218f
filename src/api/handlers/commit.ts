// POST /commit and GET /containers/{id}/changes.

import type { Ctx } from '../context.ts';
import { invalid, unavailable } from '../../core/errors.ts';
import { readJson, sendJson } from '../http.ts';

function commits(ctx: Ctx) {
  if (!ctx.deps.commits) throw unavailable('commit is not available in this daemon');
  return ctx.deps.commits;
}

export async function commit(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const container = q.get('container') ?? '';
  if (!container) throw invalid('No container name or ID supplied');
  await readJson(ctx.req); // the optional Config body: accepted (docker sends null), its fields come from --change
  const pause = q.get('pause');
  const image = await commits(ctx).commit(container, {
    repo: q.get('repo') ?? '',
    tag: q.get('tag') ?? '',
    comment: q.get('comment') ?? '',
    author: q.get('author') ?? '',
    pause: pause === null || pause === '' ? true : !(pause === '0' || pause.toLowerCase() === 'false'),
    changes: q.getAll('changes').filter((c) => c !== ''),
  });
  sendJson(ctx.res, 201, { Id: image.id });
}

export async function changes(ctx: Ctx): Promise<void> {
  const list = await commits(ctx).changes(ctx.params.id!);
  // dockerd answers null, not [], for a container that changed nothing.
  sendJson(ctx.res, 200, list.length ? list.map((c) => ({ Path: c.path, Kind: c.kind })) : null);
}
