// `docker update`: memory, CPU, pids and the restart policy of a container,
// live through the runtime (`runc update`) when it runs, and in its record
// (so inspect shows them and the next start uses them) in every state.
// Docker's checks and messages come first; a runtime that refuses a value
// leaves the record as it was.

import { availableParallelism } from 'node:os';
import type { ContainerRecord, UpdateRequest } from '../../core/container.ts';
import type { ResourceUpdate } from '../../core/runtime.ts';
import { BerthError, invalid } from '../../core/errors.ts';
import { detectCgroups } from '../../runtime/cgroups.ts';
import type { LifecycleDeps } from './pause.ts';

const CPU_PERIOD = 100_000;
const RESTART_NAMES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

function validate(rec: ContainerRecord, u: UpdateRequest): void {
  if (u.unsupported?.length) throw invalid(`updating ${u.unsupported.join(', ')} is not supported by berth`);
  if (u.memory !== undefined && u.memory !== 0 && u.memory < 6 * 1024 * 1024) throw invalid('Minimum memory limit allowed is 6MB');
  if (u.memorySwap !== undefined && u.memorySwap !== 0) throw invalid('updating MemorySwap is not supported by berth (swap follows the memory limit: twice as much)');
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
    if (rec.hostConfig.autoRemove && rp.name !== '' && rp.name !== 'no') {
      throw invalid(`Cannot update container ${rec.id}: Restart policy cannot be updated because AutoRemove is enabled for the container`);
    }
  }
}

function runtimeChanges(u: UpdateRequest): ResourceUpdate {
  const r: ResourceUpdate = {};
  if (u.memory) {
    r.memory = u.memory;
    if (detectCgroups().swapAccounting) r.memorySwap = 2 * u.memory;
  }
  if (u.cpuShares) r.cpuShares = u.cpuShares;
  if (u.nanoCpus) {
    r.cpuPeriod = CPU_PERIOD;
    r.cpuQuota = Math.round((u.nanoCpus * CPU_PERIOD) / 1e9);
  }
  if (u.pidsLimit !== undefined) r.pidsLimit = u.pidsLimit > 0 ? u.pidsLimit : -1;
  return r;
}

export async function updateContainer(d: LifecycleDeps, ref: string, u: UpdateRequest): Promise<{ warnings: string[] }> {
  const { id } = d.containers.resolve(ref);
  const rec = await d.mutex.run(id, async () => {
    const rec = d.containers.resolve(id);
    validate(rec, u);
    const live = rec.state.status === 'running' || rec.state.status === 'paused';
    const changes = runtimeChanges(u);
    if (live && Object.keys(changes).length > 0) {
      if (!d.runtime.update) throw invalid(`Cannot update container ${rec.id}: the runtime cannot update a running container`);
      try {
        await d.runtime.update(rec.id, changes);
      } catch (err) {
        const msg = err instanceof Error ? err.message.replace(/^updating container \S+: /, '') : String(err);
        throw new BerthError(err instanceof BerthError && err.code !== 'internal' ? err.code : 'invalid_argument', `Cannot update container ${rec.id}: ${msg}`);
      }
    }
    const hc = rec.hostConfig;
    if (u.memory) hc.memory = u.memory;
    if (u.cpuShares) hc.cpuShares = u.cpuShares;
    if (u.nanoCpus) hc.nanoCpus = u.nanoCpus;
    if (u.pidsLimit !== undefined) hc.pidsLimit = u.pidsLimit > 0 ? u.pidsLimit : 0;
    if (u.restartPolicy && u.restartPolicy.name !== '') hc.restartPolicy = { ...u.restartPolicy };
    d.containers.put(rec);
    return rec;
  });
  d.events.emit('container', 'update', rec.id, d.attrs(rec));
  return { warnings: [] };
}
