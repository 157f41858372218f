// Container healthchecks: a probe run inside the running container, again
// and again, and the verdict drawn from its exit codes.
//
// Worked example, `docker run --health-cmd 'curl -f localhost' --health-interval 5s --health-retries 2 web`:
//   create  -> the container's HealthConfig is the image's HEALTHCHECK with
//              the container's non-zero fields laid over it (["NONE"] turns
//              the probe off). Nothing runs; inspect shows no State.Health.
//   start   -> State.Health {Status "starting", FailingStreak 0}; the first
//              probe runs one interval later, as an exec (exec_create,
//              exec_start, exec_die events) with the container's user, env
//              and working directory; its output (stdout and stderr, at most
//              4096 bytes) and exit code join the Log, which keeps the last 5.
//   exit 0  -> "healthy", FailingStreak 0, a "health_status: healthy" event.
//   exit !0 -> FailingStreak + 1 (not counted while "starting" within the
//              start period); at Retries (default 3) "unhealthy" and its event.
//   timeout -> the probe is killed; ExitCode -1, "Health check exceeded timeout (30s)".
//   pause, exit, removal -> the monitor stops (dockerd 20.10 then reads "unhealthy");
//   unpause resumes it; the next start, or a daemon restart that re-adopts
//   the container, begins again at "starting" (the Log is kept).

/** Docker's HealthConfig in the engine's names; durations in nanoseconds, 0 for "the default". */
export interface HealthConfig {
  /** ["CMD", args...], ["CMD-SHELL", command], ["NONE"]; empty: inherit the image's. */
  test?: string[];
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One probe run, as State.Health.Log shows it. */
export interface HealthResult {
  /** RFC 3339 nano. */
  start: string;
  end: string;
  /** -1 when the probe timed out or could not run. */
  exitCode: number;
  output: string;
}

export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  /** Oldest first, at most HEALTH_LOG_ENTRIES. */
  log: HealthResult[];
}

export const HEALTH_LOG_ENTRIES = 5;
export const HEALTH_OUTPUT_MAX = 4096;

/** Runs one probe command in a running container (an exec session). */
export interface ProbeRunner {
  /**
   * Resolves with the exit code and the output (both streams, cut at
   * HEALTH_OUTPUT_MAX bytes, "..." appended when cut) once the process
   * exited. Aborting the signal kills the process; the promise still
   * settles once it is gone. Rejects when the probe cannot start.
   */
  run(containerId: string, cmd: string[], signal: AbortSignal): Promise<{ exitCode: number; output: string }>;
}
