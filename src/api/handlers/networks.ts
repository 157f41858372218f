// /networks endpoints: decode, call the network service once, encode.

import type { Ctx } from '../context.ts';
import type { NetworkFilters, NetworkService } from '../../core/network.ts';
import { invalid, notFound } from '../../core/errors.ts';
import { checkFilterKeys, parseFilters } from '../filters.ts';
import { readJson, sendJson, sendStatus } from '../http.ts';
import { decodeEndpointConfig, decodeNetworkCreate, toDockerNetwork } from '../shapes/networks.ts';
import { JsonFields } from '../shapes/json-fields.ts';

/**
 * The network service, once live restore is over: until then endpoints of
 * containers that died while the daemon was down are still listed, and a
 * connect or rm would race their release.
 */
async function svc(ctx: Ctx): Promise<NetworkService> {
  if (!ctx.deps.networks) throw notFound('page not found');
  await ctx.deps.containers.restored;
  return ctx.deps.networks;
}

function filters(ctx: Ctx, keys: readonly string[]): NetworkFilters & { until?: string[] } {
  const f = parseFilters(ctx.query.get('filters'));
  checkFilterKeys(f, keys);
  return Object.fromEntries(f) as NetworkFilters;
}

export async function list(ctx: Ctx): Promise<void> {
  const nets = (await svc(ctx)).list(filters(ctx, ['name', 'id', 'driver', 'label', 'type', 'scope', 'dangling']));
  sendJson(ctx.res, 200, nets.map((n) => toDockerNetwork(n, false)));
}

export async function inspect(ctx: Ctx): Promise<void> {
  const scope = ctx.query.get('scope');
  const n = (await svc(ctx)).inspect(ctx.params.id!);
  if (scope && scope !== 'local') throw notFound(`network ${ctx.params.id} not found`);
  sendJson(ctx.res, 200, toDockerNetwork(n, true));
}

export async function create(ctx: Ctx): Promise<void> {
  const req = decodeNetworkCreate(await readJson(ctx.req));
  const { id, warning } = await (await svc(ctx)).create(req);
  sendJson(ctx.res, 201, { Id: id, Warning: warning });
}

export async function remove(ctx: Ctx): Promise<void> {
  await (await svc(ctx)).remove(ctx.params.id!);
  sendStatus(ctx.res, 204);
}

export async function prune(ctx: Ctx): Promise<void> {
  const gone = await (await svc(ctx)).prune(filters(ctx, ['until', 'label', 'label!']));
  sendJson(ctx.res, 200, { NetworksDeleted: gone });
}

function body(raw: unknown): JsonFields {
  if (raw === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('invalid JSON: the request body must be a JSON object');
  return new JsonFields(raw as Record<string, unknown>, '');
}

export async function connect(ctx: Ctx): Promise<void> {
  const b = body(await readJson(ctx.req));
  const container = b.str('Container');
  if (!container) throw invalid('no container specified: the body needs a Container');
  await (await svc(ctx)).connect(ctx.params.id!, container, decodeEndpointConfig(b.obj('EndpointConfig')));
  sendStatus(ctx.res, 200);
}

export async function disconnect(ctx: Ctx): Promise<void> {
  const b = body(await readJson(ctx.req));
  const container = b.str('Container');
  if (!container) throw invalid('no container specified: the body needs a Container');
  await (await svc(ctx)).disconnect(ctx.params.id!, container, b.bool('Force') ?? false);
  sendStatus(ctx.res, 200);
}

