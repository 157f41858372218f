// /containers/{id}/archive: `docker cp` both ways. HEAD and GET carry the
// path's stat in X-Docker-Container-Path-Stat (base64 JSON, mode as Go's
// os.FileMode bits); GET streams a tar; PUT unpacks the request body.

import type { Ctx } from '../context.ts';
import { boolParam, sendStatus } from '../http.ts';
import { encodePathStat } from '../shapes/archive.ts';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

export async function head(ctx: Ctx): Promise<void> {
  const stat = await ctx.deps.containers.statPath(ctx.params.id!, ctx.query.get('path') ?? '');
  ctx.res.setHeader(STAT_HEADER, encodePathStat(stat));
  sendStatus(ctx.res, 200);
}

export async function get(ctx: Ctx): Promise<void> {
  const { stat, tar } = await ctx.deps.containers.getArchive(ctx.params.id!, ctx.query.get('path') ?? '');
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar', [STAT_HEADER]: encodePathStat(stat) });
  await new Promise<void>((resolve) => {
    const stream = tar as NodeJS.ReadableStream & { destroy?: (err?: Error) => void };
    const stop = () => { stream.destroy?.(); resolve(); };
    ctx.signal.addEventListener('abort', stop, { once: true });
    stream.on('error', (err: Error) => {
      ctx.deps.logger.warn('container archive failed mid-stream', { id: ctx.params.id, err: err.message });
      // The status line is gone: cutting the connection tells the client the tar is incomplete.
      ctx.res.destroy(err);
      resolve();
    });
    stream.on('end', () => { ctx.signal.removeEventListener('abort', stop); ctx.res.end(); resolve(); });
    stream.pipe(ctx.res, { end: false });
  });
}

export async function put(ctx: Ctx): Promise<void> {
  await ctx.deps.containers.putArchive(ctx.params.id!, ctx.query.get('path') ?? '', ctx.req, {
    noOverwriteDirNonDir: boolParam(ctx.query, 'noOverwriteDirNonDir'),
    copyUIDGID: boolParam(ctx.query, 'copyUIDGID'),
  });
  sendStatus(ctx.res, 200);
}
