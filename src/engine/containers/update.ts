// `docker update`: memory (limit, swap, reservation, kernel), CPU (shares,
// --cpus, CFS period and quota, real-time period and runtime, cpusets),
// block I/O weight, pids and the restart policy of a container, live
// through the runtime (`runc update`/`crun update`) when it runs, and in its
// record (so inspect shows them and the next start uses them) in every
// state. dockerd's order: the values themselves are checked first (as at
// create, 400), then against what the container has (its conflicting
// update options, 409), then the runtime is asked; a runtime that refuses a
// value leaves the record as it was.

import { availableParallelism } from 'node:os';
import { UPDATABLE_RESOURCES, type ContainerRecord, type ContainerResources, type HostConfig, type UpdateRequest } from '../../core/container.ts';
import type { ResourceUpdate } from '../../core/runtime.ts';
import { BerthError, conflict, invalid } from '../../core/errors.ts';
import { detectCgroups } from '../../runtime/cgroups.ts';
import { hostLimits } from '../../runtime/rlimits.ts';
import { hostFacts, validateResources, type HostFacts } from '../../runtime/resources.ts';
import type { LifecycleDeps } from './pause.ts';

const CPU_PERIOD = 100_000;
const RESTART_NAMES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);
const MIN_MEMORY = 6 * 1024 * 1024;

/** The resource values of an update, as ContainerResources (the ones set: 0 and "" leave a value as it is). */
function updateResources(u: UpdateRequest): ContainerResources {
  const r: Record<string, unknown> = {};
  for (const k of UPDATABLE_RESOURCES) if (u[k]) r[k] = u[k];
  return r as ContainerResources;
}

/** dockerd's checks of the values given (verifyContainerSettings with update=true); returns its warnings, and drops what the host cannot apply from `r`. */
function checkValues(rec: ContainerRecord, u: UpdateRequest, r: ContainerResources, host: HostFacts): string[] {
  if (u.unsupported?.length) throw invalid(`updating ${u.unsupported.join(', ')} is not supported: docker update changes memory, CPU, block I/O weight, pids and the restart policy`);
  if (u.memory !== undefined && u.memory !== 0 && u.memory < MIN_MEMORY) throw invalid('Minimum memory limit allowed is 6MB');
  if (u.nanoCpus !== undefined && u.nanoCpus !== 0) {
    const ncpu = availableParallelism();
    if (u.nanoCpus < 1e7 || u.nanoCpus > ncpu * 1e9) {
      throw invalid(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
    }
  }
  if (u.cpuShares !== undefined && u.cpuShares < 0) throw invalid(`invalid CPU shares: ${u.cpuShares} (must be 0 or more)`);
  const rp = u.restartPolicy;
  if (rp) {
    if (!RESTART_NAMES.has(rp.name)) throw invalid(`invalid restart policy '${rp.name}'`);
    if (rp.maximumRetryCount < 0) throw invalid('invalid restart policy: maximum retry count must be a positive integer');
    if (rp.maximumRetryCount > 0 && rp.name !== 'on-failure') throw invalid(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  // The same checks as at create, on the values of this update alone (a pseudo HostConfig holding only them).
  const probe: HostConfig = { ...rec.hostConfig, memory: u.memory ?? 0, nanoCpus: u.nanoCpus ?? 0, resources: r };
  return validateResources(probe, host, { update: true });
}

/** The swap the container has: docker's default, twice the memory, on a record made before berth kept it. */
function currentSwap(hc: HostConfig): number {
  return hc.resources?.memorySwap ?? (hc.memory > 0 ? 2 * hc.memory : 0);
}

/** dockerd's Container.UpdateContainer checks: this update against what the container already has (409s). */
function checkConflicts(rec: ContainerRecord, u: UpdateRequest, r: ContainerResources): void {
  const hc = rec.hostConfig;
  const cur = hc.resources ?? {};
  const nano = u.nanoCpus ?? 0;
  if (nano > 0 && (cur.cpuPeriod ?? 0) > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (nano > 0 && (cur.cpuQuota ?? 0) > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if ((r.cpuPeriod ?? 0) > 0 && hc.nanoCpus > 0) throw conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if ((r.cpuQuota ?? 0) > 0 && hc.nanoCpus > 0) throw conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  // dockerd compares with the swap as stored, -1 (unlimited) and 0 (no limit) included: both make a new memory limit ask for a swap too.
  if (u.memory && u.memory > currentSwap(hc) && !r.memorySwap) {
    throw conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  }
  if (u.restartPolicy && u.restartPolicy.name !== '' && u.restartPolicy.name !== 'no' && hc.autoRemove) {
    throw conflict('Restart policy cannot be updated because AutoRemove is enabled for the container');
  }
}

/** What the runtime is asked to change on a live container: the values given, with docker's derived ones. */
function runtimeChanges(u: UpdateRequest, r: ContainerResources, merged: HostConfig, host: HostFacts): ResourceUpdate {
  const c: ResourceUpdate = {};
  if (u.memory || r.memorySwap) {
    if (merged.memory > 0) c.memory = merged.memory;
    // A swap without a memory limit goes to the runtime as it is, as dockerd sends it (the kernel refuses it).
    if (host.swapAccounting) c.memorySwap = merged.memory > 0 ? currentSwap(merged) : r.memorySwap;
  }
  if (r.memoryReservation) c.memoryReservation = r.memoryReservation;
  if (r.kernelMemory && host.kernelMemory) c.kernelMemory = r.kernelMemory;
  if (u.cpuShares) c.cpuShares = u.cpuShares;
  if (u.nanoCpus) {
    c.cpuPeriod = CPU_PERIOD;
    c.cpuQuota = Math.round((u.nanoCpus * CPU_PERIOD) / 1e9);
  }
  if (r.cpuPeriod) c.cpuPeriod = r.cpuPeriod;
  if (r.cpuQuota) c.cpuQuota = r.cpuQuota;
  if (r.cpuRealtimePeriod) c.cpuRealtimePeriod = r.cpuRealtimePeriod;
  if (r.cpuRealtimeRuntime) c.cpuRealtimeRuntime = r.cpuRealtimeRuntime;
  if (r.cpusetCpus) c.cpusetCpus = r.cpusetCpus;
  if (r.cpusetMems) c.cpusetMems = r.cpusetMems;
  if (r.blkioWeight) c.blkioWeight = r.blkioWeight;
  if (u.pidsLimit !== undefined) c.pidsLimit = u.pidsLimit > 0 ? u.pidsLimit : -1;
  return c;
}

/** The record's HostConfig with the update in it (a value of 0 or "" leaves the old one, as in dockerd). */
function merge(hc: HostConfig, u: UpdateRequest, r: ContainerResources): HostConfig {
  const out: HostConfig = { ...hc, resources: { ...hc.resources } };
  if (u.memory) out.memory = u.memory;
  if (u.cpuShares) out.cpuShares = u.cpuShares;
  if (u.nanoCpus) out.nanoCpus = u.nanoCpus;
  if (u.pidsLimit !== undefined) out.pidsLimit = u.pidsLimit > 0 ? u.pidsLimit : 0;
  if (u.restartPolicy && u.restartPolicy.name !== '') out.restartPolicy = { ...u.restartPolicy };
  Object.assign(out.resources!, r);
  // A record from before berth kept docker's default swap: it is written down now that the memory may change.
  if (out.memory > 0 && out.resources!.memorySwap === undefined) out.resources!.memorySwap = currentSwap(hc) || 2 * out.memory;
  return out;
}

export async function updateContainer(d: LifecycleDeps, ref: string, u: UpdateRequest): Promise<{ warnings: string[] }> {
  const { id } = d.containers.resolve(ref);
  const host = hostFacts(hostLimits(), detectCgroups());
  let warnings: string[] = [];
  const rec = await d.mutex.run(id, async () => {
    const rec = d.containers.resolve(id);
    const r = updateResources(u);
    warnings = checkValues(rec, u, r, host);
    try {
      checkConflicts(rec, u, r);
    } catch (err) {
      throw new BerthError((err as BerthError).code, `Cannot update container ${rec.id}: ${(err as Error).message}`);
    }
    const merged = merge(rec.hostConfig, u, r);
    const live = rec.state.status === 'running' || rec.state.status === 'paused';
    const changes = runtimeChanges(u, r, merged, host);
    if (live && Object.keys(changes).length > 0) {
      if (!d.runtime.update) throw invalid(`Cannot update container ${rec.id}: the runtime cannot update a running container`);
      try {
        await d.runtime.update(rec.id, changes);
      } catch (err) {
        const msg = err instanceof Error ? err.message.replace(/^updating container \S+: /, '') : String(err);
        throw new BerthError(err instanceof BerthError && err.code !== 'internal' ? err.code : 'invalid_argument', `Cannot update container ${rec.id}: ${msg}`);
      }
    }
    rec.hostConfig = merged;
    d.containers.put(rec);
    return rec;
  });
  d.events.emit('container', 'update', rec.id, d.attrs(rec));
  return { warnings };
}
