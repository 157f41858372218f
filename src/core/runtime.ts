// The container runtime driver: one conmon per container, driving runc.
//
// Lifecycle of one container process, as the container service drives it:
//   spec = buildSpec(...)                      // src/runtime/spec.ts
//   await runtime.create({ id, bundle, spec, logPath, tty, openStdin })
//       conmon is spawned detached (it outlives berthd), runs `runc create`,
//       and we return once the container exists (or reject with runc's error).
//   att = await runtime.attach(id, sink)       // optional: before start so no output is missed
//   await runtime.start(id)                    // `runc start`
//   const exit = await runtime.waitExit(id)    // conmon writes <exitDir>/<id>
//   await runtime.delete(id)                   // `runc delete`, removes conmon's files
//
// After a daemon restart nothing in memory is left: state(id), exitStatus(id),
// waitExit(id) and attach(id) work from runc's state dir and conmon's files alone.

export interface OciSpec {
  ociVersion: string;
  process: Record<string, any>;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts: Array<{ destination: string; type?: string; source?: string; options?: string[] }>;
  linux: Record<string, any>;
  annotations?: Record<string, string>;
  /** OCI hooks (createRuntime runs on the host, after the namespaces exist). */
  hooks?: Record<string, Array<{ path: string; args?: string[]; timeout?: number }>>;
}

export interface RuntimeCreateOptions {
  id: string;
  /** Directory for config.json and conmon's ctl/winsz FIFOs; the driver writes config.json there. */
  bundle: string;
  spec: OciSpec;
  /** conmon's k8s-file log. */
  logPath: string;
  /** What is kept of the output: nothing, or the file with its rotation (default: the file, never rotated). */
  log?: LogFileOptions;
  tty: boolean;
  /** Keep the container's stdin open (docker -i). */
  openStdin: boolean;
  /** Close the container's stdin when the attached client closes it (docker's StdinOnce, set by `run -i`). */
  stdinOnce?: boolean;
  /** "runc" (default) or "crun". */
  runtime?: string;
  /** Gives up on the create: whatever it started is killed and removed, and create rejects. */
  signal?: AbortSignal;
}

/**
 * The container's log file: kept or not, and rotated when it reaches
 * maxSize bytes into <log>.1 ... <log>.<maxFiles-1> (gzipped with compress).
 */
export interface LogFileOptions {
  keep: boolean;
  maxSize?: number;
  /** Files kept in all, the live one included (Docker's max-file); default 1. */
  maxFiles?: number;
  compress?: boolean;
}

/** Limits `runc update` can change on a live container (-1: unlimited). */
export interface ResourceUpdate {
  memory?: number;
  /** Memory plus swap; -1 unlimited. */
  memorySwap?: number;
  memoryReservation?: number;
  kernelMemory?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuRealtimePeriod?: number;
  cpuRealtimeRuntime?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  blkioWeight?: number;
  pidsLimit?: number;
}

export interface RuntimeState {
  status: 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

export interface ExitStatus {
  exitCode: number;
  finishedAt: Date;
  /** True when the exit was caused by the OOM killer, where known. */
  oomKilled?: boolean;
}

export type OutputStream = 'stdout' | 'stderr';

export interface AttachSink {
  data(stream: OutputStream, chunk: Buffer): void;
  /** The container's output ended (it exited, or the attach socket closed). */
  end(err?: Error): void;
}

export interface RuntimeAttach {
  write(chunk: Buffer): void;
  /** Half-closes the socket: conmon then closes the container's stdin. */
  closeStdin(): void;
  /** Stops receiving output; the container keeps running. */
  detach(): void;
}

export interface ContainerRuntime {
  create(opts: RuntimeCreateOptions): Promise<{ pid: number }>;
  start(id: string): Promise<void>;
  kill(id: string, signal: string | number, all?: boolean): Promise<void>;
  /** Freezes (true) or thaws (false) every process of the container. */
  freeze?(id: string, frozen: boolean): Promise<void>;
  /** Changes a live container's cgroup limits (`runc update`); absent fields stay as they are. */
  update?(id: string, resources: ResourceUpdate): Promise<void>;
  /** runc's view; null when runc does not know the container. */
  state(id: string): Promise<RuntimeState | null>;
  /**
   * runc delete and removal of conmon's per-container files. Forced, it
   * works from any state (running, created, half-created, monitor dead):
   * processes, monitor, cgroups, runtime state and files all go.
   */
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
  /** Every container id the runtime holds any state for (the boot sweep). */
  ids(): Promise<string[]>;
  attach(id: string, sink: AttachSink): Promise<RuntimeAttach>;
  /** Reads conmon's exit file; null while the container has not exited. */
  exitStatus(id: string): Promise<ExitStatus | null>;
  /** Resolves when conmon has written the exit file (at once if it already has). */
  waitExit(id: string, signal?: AbortSignal): Promise<ExitStatus>;
  resize(id: string, size: { height: number; width: number }): Promise<void>;
}

/** One line of a container's log, as stored by conmon (k8s-file format). */
export interface LogEntry {
  stream: OutputStream;
  time: Date;
  /** Original timestamp text (RFC 3339 nano) for `--timestamps`. */
  timestamp: string;
  /** Line content including its trailing "\n" when the line was complete. */
  data: Buffer;
}

/**
 * Whole lines of one stream, as many as were read together (no per-line
 * time): for readers that want only the text, such as `docker logs`
 * without -t or --details.
 */
export interface LogChunk {
  stream: OutputStream;
  data: Buffer;
  /**
   * Set when `data` is a view of a buffer the reader reads into again:
   * call it once the bytes are no longer needed (written out). A chunk
   * never released only keeps that buffer from being reused.
   */
  release?: () => void;
}

export interface LogReadOptions {
  follow?: boolean;
  /** Number of lines from the end; undefined or negative for all. */
  tail?: number;
  since?: Date;
  until?: Date;
  /** For follow: resolves/aborts when the container has exited and the file is drained. */
  signal?: AbortSignal;
  /** For follow: resolves when the container has stopped, so the reader can finish after draining. */
  stopped?: Promise<unknown>;
}
