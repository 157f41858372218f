// /volumes endpoints: decode, call the volume service once, encode.

import type { Ctx } from '../context.ts';
import type { VolumeService } from '../../core/volume.ts';
import { notFound, unavailable } from '../../core/errors.ts';
import { boolParam, readJson, sendJson, sendStatus } from '../http.ts';
import { versionBelow } from '../version.ts';
import { decodePruneFilters, decodeVolumeCreate, decodeVolumeFilters, toDockerVolume } from '../shapes/volumes.ts';

function volumes(ctx: Ctx): VolumeService {
  if (!ctx.deps.volumes) throw unavailable('volumes are not available in this daemon');
  return ctx.deps.volumes;
}

export async function create(ctx: Ctx): Promise<void> {
  const req = decodeVolumeCreate(await readJson(ctx.req));
  const v = await volumes(ctx).create(req);
  sendJson(ctx.res, 201, toDockerVolume(v));
}

export async function list(ctx: Ctx): Promise<void> {
  const vols = volumes(ctx).list(decodeVolumeFilters(ctx.query.get('filters')));
  sendJson(ctx.res, 200, { Volumes: vols.map((v) => toDockerVolume(v)), Warnings: null });
}

export async function inspect(ctx: Ctx): Promise<void> {
  // `docker inspect NAME` tries volumes after containers and images: a daemon without them has no such volume.
  if (!ctx.deps.volumes) throw notFound(`get ${ctx.params.name}: no such volume`);
  sendJson(ctx.res, 200, toDockerVolume(volumes(ctx).inspect(ctx.params.name!)));
}

export async function remove(ctx: Ctx): Promise<void> {
  await volumes(ctx).remove(ctx.params.name!, { force: boolParam(ctx.query, 'force') });
  sendStatus(ctx.res, 204);
}

export async function prune(ctx: Ctx): Promise<void> {
  const opts = decodePruneFilters(ctx.query.get('filters'), versionBelow(ctx.version, '1.42'));
  const r = await volumes(ctx).prune(opts);
  sendJson(ctx.res, 200, { VolumesDeleted: r.deleted, SpaceReclaimed: r.reclaimed });
}
