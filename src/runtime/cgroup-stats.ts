// Reading a container's resource figures straight from its cgroup files,
// the way runc's and containerd's stats do, for both hierarchies:
//
//   v1 (and hybrid)  /sys/fs/cgroup/{cpuacct,cpu,memory,blkio,pids}/<path>
//   v2               /sys/fs/cgroup/<path>/{cpu.stat,memory.*,io.stat,pids.*}
//
// <path> is the spec's cgroupsPath (cgroupsPathFor). Reads are synchronous
// and small (a few hundred bytes each): the sampler reads every container
// in one pass, which is cheaper than scheduling thousands of async reads.

import { totalmem } from 'node:os';
import type { BlkioEntry, ContainerStats, CpuSample, NetworkCounters } from '../core/stats.ts';
import { cgroupsPathFor, detectCgroups, type CgroupInfo } from './cgroups.ts';
import { StatFiles, oneOff } from './stat-files.ts';

const ROOT = '/sys/fs/cgroup';
const NS_PER_TICK = 1e9 / 100; // USER_HZ is 100 on Linux
// A v1 limit this large means "no limit".
const V1_UNLIMITED = 2 ** 62;

let files: { read(path: string): string | null } = oneOff;
const read = (path: string): string | null => files.read(path);

function num(file: string): number | null {
  const s = read(file);
  if (s === null) return null;
  const t = s.trim();
  if (t === 'max') return Infinity;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function keyValues(text: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (!text) return out;
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const v = Number(line.slice(sp + 1));
    if (Number.isFinite(v)) out[line.slice(0, sp)] = v;
  }
  return out;
}

/** The host's CPU time in ns and the number of online CPUs, from /proc/stat. */
export function hostCpu(): { system: number; onlineCpus: number } {
  const text = oneOff.read('/proc/stat') ?? '';
  let system = 0;
  let cpus = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) {
      const f = line.split(/\s+/).slice(1, 8).map(Number);
      system = f.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0) * NS_PER_TICK;
    } else if (/^cpu\d/.test(line)) {
      cpus++;
    }
  }
  return { system, onlineCpus: cpus };
}

/**
 * Pids in the container's cgroup (its init, its children, its execs);
 * `parent` is the daemon's --cgroup-parent, as the spec's cgroupsPath has it.
 */
export function cgroupPids(id: string, info: CgroupInfo = detectCgroups(), parent = '/berth', root = ROOT): number[] {
  const rel = cgroupsPathFor(id, parent);
  const dir = info.version === '2' ? `${root}${rel}` : `${root}/pids${rel}`;
  const text = oneOff.read(`${dir}/cgroup.procs`) ?? (info.unifiedMount ? oneOff.read(`${info.unifiedMount}${rel}/cgroup.procs`) : null) ?? '';
  return text.split('\n').filter(Boolean).map(Number).filter(Number.isInteger);
}

function blkioV1(text: string | null): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}

function ioV2(text: string | null): { serviceBytes: BlkioEntry[]; serviced: BlkioEntry[] } {
  const serviceBytes: BlkioEntry[] = [];
  const serviced: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...pairs] = line.trim().split(' ');
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(pairs.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
    const major = Number(m[1]);
    const minor = Number(m[2]);
    serviceBytes.push({ major, minor, op: 'read', value: kv.rbytes ?? 0 }, { major, minor, op: 'write', value: kv.wbytes ?? 0 });
    serviced.push({ major, minor, op: 'read', value: kv.rios ?? 0 }, { major, minor, op: 'write', value: kv.wios ?? 0 });
  }
  return { serviceBytes, serviced };
}

/** Counters of the interfaces in pid's network namespace, "lo" excluded; null when it has none. */
export function networkCounters(pid: number, cache?: StatFiles): Record<string, NetworkCounters> | null {
  const text = cache ? cache.read(`/proc/${pid}/net/dev`) : oneOff.read(`/proc/${pid}/net/dev`);
  if (!text) return null;
  const out: Record<string, NetworkCounters> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    out[name] = {
      rxBytes: f[0] ?? 0, rxPackets: f[1] ?? 0, rxErrors: f[2] ?? 0, rxDropped: f[3] ?? 0,
      txBytes: f[8] ?? 0, txPackets: f[9] ?? 0, txErrors: f[10] ?? 0, txDropped: f[11] ?? 0,
    };
  }
  return Object.keys(out).length ? out : null;
}

type Host = { system: number; onlineCpus: number };
/** What a pass reads beside the CPU figures. */
export type CgroupRest = Omit<ContainerStats, 'read' | 'cpu' | 'networks'>;

/** Runs fn with reads going through cache (as container id's files) when there is one. */
function withFiles<T>(id: string, cache: StatFiles | undefined, fn: () => T): T {
  if (cache) cache.use(id);
  files = cache ?? oneOff;
  try {
    return fn();
  } finally {
    files = oneOff;
  }
}

/**
 * One container's CPU figures, or null when its cgroup is gone (it exited):
 * v1 cpuacct.usage, cpuacct.usage_percpu, cpuacct.stat and cpu.stat, v2
 * cpu.stat. `host` is read once per sampling pass and shared; `parent` is
 * the daemon's --cgroup-parent (the container's cgroup is <parent>/<id>).
 */
export function readCgroupCpu(id: string, host: Host, now: string,
  info: CgroupInfo = detectCgroups(), cache?: StatFiles, root = ROOT, parent = '/berth'): CpuSample | null {
  const rel = cgroupsPathFor(id, parent);
  return withFiles(id, cache, () => {
    const cpu = info.version === '2' ? cpuV2(root, rel, host) : cpuV1(root, rel, host);
    return cpu && { read: now, cpu };
  });
}

/** The rest of one container's cgroup figures: memory, pids, block I/O. */
export function readCgroupRest(id: string, info: CgroupInfo = detectCgroups(), cache?: StatFiles, root = ROOT, parent = '/berth'): CgroupRest {
  const rel = cgroupsPathFor(id, parent);
  return withFiles(id, cache, () => (info.version === '2' ? restV2(`${root}${rel}`) : restV1(root, rel)));
}

/** One container's figures (readCgroupCpu, then readCgroupRest), or null when its cgroup is gone. */
export function readCgroupStats(id: string, host: Host, now: string,
  info: CgroupInfo = detectCgroups(), cache?: StatFiles, root = ROOT, parent = '/berth'): ContainerStats | null {
  const cpu = readCgroupCpu(id, host, now, info, cache, root, parent);
  return cpu && { ...cpu, ...readCgroupRest(id, info, cache, root, parent) };
}

/** A container's CPU files: v1 cpuacct.usage, cpuacct.usage_percpu, cpuacct.stat and cpu.stat; v2 cpu.stat. */
function cpuFiles(version: CgroupInfo['version'], root: string, rel: string): { usage: string; perCpu?: string; ticks?: string; throttling?: string } {
  if (version === '2') return { usage: `${root}${rel}/cpu.stat` };
  return {
    usage: `${root}/cpuacct${rel}/cpuacct.usage`, perCpu: `${root}/cpuacct${rel}/cpuacct.usage_percpu`,
    ticks: `${root}/cpuacct${rel}/cpuacct.stat`, throttling: `${root}/cpu${rel}/cpu.stat`,
  };
}

/**
 * Opens a container's CPU files without reading them: a sweep that first
 * opens every container's then reads them all takes as long as a sweep
 * over files already open, which keeps the CPU intervals of a pair of
 * passes equal across containers (see readAllStats).
 */
export function openCgroupCpu(id: string, cache: StatFiles, info: CgroupInfo = detectCgroups(), root = ROOT, parent = '/berth'): void {
  cache.use(id);
  for (const file of Object.values(cpuFiles(info.version, root, cgroupsPathFor(id, parent)))) cache.open(file);
}

function cpuV1(root: string, rel: string, host: Host): ContainerStats['cpu'] | null {
  const f = cpuFiles('1', root, rel);
  const total = num(f.usage);
  if (total === null) return null;
  const perCpu = (read(f.perCpu!) ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
  const ticks = keyValues(read(f.ticks!));
  const thr = keyValues(read(f.throttling!));
  return {
    total, perCpu, kernel: (ticks.system ?? 0) * NS_PER_TICK, user: (ticks.user ?? 0) * NS_PER_TICK, ...host,
    throttling: { periods: thr.nr_periods ?? 0, throttledPeriods: thr.nr_throttled ?? 0, throttledTime: thr.throttled_time ?? 0 },
  };
}

function restV1(root: string, rel: string): CgroupRest {
  const mem = `${root}/memory${rel}`;
  const rawLimit = num(`${mem}/memory.limit_in_bytes`) ?? Infinity;
  const pidsMax = num(`${root}/pids${rel}/pids.max`);
  const blk = `${root}/blkio${rel}`;
  let serviceBytes = blkioV1(read(`${blk}/blkio.io_service_bytes_recursive`));
  let serviced = blkioV1(read(`${blk}/blkio.io_serviced_recursive`));
  // Without the CFQ scheduler's files, the throttle layer counts the same I/O.
  if (!serviceBytes.length) serviceBytes = blkioV1(read(`${blk}/blkio.throttle.io_service_bytes_recursive`));
  if (!serviced.length) serviced = blkioV1(read(`${blk}/blkio.throttle.io_serviced_recursive`));
  return {
    memory: {
      usage: num(`${mem}/memory.usage_in_bytes`) ?? 0,
      maxUsage: num(`${mem}/memory.max_usage_in_bytes`) ?? 0,
      limit: rawLimit >= V1_UNLIMITED ? totalmem() : Math.min(rawLimit, totalmem()),
      stats: keyValues(read(`${mem}/memory.stat`)),
    },
    pids: { current: num(`${root}/pids${rel}/pids.current`) ?? 0, ...(pidsMax !== null && pidsMax !== Infinity ? { limit: pidsMax } : {}) },
    blkio: { serviceBytes, serviced },
  };
}

function cpuV2(root: string, rel: string, host: Host): ContainerStats['cpu'] | null {
  const cpu = read(cpuFiles('2', root, rel).usage);
  if (cpu === null) return null;
  const c = keyValues(cpu);
  return {
    total: (c.usage_usec ?? 0) * 1000, kernel: (c.system_usec ?? 0) * 1000, user: (c.user_usec ?? 0) * 1000, ...host,
    throttling: { periods: c.nr_periods ?? 0, throttledPeriods: c.nr_throttled ?? 0, throttledTime: (c.throttled_usec ?? 0) * 1000 },
  };
}

function restV2(dir: string): CgroupRest {
  const limit = num(`${dir}/memory.max`) ?? Infinity;
  const pidsMax = num(`${dir}/pids.max`);
  return {
    memory: {
      usage: num(`${dir}/memory.current`) ?? 0,
      limit: limit === Infinity ? totalmem() : Math.min(limit, totalmem()),
      stats: keyValues(read(`${dir}/memory.stat`)),
    },
    pids: { current: num(`${dir}/pids.current`) ?? 0, ...(pidsMax !== null && pidsMax !== Infinity ? { limit: pidsMax } : {}) },
    blkio: ioV2(read(`${dir}/io.stat`)),
  };
}
