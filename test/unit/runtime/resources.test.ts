import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostConfig } from '../../../src/core/container.ts';
import { parseList, rlimitsFor, specResources, validateResources, type HostFacts } from '../../../src/runtime/resources.ts';
import type { CgroupInfo } from '../../../src/runtime/cgroups.ts';

const host: HostFacts = {
  cpus: [0, 1], mems: [0], limits: { RLIMIT_NOFILE: { soft: 1024, hard: 20000 } }, kernelMemory: false, swapAccounting: true, blkioWeight: false,
};
const v1: CgroupInfo = { version: '1', hybrid: true, unifiedMount: '/sys/fs/cgroup/unified', swapAccounting: true };

function hc(over: Partial<HostConfig> = {}): HostConfig {
  return {
    autoRemove: false, networkMode: 'default', runtime: 'runc', restartPolicy: { name: '', maximumRetryCount: 0 },
    privileged: false, readonlyRootfs: false, capAdd: [], capDrop: [], extraHosts: [], dns: [], dnsSearch: [],
    dnsOptions: [], binds: [], shmSize: 0, memory: 0, nanoCpus: 0, cpuShares: 0, pidsLimit: 0, init: false,
    securityOpt: [], ...over,
  };
}

test('cpu and memory-node lists parse like the kernel writes them', () => {
  assert.deepEqual(parseList('0-2,5'), [0, 1, 2, 5]);
  assert.deepEqual(parseList('3'), [3]);
  assert.equal(parseList('2-1'), null);
  assert.equal(parseList('a'), null);
});

test('create-time checks name the bad value with dockerd\'s message', () => {
  const bad: Array<[Partial<HostConfig>, RegExp]> = [
    [{ resources: { memorySwap: 1 << 26 } }, /always set the Memory limit when using Memoryswap limit/],
    [{ memory: 1 << 26, resources: { memorySwap: 1 << 25 } }, /Minimum memoryswap limit should be larger than memory limit/],
    [{ resources: { memorySwappiness: 101 } }, /valid memory swappiness range is 0-100/],
    [{ resources: { memoryReservation: 1024 } }, /Minimum memory reservation allowed is 6MB/],
    [{ memory: 1 << 23, resources: { memoryReservation: 1 << 24 } }, /can not be less than memory reservation limit/],
    [{ resources: { oomScoreAdj: -1001 } }, /range for oom score adj is \[-1000, 1000\]/],
    [{ nanoCpus: 1e9, resources: { cpuPeriod: 50000 } }, /Nano CPUs and CPU Period cannot both be set/],
    [{ resources: { cpuQuota: 10 } }, /CPU cfs quota can not be less than 1ms/],
    [{ resources: { cpusetCpus: '0-3' } }, /Requested CPUs are not available - requested 0-3, available: 0-1/],
    [{ resources: { cpusetMems: '1' } }, /Requested memory nodes are not available/],
    [{ resources: { cpusetCpus: 'x' } }, /Invalid value x for cpuset cpus/],
    [{ resources: { ulimits: [{ name: 'nofile', soft: 30000, hard: 30000 }] } }, /above this host's hard limit for RLIMIT_NOFILE \(20000\)/],
    [{ resources: { ulimits: [{ name: 'bogus', soft: 1, hard: 1 }] } }, /invalid ulimit type: bogus/],
    [{ resources: { ulimits: [{ name: 'nproc', soft: 2, hard: 1 }] } }, /soft limit must be less than or equal to hard limit/],
    [{ resources: { sysctls: { 'kernel.hostname': 'x' } } }, /sysctl 'kernel.hostname' is not allowed/],
    [{ networkMode: 'host', resources: { sysctls: { 'net.ipv4.ip_forward': '1' } } }, /not allowed with --network=host/],
    [{ resources: { devices: [{ pathOnHost: '/nonexistent', pathInContainer: '', cgroupPermissions: '' }] } }, /custom device "\/nonexistent": no such file or directory/],
    [{ resources: { devices: [{ pathOnHost: '/dev/null', pathInContainer: '', cgroupPermissions: 'rx' }] } }, /invalid device mode: rx/],
    [{ resources: { deviceCgroupRules: ['c 1 rwm'] } }, /invalid device cgroup format 'c 1 rwm'/],
    [{ resources: { pidMode: 'bogus' } }, /invalid PID mode: bogus/],
    [{ resources: { cgroupnsMode: 'shared' } }, /invalid cgroup namespace mode: shared/],
    [{ resources: { isolation: 'hyperv' } }, /Invalid isolation: "hyperv" - linux only supports 'default'/],
  ];
  for (const [over, msg] of bad) assert.throws(() => validateResources(hc(over), host), msg, JSON.stringify(over));
  // Taken, with dockerd's warnings for what this host cannot apply.
  assert.deepEqual(validateResources(hc({ resources: { blkioWeight: 500, kernelMemory: 1 << 23 } }), host), [
    'Specifying a kernel memory limit is deprecated and will be removed in a future release.',
    'Your kernel does not support Kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.',
    'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
  ]);
  assert.deepEqual(validateResources(hc({ resources: { isolation: 'DEFAULT' } }), host), []);
  assert.deepEqual(validateResources(hc({ memory: 1 << 26, resources: { memorySwap: -1, cpusetCpus: '1', ulimits: [{ name: 'nofile', soft: 100, hard: 20000 }] } }), host), []);
});

test('linux.resources: memory, swap, cpu, cpuset, pids and device rules', () => {
  const { resources, devices } = specResources(hc({
    memory: 1 << 26, cpuShares: 512, pidsLimit: 9,
    resources: {
      memoryReservation: 1 << 25, memorySwappiness: 10, oomKillDisable: true, cpuPeriod: 50000, cpuQuota: 25000, cpusetCpus: '0',
      devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/mynull', cgroupPermissions: 'rw' }], deviceCgroupRules: ['c 42:* rmw'],
    },
  }), false, v1);
  assert.deepEqual(resources.memory, { limit: 1 << 26, swap: 1 << 27, reservation: 1 << 25, swappiness: 10, disableOOMKiller: true });
  assert.deepEqual(resources.cpu, { shares: 512, period: 50000, quota: 25000, cpus: '0' });
  assert.deepEqual(resources.pids, { limit: 9 });
  assert.deepEqual(resources.devices.slice(-2), [
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    { allow: true, type: 'c', major: 42, access: 'rmw' },
  ]);
  assert.equal(devices.length, 1);
  assert.deepEqual({ ...devices[0], fileMode: 0, uid: 0, gid: 0 }, { path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0, uid: 0, gid: 0 });
  assert.equal(specResources(hc({ memory: 1 << 26, resources: { memorySwap: -1 } }), false, v1).resources.memory.swap, -1);
});

test('ulimits become rlimits; unlimited is -1 in docker\'s syntax', () => {
  assert.deepEqual(rlimitsFor([{ name: 'nofile', soft: 10, hard: 20 }, { name: 'core', soft: -1, hard: -1 }], { RLIMIT_NOFILE: { soft: 1, hard: 100 } }), [
    { type: 'RLIMIT_NOFILE', soft: 10, hard: 20 },
    { type: 'RLIMIT_CORE', soft: Number.MAX_SAFE_INTEGER, hard: Number.MAX_SAFE_INTEGER },
  ]);
});

test('real-time CPU: refused where the host has no real-time group scheduling, runtime above period refused, both in the spec', () => {
  const rt = { cpuRealtimePeriod: 1_000_000, cpuRealtimeRuntime: 950_000 };
  assert.throws(() => validateResources(hc({ resources: { ...rt } }), host), /Your kernel does not support CPU real-time scheduler/);
  const rtHost: HostFacts = { ...host, cpuRealtime: true };
  assert.deepEqual(validateResources(hc({ resources: { ...rt } }), rtHost), []);
  assert.throws(() => validateResources(hc({ resources: { cpuRealtimePeriod: 500, cpuRealtimeRuntime: 1000 } }), rtHost),
    /cpu real-time runtime cannot be higher than cpu real-time period/);
  const cpu = specResources(hc({ resources: { ...rt } }), false, v1).resources.cpu;
  assert.deepEqual(cpu, { realtimePeriod: 1_000_000, realtimeRuntime: 950_000 });
});

test('swap: unlimited (-1) needs no memory limit; a positive one does at create, not in an update (the container has one)', () => {
  assert.deepEqual(validateResources(hc({ resources: { memorySwap: -1 } }), host), []);
  assert.throws(() => validateResources(hc({ resources: { memorySwap: 1 << 27 } }), host), /always set the Memory limit/);
  assert.deepEqual(validateResources(hc({ resources: { memorySwap: 1 << 27 } }), host, { update: true }), []);
});
