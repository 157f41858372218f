// docker save (GET /images/get, GET /images/{name}/get) and docker load
// (POST /images/load). A save resolves every name and checks every blob
// before the 200; a load reads and checks the whole archive before it
// answers, so a bad archive is a 400 naming the problem (dockerd answers
// 200 and puts the error in the stream), and only unpacking happens while
// the progress stream runs.

import type { Ctx } from '../context.ts';
import { unavailable } from '../../core/errors.ts';
import { boolParam } from '../http.ts';
import { streaming } from './distribution.ts';

function archives(ctx: Ctx) {
  const a = ctx.deps.archives;
  if (!a) throw unavailable('this daemon cannot save or load images');
  return a;
}

async function sendTar(ctx: Ctx, names: string[]): Promise<void> {
  const stream = await archives(ctx).save(names);
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await new Promise<void>((resolve) => {
    const stop = () => { stream.destroy(); resolve(); };
    ctx.signal.addEventListener('abort', stop, { once: true });
    stream.on('error', (err: Error) => {
      ctx.deps.logger.warn('image save failed mid-stream', { names, err: err.message });
      // The status line is gone: cutting the connection tells the client the archive is incomplete.
      ctx.res.destroy(err);
      resolve();
    });
    stream.on('end', () => { ctx.signal.removeEventListener('abort', stop); ctx.res.end(); resolve(); });
    stream.pipe(ctx.res, { end: false });
  });
}

/** GET /images/get?names=a&names=b */
export async function saveMany(ctx: Ctx): Promise<void> {
  await sendTar(ctx, ctx.query.getAll('names').filter((n) => n !== ''));
}

/** GET /images/{name}/get */
export async function saveOne(ctx: Ctx): Promise<void> {
  await sendTar(ctx, [ctx.params.name!]);
}

/** POST /images/load?quiet= (dockerd's default is quiet). */
export async function load(ctx: Ctx): Promise<void> {
  const quiet = ctx.query.has('quiet') ? boolParam(ctx.query, 'quiet') : true;
  const prepared = await archives(ctx).read(ctx.req);
  if (ctx.signal.aborted) { await prepared.abandon(); return; }
  await streaming(ctx, (sink) => prepared.apply(sink, quiet));
}
