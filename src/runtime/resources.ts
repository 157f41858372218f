// docker's resource options -> the OCI spec's linux.resources, rlimits,
// sysctls and device nodes, and the create-time checks that make sure a
// start never refuses what create accepted (dockerd's
// verifyPlatformContainerResources, with its messages).
//
//   const warnings = validateResources(hostConfig, hostFacts());   // at create: throws a 400 naming the value
//   spec.linux.resources = specResources(hostConfig, privileged, cgroups);  // at start

import fs from 'node:fs';
import os from 'node:os';
import { invalid } from '../core/errors.ts';
import type { ContainerResources, HostConfig, Ulimit } from '../core/container.ts';
import type { CgroupInfo } from './cgroups.ts';
import { DEFAULT_DEVICE_RULES, PRIVILEGED_DEVICE_RULES, type DeviceCgroupRule, type LinuxDevice } from './devices.ts';
import type { HostLimits, Rlimit } from './rlimits.ts';

const MiB = 1024 * 1024;
const CPU_PERIOD = 100_000;

/** What the host offers, injectable for tests. */
export interface HostFacts {
  cpus: number[];
  mems: number[];
  limits: HostLimits;
  /** cgroup v1 memory.kmem.* present. */
  kernelMemory: boolean;
  swapAccounting: boolean;
  /** The blkio controller offers per-cgroup weights (cgroup v1 blkio.weight, v2 io.weight). */
  blkioWeight: boolean;
  /** Real-time group scheduling (cgroup v1 cpu.rt_runtime_us; v2 has none). */
  cpuRealtime?: boolean;
}

// ---- create-time checks ------------------------------------------------

/**
 * Throws a 400 naming the first bad value; returns dockerd's warnings for
 * options it accepts but cannot apply (and drops those from hc.resources).
 * `update`: the values of a `docker update` alone, as dockerd checks them.
 */
export function validateResources(hc: HostConfig, host: HostFacts, opts: { update?: boolean } = {}): string[] {
  const r = hc.resources ?? {};
  const warnings: string[] = [];
  const memory = hc.memory ?? 0;
  if (r.memorySwap !== undefined && r.memorySwap !== 0) {
    // An update may set the swap alone: the memory limit is the container's own (checked against it there).
    if (memory === 0 && r.memorySwap > 0 && !opts.update) throw invalid('You should always set the Memory limit when using Memoryswap limit, see usage');
    if (r.memorySwap > 0 && r.memorySwap < memory) throw invalid('Minimum memoryswap limit should be larger than memory limit, see usage');
    if (!host.swapAccounting) warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
  }
  if (r.memorySwappiness !== undefined && (r.memorySwappiness < 0 || r.memorySwappiness > 100)) {
    throw invalid(`Invalid value: ${r.memorySwappiness}, valid memory swappiness range is 0-100`);
  }
  if (r.memoryReservation !== undefined) {
    if (r.memoryReservation < 6 * MiB) throw invalid('Minimum memory reservation allowed is 6MB');
    if (memory > 0 && memory < r.memoryReservation) throw invalid('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (r.kernelMemory !== undefined && r.kernelMemory > 0) {
    // dockerd 20.10: kmem.limit_in_bytes is deprecated since Linux 5.4 (and gone on cgroup v2).
    warnings.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
    if (!host.kernelMemory) {
      warnings.push('Your kernel does not support Kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
      delete r.kernelMemory;
    } else if (r.kernelMemory < 4 * MiB) {
      throw invalid('Minimum kernel memory limit allowed is 4MB');
    }
  }
  if (r.oomKillDisable && memory === 0) warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  if (r.oomScoreAdj !== undefined && (r.oomScoreAdj < -1000 || r.oomScoreAdj > 1000)) {
    throw invalid(`Invalid value ${r.oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  if (hc.nanoCpus > 0 && r.cpuPeriod) throw invalid('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (hc.nanoCpus > 0 && r.cpuQuota) throw invalid('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (r.cpuPeriod !== undefined && (r.cpuPeriod < 1000 || r.cpuPeriod > 1_000_000)) {
    throw invalid('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (r.cpuQuota !== undefined && r.cpuQuota > 0 && r.cpuQuota < 1000) throw invalid('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((r.cpuRealtimePeriod || r.cpuRealtimeRuntime) && !host.cpuRealtime) throw invalid('Your kernel does not support CPU real-time scheduler');
  if (r.cpuRealtimePeriod && r.cpuRealtimeRuntime && r.cpuRealtimeRuntime > r.cpuRealtimePeriod) {
    throw invalid('cpu real-time runtime cannot be higher than cpu real-time period');
  }
  if (r.cpusetCpus !== undefined) checkSet('cpuset cpus', 'CPUs', r.cpusetCpus, host.cpus);
  if (r.cpusetMems !== undefined) checkSet('cpuset mems', 'memory nodes', r.cpusetMems, host.mems);
  // dockerd: a weight the kernel cannot apply is dropped with a warning, before the range check.
  if (r.blkioWeight !== undefined && !host.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    delete r.blkioWeight;
  }
  if (r.blkioWeightDevice?.length && !host.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.');
    delete r.blkioWeightDevice;
  }
  if (r.blkioWeight !== undefined && (r.blkioWeight < 10 || r.blkioWeight > 1000)) throw invalid('Range of blkio weight is from 10 to 1000');
  for (const d of r.blkioWeightDevice ?? []) {
    if (d.weight < 10 || d.weight > 1000) throw invalid(`invalid weight for device ${d.path}: ${d.weight}: range of blkio weight is from 10 to 1000`);
    deviceNumbers(d.path);
  }
  for (const list of [r.blkioDeviceReadBps, r.blkioDeviceWriteBps, r.blkioDeviceReadIOps, r.blkioDeviceWriteIOps]) {
    for (const d of list ?? []) {
      if (d.rate < 0) throw invalid(`invalid rate for device ${d.path}: ${d.rate}`);
      deviceNumbers(d.path);
    }
  }
  rlimitsFor(r.ulimits, host.limits);
  checkSysctls(r.sysctls ?? {}, hc.networkMode, r.ipcMode);
  for (const d of r.devices ?? []) deviceNodes(d.pathOnHost, d.pathInContainer, d.cgroupPermissions);
  for (const rule of r.deviceCgroupRules ?? []) parseDeviceCgroupRule(rule);
  checkModes(r);
  return warnings;
}

function checkSet(what: string, things: string, value: string, available: number[]): void {
  const wanted = parseList(value);
  if (!wanted) throw invalid(`Invalid value ${value} for ${what}: invalid format: ${value}`);
  const missing = wanted.filter((n) => !available.includes(n));
  if (missing.length > 0) {
    throw invalid(`Requested ${things} are not available - requested ${value}, available: ${formatList(available)}`);
  }
}

/** "0-2,5" -> [0,1,2,5]; null when malformed. */
export function parseList(s: string): number[] | null {
  if (s.trim() === '') return [];
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 4096) return null;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

function formatList(ns: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ns.length; i++) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j] + 1) j++;
    parts.push(i === j ? `${ns[i]}` : `${ns[i]}-${ns[j]}`);
    i = j;
  }
  return parts.join(',');
}

const MODE_CONTAINER = /^container:.+$/;

function checkModes(r: ContainerResources): void {
  if (r.ipcMode !== undefined && !['private', 'shareable', 'none', 'host'].includes(r.ipcMode) && !MODE_CONTAINER.test(r.ipcMode)) {
    throw invalid(`invalid IPC mode: ${r.ipcMode}`);
  }
  if (r.pidMode !== undefined && r.pidMode !== 'host' && !MODE_CONTAINER.test(r.pidMode)) throw invalid(`invalid PID mode: ${r.pidMode}`);
  if (r.utsMode !== undefined && r.utsMode !== 'host') throw invalid(`invalid UTS mode: ${r.utsMode}`);
  if (r.cgroupnsMode !== undefined && r.cgroupnsMode !== 'host' && r.cgroupnsMode !== 'private') {
    throw invalid(`invalid cgroup namespace mode: ${r.cgroupnsMode}`);
  }
  // UsernsMode: dockerd 20.10 takes any value (only the CLI checks it); all but "host" mean the daemon's remapping.
  if (r.isolation !== undefined && r.isolation.toLowerCase() !== 'default') throw invalid(`Invalid isolation: "${r.isolation}" - linux only supports 'default'`);
  if (r.ipcMode === 'host' && r.sysctls && Object.keys(r.sysctls).some((k) => k.startsWith('kernel.'))) {
    throw invalid('sysctl kernel.* are not allowed with --ipc=host');
  }
}

// ---- ulimits -----------------------------------------------------------

const ULIMIT_NAMES: Record<string, string> = {
  as: 'RLIMIT_AS', core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE',
  locks: 'RLIMIT_LOCKS', memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE',
  nofile: 'RLIMIT_NOFILE', nproc: 'RLIMIT_NPROC', rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO',
  rttime: 'RLIMIT_RTTIME', sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK',
};

/**
 * The user's ulimits as OCI rlimits. A limit above what this daemon itself
 * may grant (its hard limit: runc inherits it and cannot raise it) is a
 * clear 400 here instead of runc's "operation not permitted" at start.
 */
export function rlimitsFor(ulimits: Ulimit[] | undefined, host: HostLimits): Rlimit[] {
  const out: Rlimit[] = [];
  for (const u of ulimits ?? []) {
    const type = ULIMIT_NAMES[u.name];
    if (!type) throw invalid(`invalid ulimit type: ${u.name}`);
    if (u.soft > u.hard) throw invalid(`ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`);
    // -1 is "unlimited" in docker's ulimit syntax.
    const hard = u.hard < 0 ? Infinity : u.hard;
    const max = host[type]?.hard ?? Infinity;
    if (hard > max) {
      throw invalid(`ulimit ${u.name}=${u.soft}:${u.hard}: the hard limit is above this host's hard limit for ${type} (${max === Infinity ? 'unlimited' : max}), which the container cannot exceed`);
    }
    out.push({ type, soft: u.soft < 0 ? Number.MAX_SAFE_INTEGER : u.soft, hard: u.hard < 0 ? Number.MAX_SAFE_INTEGER : u.hard });
  }
  return out;
}

/** Docker's defaults with the user's ulimits replacing those of the same type. */
export function mergeRlimits(defaults: readonly Rlimit[], user: Rlimit[]): Rlimit[] {
  const taken = new Set(user.map((r) => r.type));
  return [...defaults.filter((r) => !taken.has(r.type)), ...user];
}

// ---- sysctls -----------------------------------------------------------

// The sysctls that live in a namespace of their own (moby's opts.ValidateSysctl).
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

function checkSysctls(sysctls: Record<string, string>, networkMode: string, ipcMode: string | undefined): void {
  for (const key of Object.keys(sysctls)) {
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (ipcMode === 'host') throw invalid(`sysctl '${key}' is not allowed with --ipc=host: it would change the host's value`);
      continue;
    }
    if (key.startsWith('net.')) {
      if (networkMode === 'host') throw invalid(`sysctl '${key}' is not allowed with --network=host: it would change the host's value`);
      continue;
    }
    throw invalid(`sysctl '${key}' is not allowed: only namespaced sysctls (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*) can be set for a container`);
  }
}

// ---- devices -----------------------------------------------------------

function deviceNumbers(p: string): { type: 'c' | 'b'; major: number; minor: number; mode: number; uid: number; gid: number } {
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(p, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message;
    throw invalid(`error gathering device information while adding custom device "${p}": ${code}`);
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw invalid(`error gathering device information while adding custom device "${p}": not a device node`);
  const dev = st.rdev;
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { type: st.isCharacterDevice() ? 'c' : 'b', major, minor, mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
}

/** --device HOST[:CONTAINER[:PERMS]]: the node to create and the cgroup rule that allows it. */
export function deviceNodes(pathOnHost: string, pathInContainer: string, perms: string): { device: LinuxDevice; rule: DeviceCgroupRule } {
  const access = perms || 'rwm';
  if (!/^[rwm]{1,3}$/.test(access)) throw invalid(`invalid device mode: ${access}`);
  if (!pathOnHost.startsWith('/')) throw invalid(`${pathOnHost} is not an absolute path`);
  const target = pathInContainer || pathOnHost;
  if (!target.startsWith('/')) throw invalid(`${target} is not an absolute path`);
  const n = deviceNumbers(pathOnHost);
  return {
    device: { path: target, type: n.type, major: n.major, minor: n.minor, fileMode: n.mode, uid: n.uid, gid: n.gid },
    rule: { allow: true, type: n.type, major: n.major, minor: n.minor, access },
  };
}

/** "c 1:3 mr", "a *:* rwm", "b 8:* r" (--device-cgroup-rule). */
export function parseDeviceCgroupRule(rule: string): DeviceCgroupRule {
  const m = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(rule);
  if (!m) throw invalid(`invalid device cgroup format '${rule}'`);
  const out: DeviceCgroupRule = { allow: true, type: m[1] as 'a' | 'c' | 'b', access: m[4] };
  if (m[2] !== '*') out.major = Number(m[2]);
  if (m[3] !== '*') out.minor = Number(m[3]);
  return out;
}

// ---- the spec's linux.resources -----------------------------------------

export function specResources(hc: HostConfig, privileged: boolean, cg: CgroupInfo): { resources: Record<string, any>; devices: LinuxDevice[] } {
  const r = hc.resources ?? {};
  const memory = hc.memory ?? 0;
  const rules: DeviceCgroupRule[] = [...(privileged ? PRIVILEGED_DEVICE_RULES : DEFAULT_DEVICE_RULES)];
  const devices: LinuxDevice[] = [];
  for (const d of r.devices ?? []) {
    const { device, rule } = deviceNodes(d.pathOnHost, d.pathInContainer, d.cgroupPermissions);
    devices.push(device);
    rules.push(rule);
  }
  for (const rule of r.deviceCgroupRules ?? []) rules.push(parseDeviceCgroupRule(rule));
  const out: Record<string, any> = { devices: rules };

  const mem: Record<string, number | boolean> = {};
  if (memory > 0) {
    mem.limit = memory;
    // Docker's default: as much swap as memory (memory+swap = 2x); -1 unlimited.
    if (cg.swapAccounting) mem.swap = r.memorySwap === undefined || r.memorySwap === 0 ? memory * 2 : r.memorySwap;
  }
  if (r.memoryReservation) mem.reservation = r.memoryReservation;
  if (r.memorySwappiness !== undefined) mem.swappiness = r.memorySwappiness;
  if (r.oomKillDisable) mem.disableOOMKiller = true;
  if (r.kernelMemory && cg.version === '1' && fs.existsSync('/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes')) mem.kernel = r.kernelMemory;
  if (Object.keys(mem).length > 0) out.memory = mem;

  const cpu: Record<string, number | string> = {};
  if (hc.cpuShares > 0) cpu.shares = hc.cpuShares;
  if (hc.nanoCpus > 0) {
    cpu.quota = Math.round((hc.nanoCpus * CPU_PERIOD) / 1e9);
    cpu.period = CPU_PERIOD;
  }
  if (r.cpuPeriod) cpu.period = r.cpuPeriod;
  if (r.cpuQuota) cpu.quota = r.cpuQuota;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  // Taken by the kernel only within the real-time budget of the cgroups above (0 unless the host gave them one).
  if (r.cpuRealtimePeriod) cpu.realtimePeriod = r.cpuRealtimePeriod;
  if (r.cpuRealtimeRuntime) cpu.realtimeRuntime = r.cpuRealtimeRuntime;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  if (hc.pidsLimit > 0) out.pids = { limit: hc.pidsLimit };

  const throttle = (list: typeof r.blkioDeviceReadBps) => list?.map((d) => ({ ...majorMinor(d.path), rate: d.rate }));
  const blkio: Record<string, unknown> = {};
  if (r.blkioWeight) blkio.weight = r.blkioWeight;
  if (r.blkioWeightDevice?.length) blkio.weightDevice = r.blkioWeightDevice.map((d) => ({ ...majorMinor(d.path), weight: d.weight }));
  if (r.blkioDeviceReadBps?.length) blkio.throttleReadBpsDevice = throttle(r.blkioDeviceReadBps);
  if (r.blkioDeviceWriteBps?.length) blkio.throttleWriteBpsDevice = throttle(r.blkioDeviceWriteBps);
  if (r.blkioDeviceReadIOps?.length) blkio.throttleReadIOPSDevice = throttle(r.blkioDeviceReadIOps);
  if (r.blkioDeviceWriteIOps?.length) blkio.throttleWriteIOPSDevice = throttle(r.blkioDeviceWriteIOps);
  if (Object.keys(blkio).length > 0) out.blockIO = blkio;
  return { resources: out, devices };
}

function majorMinor(p: string): { major: number; minor: number } {
  const n = deviceNumbers(p);
  return { major: n.major, minor: n.minor };
}

// ---- host facts ---------------------------------------------------------

let facts: HostFacts | undefined;

function readOr(p: string): string {
  try { return fs.readFileSync(p, 'utf8'); } catch { return ''; }
}

export function hostFacts(limits: HostLimits, cg: CgroupInfo): HostFacts {
  if (facts) return facts;
  const read = (p: string, fallback: number[]) => {
    try { return parseList(fs.readFileSync(p, 'utf8').trim()) ?? fallback; } catch { return fallback; }
  };
  const cpus = read('/sys/devices/system/cpu/online', [...Array(os.availableParallelism()).keys()]);
  facts = {
    cpus,
    mems: read('/sys/devices/system/node/online', [0]),
    limits,
    kernelMemory: cg.version === '1' && fs.existsSync('/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes'),
    blkioWeight: cg.version === '1' ? fs.existsSync('/sys/fs/cgroup/blkio/blkio.weight') || fs.existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight') : fs.existsSync('/sys/fs/cgroup/io.weight') || /\bio\b/.test(readOr('/sys/fs/cgroup/cgroup.subtree_control')),
    swapAccounting: cg.swapAccounting,
    cpuRealtime: cg.version === '1' && (fs.existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us') || fs.existsSync('/sys/fs/cgroup/cpu,cpuacct/cpu.rt_runtime_us')),
  };
  return facts;
}
