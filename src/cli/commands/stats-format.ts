// What `stats` shows for one container, computed as the docker CLI does
// from a sample of GET /containers/{id}/stats: CPU % from the deltas of the
// container's and the system's CPU time against the previous sample (scaled
// by the online CPUs), memory without the inactive page cache, network and
// block I/O summed over interfaces and devices; and docker's statsContext
// for the table and --format templates.

import { GO_TYPE, HTML_ESCAPED_JSON } from '../format/gofmt.ts';
import type { TypedObject } from '../format/gofmt.ts';
import { bytesSize, humanSize } from '../format/units.ts';
import { truncateId } from '../options/reference.ts';

export const DEFAULT_STATS_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

export const STATS_HEADER: Record<string, string> = {
  Container: 'CONTAINER', Name: 'NAME', ID: 'CONTAINER ID', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

/** The parts of the stats JSON the CLI reads (container.StatsResponse). */
export interface StatsSample {
  name?: string;
  id?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> | null };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }> | null;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op?: string; value?: number }> | null };
  pids_stats?: { current?: number };
}

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface StatsEntry {
  /** What the user named (or the short ID when listing all). */
  container: string;
  name: string;
  id: string;
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pidsCurrent: number;
  isInvalid: boolean;
}

export function emptyEntry(container: string): StatsEntry {
  return {
    container, name: '', id: '', cpuPercentage: 0, memory: 0, memoryLimit: 0, memoryPercentage: 0,
    networkRx: 0, networkTx: 0, blockRead: 0, blockWrite: 0, pidsCurrent: 0, isInvalid: false,
  };
}

export function cpuPercent(s: StatsSample): number {
  const cur = s.cpu_stats ?? {};
  const pre = s.precpu_stats ?? {};
  const cpuDelta = (cur.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cur.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  let online = cur.online_cpus ?? 0;
  if (online === 0) online = cur.cpu_usage?.percpu_usage?.length ?? 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** Usage less the inactive file cache: total_inactive_file on cgroup v1, inactive_file on v2. */
export function memUsageNoCache(mem: StatsSample['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const stats = mem?.stats ?? {};
  const v1 = stats.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats.inactive_file ?? 0;
  if (v2 < usage) return usage - v2;
  return usage;
}

export function entryFromSample(container: string, s: StatsSample): StatsEntry {
  const memory = memUsageNoCache(s.memory_stats);
  const limit = s.memory_stats?.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op?.[0];
    if (op === 'r' || op === 'R') read += e.value ?? 0;
    else if (op === 'w' || op === 'W') write += e.value ?? 0;
  }
  return {
    container, name: s.name ?? '', id: s.id ?? '', cpuPercentage: cpuPercent(s), memory, memoryLimit: limit,
    memoryPercentage: limit !== 0 ? (memory / limit) * 100 : 0, networkRx: rx, networkTx: tx,
    blockRead: read, blockWrite: write, pidsCurrent: s.pids_stats?.current ?? 0, isInvalid: false,
  };
}

const percentage = (v: number) => `${v.toFixed(2)}%`;

/** docker's statsContext: what {{.CPUPerc}} and the other fields print. */
export function statsContext(e: StatsEntry, trunc: boolean): TypedObject {
  const invalid = e.isInvalid;
  return {
    [GO_TYPE]: '*container.statsContext',
    [HTML_ESCAPED_JSON]: true,
    BlockIO: invalid ? '--' : `${humanSize(e.blockRead)} / ${humanSize(e.blockWrite)}`,
    CPUPerc: invalid ? '--' : percentage(e.cpuPercentage),
    Container: e.container,
    ID: trunc ? truncateId(e.id) : e.id,
    MemPerc: invalid ? '--' : percentage(e.memoryPercentage),
    MemUsage: invalid ? '-- / --' : `${bytesSize(e.memory)} / ${bytesSize(e.memoryLimit)}`,
    Name: e.name.length > 1 ? e.name.slice(1) : '--',
    NetIO: invalid ? '--' : `${humanSize(e.networkRx)} / ${humanSize(e.networkTx)}`,
    PIDs: invalid ? '--' : String(e.pidsCurrent),
  };
}

/** One live frame: home the cursor, erase what each line leaves of the last frame, then the rest of the screen. */
export function liveFrame(table: string): string {
  return `\x1b[H${table.split('\n').map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`;
}
