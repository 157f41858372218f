// `docker update` on the engine with the fake runtime: dockerd's order of
// checks (values 400, conflicts with what the container has 409, then the
// runtime), what reaches the runtime of a live container, and the record
// (inspect) in every state. The messages were checked against dockerd
// 20.10 on this kind of host (test/compat/pause-rename-update.test.ts
// drives both).

import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { isCode } from '../../../src/core/errors.ts';
import { EngineWorld, until } from '../../helpers/engine-fixture.ts';

let w: EngineWorld;
beforeEach(() => { w = new EngineWorld(); });
afterEach(async () => { await w.cleanup(); });

const MiB = 1024 * 1024;

async function running(hostConfig: Record<string, unknown> = {}): Promise<string> {
  const { id } = await w.engine.create({ config: { image: 'busybox', cmd: ['sleep', '1000'] }, hostConfig: hostConfig as never });
  await w.engine.start(id);
  await until(async () => (await w.engine.inspect(id)).state.status === 'running', 'the container to run');
  return id;
}

const hc = async (id: string) => (await w.engine.inspect(id)).hostConfig;

test('a memory limit keeps docker\'s default swap (twice as much); a new limit above it needs a swap too (409), with one it goes through', async () => {
  const id = await running({ memory: 64 * MiB });
  assert.equal((await hc(id)).resources?.memorySwap, 128 * MiB, 'the default swap is written down at create');
  await w.engine.update(id, { memory: 32 * MiB });
  assert.deepEqual(w.runtime.resources(id), { memory: 32 * MiB, memorySwap: 128 * MiB });
  await assert.rejects(w.engine.update(id, { memory: 200 * MiB }), (e) => isCode(e, 'conflict') &&
    /^Cannot update container [0-9a-f]{64}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time$/.test((e as Error).message));
  assert.equal((await hc(id)).memory, 32 * MiB, 'a refused update changes nothing');
  await w.engine.update(id, { memory: 200 * MiB, memorySwap: 400 * MiB });
  assert.deepEqual(w.runtime.resources(id), { memory: 200 * MiB, memorySwap: 400 * MiB });
  await w.engine.update(id, { memorySwap: -1 });
  const h = await hc(id);
  assert.deepEqual([h.memory, h.resources?.memorySwap], [200 * MiB, -1]);
  // No limit at all: dockerd's swap is 0, so a first limit needs a swap with it.
  const free = await running();
  await assert.rejects(w.engine.update(free, { memory: 64 * MiB }), (e) => isCode(e, 'conflict'));
  await w.engine.update(free, { memory: 64 * MiB, memorySwap: 128 * MiB });
  assert.deepEqual([(await hc(free)).memory, (await hc(free)).resources?.memorySwap], [64 * MiB, 128 * MiB]);
});

test('CPU: --cpus and a CFS period/quota exclude each other across updates (409); values checked first (400); cpusets and reservation reach the runtime', async () => {
  const nano = await running({ nanoCpus: 5e8 });
  await assert.rejects(w.engine.update(nano, { cpuPeriod: 50000 }), (e) => isCode(e, 'conflict') &&
    /Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set/.test((e as Error).message));
  const cfs = await running({ resources: { cpuPeriod: 50000, cpuQuota: 25000 } });
  await assert.rejects(w.engine.update(cfs, { nanoCpus: 1e9 }), /Nano CPUs cannot be updated as CPU Period has already been set/);
  await assert.rejects(w.engine.update(cfs, { cpuQuota: 500 }), (e) => isCode(e, 'invalid_argument') && /CPU cfs quota can not be less than 1ms/.test((e as Error).message));
  await assert.rejects(w.engine.update(cfs, { cpuPeriod: 100 }), /CPU cfs period can not be less than 1ms \(i.e. 1000\) or larger than 1s/);
  await assert.rejects(w.engine.update(cfs, { cpusetCpus: 'x' }), /Invalid value x for cpuset cpus: invalid format: x/);
  await assert.rejects(w.engine.update(cfs, { memoryReservation: MiB }), /Minimum memory reservation allowed is 6MB/);
  await w.engine.update(cfs, { cpuPeriod: 20000, cpuQuota: 10000, cpusetCpus: '0', memoryReservation: 16 * MiB, cpuShares: 512, pidsLimit: 20 });
  assert.deepEqual(w.runtime.resources(cfs), { cpuPeriod: 20000, cpuQuota: 10000, cpusetCpus: '0', memoryReservation: 16 * MiB, cpuShares: 512, pidsLimit: 20 });
  const h = await hc(cfs);
  assert.deepEqual([h.resources?.cpuPeriod, h.resources?.cpuQuota, h.resources?.cpusetCpus, h.resources?.memoryReservation, h.cpuShares, h.pidsLimit],
    [20000, 10000, '0', 16 * MiB, 512, 20]);
  await w.engine.update(nano, { nanoCpus: 1e9 });
  assert.deepEqual(w.runtime.resources(nano), { cpuPeriod: 100000, cpuQuota: 100000 });
});

test('a stopped container: the record changes, the runtime is not asked; a runtime\'s refusal leaves the record as it was', async () => {
  const { id } = await w.engine.create({ config: { image: 'busybox', cmd: ['true'] }, hostConfig: { memory: 32 * MiB } as never });
  await w.engine.update(id, { memory: 16 * MiB, cpusetMems: '0' });
  assert.equal(w.runtime.calls.filter((c) => c.startsWith('update')).length, 0);
  assert.deepEqual([(await hc(id)).memory, (await hc(id)).resources?.cpusetMems], [16 * MiB, '0']);
  const live = await running({ memory: 32 * MiB });
  w.runtime.update = async () => { throw new Error('updating container x: failed to write "1": invalid argument'); };
  await assert.rejects(w.engine.update(live, { cpuShares: 3 }), (e) => /^Cannot update container [0-9a-f]{64}: failed to write "1": invalid argument$/.test((e as Error).message));
  assert.equal((await hc(live)).cpuShares, 0);
});
