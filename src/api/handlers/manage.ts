// pause, unpause, rename and update of a container.

import type { Ctx } from '../context.ts';
import type { RestartPolicy, UpdateRequest } from '../../core/container.ts';
import { invalid } from '../../core/errors.ts';
import { readJson, sendJson, sendStatus } from '../http.ts';

export async function pause(ctx: Ctx): Promise<void> {
  await ctx.deps.containers.pause(ctx.params.id!);
  sendStatus(ctx.res, 204);
}

export async function unpause(ctx: Ctx): Promise<void> {
  await ctx.deps.containers.unpause(ctx.params.id!);
  sendStatus(ctx.res, 204);
}

export async function rename(ctx: Ctx): Promise<void> {
  await ctx.deps.containers.rename(ctx.params.id!, ctx.query.get('name') ?? '');
  sendStatus(ctx.res, 204);
}

// Resources of the update body that dockerd's update does not change either (it ignores them): refused by name when set.
const UNSUPPORTED = ['BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps',
  'KernelMemoryTCP', 'CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth',
  'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'Ulimits'];

function isSet(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== undefined && v !== null && v !== 0 && v !== '' && v !== false;
}

function optNumber(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`invalid ${key}: ${JSON.stringify(v)} is not a number`);
  return v;
}

export function decodeUpdate(raw: unknown): UpdateRequest {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) throw invalid('update body must be a JSON object');
  const body = (raw ?? {}) as Record<string, unknown>;
  const req: UpdateRequest = {};
  const memory = optNumber(body, 'Memory');
  if (memory) req.memory = memory;
  const swap = optNumber(body, 'MemorySwap');
  if (swap) req.memorySwap = swap;
  const cpus = optNumber(body, 'NanoCpus') ?? optNumber(body, 'NanoCPUs');
  if (cpus) req.nanoCpus = cpus;
  const shares = optNumber(body, 'CpuShares');
  if (shares) req.cpuShares = shares;
  for (const [key, field] of [['MemoryReservation', 'memoryReservation'], ['KernelMemory', 'kernelMemory'], ['CpuPeriod', 'cpuPeriod'],
    ['CpuQuota', 'cpuQuota'], ['CpuRealtimePeriod', 'cpuRealtimePeriod'], ['CpuRealtimeRuntime', 'cpuRealtimeRuntime'], ['BlkioWeight', 'blkioWeight']] as const) {
    const v = optNumber(body, key);
    if (v) req[field] = v;
  }
  for (const [key, field] of [['CpusetCpus', 'cpusetCpus'], ['CpusetMems', 'cpusetMems']] as const) {
    const v = body[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw invalid(`invalid ${key}: ${JSON.stringify(v)} is not a string`);
    req[field] = v;
  }
  const pids = optNumber(body, 'PidsLimit');
  if (pids !== undefined) req.pidsLimit = pids;
  const rp = body.RestartPolicy as { Name?: unknown; MaximumRetryCount?: unknown } | undefined | null;
  if (rp && typeof rp === 'object' && typeof rp.Name === 'string' && rp.Name !== '') {
    req.restartPolicy = { name: rp.Name as RestartPolicy['name'], maximumRetryCount: Number(rp.MaximumRetryCount ?? 0) };
  }
  const unsupported = UNSUPPORTED.filter((k) => isSet(body[k]));
  if (unsupported.length) req.unsupported = unsupported;
  return req;
}

export async function update(ctx: Ctx): Promise<void> {
  const req = decodeUpdate(await readJson(ctx.req));
  const { warnings } = await ctx.deps.containers.update(ctx.params.id!, req);
  // dockerd answers null, not [], when there is nothing to warn about.
  sendJson(ctx.res, 200, { Warnings: warnings.length > 0 ? warnings : null });
}
