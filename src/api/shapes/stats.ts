// Docker's stats JSON (types.StatsJSON) and top answer. The CLI and
// docker-py compute CPU % from cpu_stats minus precpu_stats, and memory
// use as usage minus the inactive file cache found in memory_stats.stats.

import type { BlkioEntry, CpuSample, StatsSample, TopResult } from '../../core/stats.ts';

const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpuStats(s: CpuSample | undefined): Record<string, unknown> {
  if (!s) {
    return {
      cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    };
  }
  const c = s.cpu;
  return {
    cpu_usage: {
      total_usage: c.total,
      ...(c.perCpu?.length ? { percpu_usage: c.perCpu } : {}),
      usage_in_kernelmode: c.kernel,
      usage_in_usermode: c.user,
    },
    system_cpu_usage: c.system,
    online_cpus: c.onlineCpus,
    throttling_data: { periods: c.throttling.periods, throttled_periods: c.throttling.throttledPeriods, throttled_time: c.throttling.throttledTime },
  };
}

const blkio = (entries: BlkioEntry[]) => entries.map((e) => ({ major: e.major, minor: e.minor, op: e.op, value: e.value }));

export function toDockerStats(sample: StatsSample): Record<string, unknown> {
  const cur = sample.current;
  if (!cur) {
    const nulls = Object.fromEntries(['io_service_bytes_recursive', 'io_serviced_recursive', 'io_queue_recursive', 'io_service_time_recursive',
      'io_wait_time_recursive', 'io_merged_recursive', 'io_time_recursive', 'sectors_recursive'].map((k) => [k, null]));
    return {
      read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {}, blkio_stats: nulls, num_procs: 0, storage_stats: {},
      cpu_stats: cpuStats(undefined), precpu_stats: cpuStats(undefined), memory_stats: {}, name: `/${sample.name}`, id: sample.id,
    };
  }
  const m = cur.memory;
  const out: Record<string, unknown> = {
    read: cur.read,
    preread: sample.previous?.read ?? ZERO_TIME,
    pids_stats: { current: cur.pids.current, ...(cur.pids.limit !== undefined ? { limit: cur.pids.limit } : {}) },
    blkio_stats: {
      io_service_bytes_recursive: blkio(cur.blkio.serviceBytes), io_serviced_recursive: blkio(cur.blkio.serviced),
      io_queue_recursive: [], io_service_time_recursive: [], io_wait_time_recursive: [], io_merged_recursive: [],
      io_time_recursive: [], sectors_recursive: [],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur),
    precpu_stats: cpuStats(sample.previous),
    memory_stats: {
      usage: m.usage, ...(m.maxUsage !== undefined ? { max_usage: m.maxUsage } : {}), stats: m.stats,
      ...(m.failcnt ? { failcnt: m.failcnt } : {}), limit: m.limit,
    },
    name: `/${sample.name}`,
    id: sample.id,
  };
  if (cur.networks) {
    out.networks = Object.fromEntries(Object.entries(cur.networks).map(([name, n]) => [name, {
      rx_bytes: n.rxBytes, rx_packets: n.rxPackets, rx_errors: n.rxErrors, rx_dropped: n.rxDropped,
      tx_bytes: n.txBytes, tx_packets: n.txPackets, tx_errors: n.txErrors, tx_dropped: n.txDropped,
    }]));
  }
  return out;
}

export function toDockerTop(t: TopResult): { Titles: string[]; Processes: string[][] } {
  return { Titles: t.titles, Processes: t.processes };
}
