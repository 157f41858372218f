// Resource figures of one running container at one instant, as the stats
// sampler reads them from its cgroup (v1 or v2) and network namespace.
// The API turns two consecutive samples into Docker's stats JSON (the CLI
// computes CPU % from the difference).

export interface BlkioEntry { major: number; minor: number; op: string; value: number }

export interface NetworkCounters {
  rxBytes: number; rxPackets: number; rxErrors: number; rxDropped: number;
  txBytes: number; txPackets: number; txErrors: number; txDropped: number;
}

export interface ContainerStats {
  /** When the figures were read (RFC 3339 nano). */
  read: string;
  cpu: {
    /** Nanoseconds of CPU time, all CPUs. */
    total: number;
    /** Per CPU (cgroup v1 only). */
    perCpu?: number[];
    kernel: number;
    user: number;
    /** The host's CPU time in nanoseconds (/proc/stat), the denominator of CPU %. */
    system: number;
    onlineCpus: number;
    throttling: { periods: number; throttledPeriods: number; throttledTime: number };
  };
  memory: {
    usage: number;
    /** cgroup v1 only. */
    maxUsage?: number;
    failcnt?: number;
    /** The cgroup limit, or the host's memory when there is none. */
    limit: number;
    stats: Record<string, number>;
  };
  pids: { current: number; limit?: number };
  blkio: { serviceBytes: BlkioEntry[]; serviced: BlkioEntry[] };
  /** Interfaces of the container's own network namespace (not "lo"); absent without one. */
  networks?: Record<string, NetworkCounters>;
}

/**
 * The CPU figures of a sample and when they were read: all Docker keeps of
 * the sample before the latest (precpu_stats and preread), so a pass that
 * only serves as the start of a CPU interval reads only these.
 */
export type CpuSample = Pick<ContainerStats, 'read' | 'cpu'>;

/** What /containers/{id}/stats sends each time: the latest figures and the CPU figures before them. */
export interface StatsSample {
  id: string;
  name: string;
  /** Absent for a container that is not running. */
  current?: ContainerStats;
  previous?: CpuSample;
}

/** `docker top`: ps's header and the rows of the container's processes. */
export interface TopResult {
  titles: string[];
  processes: string[][];
}
