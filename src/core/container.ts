// Containers: a writable snapshot on an image, a runtime spec, and one
// conmon+runc process tree.
//
// Lifecycle, as the container service runs it:
//   create  -> validate, resolve image, reserve name, prepare snapshot
//              "ctr-<id>", write the record (status "created"). Any failure
//              undoes every step: no row, no snapshot, no directory.
//   start   -> mount rootfs, write hosts/hostname/resolv.conf, build the OCI
//              spec, runtime.create (conmon + runc create), runtime.start;
//              status "running", StartedAt, Pid. A watcher awaits the exit.
//   exit    -> conmon's exit file: ExitCode, FinishedAt, status "exited";
//              runtime.delete, unmount; AutoRemove removes the container.
//   remove  -> (force: kill) unmount, snapshot removed, files removed, row deleted.
// A berthd restart re-reads every record, asks runc and conmon's exit files
// what happened while it was down, and resumes the watchers (live restore).

import type { LogChunk, LogEntry, OutputStream } from './runtime.ts';
import type { MountRequest } from './volume.ts';
import type { StatsSample, TopResult } from './stats.ts';
import type { ContainerNetworkSettings, EndpointConfig, PortMap } from './network.ts';
import type { HealthConfig, HealthState } from './health.ts';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  error: string;
  oomKilled: boolean;
  startedAt: string;    // RFC 3339 nano; "0001-01-01T00:00:00Z" when never
  finishedAt: string;
  /** Set at the first start of a container with a probe (src/core/health.ts); kept after it stops. */
  health?: HealthState;
}

/** What the user asked for (docker's Config, in the engine's names). */
export interface ContainerConfig {
  hostname: string;
  domainname: string;
  user: string;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  tty: boolean;
  openStdin: boolean;
  stdinOnce: boolean;
  env: string[];
  cmd: string[] | null;
  entrypoint: string[] | null;
  image: string;          // as the user typed it
  workingDir: string;
  labels: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number;
  /** Merged with the image's HEALTHCHECK at create (absent: neither has one). */
  healthcheck?: HealthConfig;
  exposedPorts?: Record<string, object>;
  volumes?: Record<string, object>;
  /**
   * Config.Shell from the create request: what a CMD-SHELL healthcheck runs
   * through (absent: /bin/sh -c). Like dockerd, not taken from the image.
   */
  shell?: string[];
}

export type NetworkMode = 'none' | 'host' | 'default' | 'bridge' | string;

export interface RestartPolicy { name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure'; maximumRetryCount: number }

/** How the host runs it (docker's HostConfig, in the engine's names). */
export interface HostConfig {
  autoRemove: boolean;
  networkMode: NetworkMode;
  runtime: string;
  restartPolicy: RestartPolicy;
  privileged: boolean;
  readonlyRootfs: boolean;
  capAdd: string[];
  capDrop: string[];
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  binds: string[];
  /** HostConfig.Mounts (--mount), HostConfig.Tmpfs (--tmpfs), HostConfig.VolumesFrom, as given. */
  mounts?: MountRequest[];
  tmpfs?: Record<string, string>;
  volumesFrom?: string[];
  shmSize: number;
  memory: number;
  nanoCpus: number;
  cpuShares: number;
  pidsLimit: number;
  init: boolean;
  securityOpt: string[];
  /** -p: "80/tcp" -> host bindings. */
  portBindings?: PortMap;
  /** -P: every exposed port on a random host port. */
  publishAllPorts?: boolean;
  /** --link name:alias (default bridge). */
  links?: string[];
  /** The rest of docker's resource and isolation options (absent on records from before they existed). */
  resources?: ContainerResources;
  /** The client's terminal size for a TTY container (HostConfig.ConsoleSize), set before the process starts. */
  consoleSize?: { height: number; width: number };
  /** Log driver and its options, merged with the daemon's default at create (absent on older records: json-file). */
  logConfig?: LogConfig;
}

/** HostConfig.LogConfig: a driver Docker names (json-file, local, none) and its --log-opt values. */
export interface LogConfig {
  type: string;
  config: Record<string, string>;
}

export interface ThrottleDevice { path: string; rate: number }
export interface WeightDevice { path: string; weight: number }
export interface DeviceMapping { pathOnHost: string; pathInContainer: string; cgroupPermissions: string }
export interface Ulimit { name: string; soft: number; hard: number }

/**
 * docker's HostConfig resource and namespace options beyond the basic ones
 * above, as given (validated at create; unset fields mean docker's default).
 */
export interface ContainerResources {
  memoryReservation?: number;
  /** -1: unlimited swap. */
  memorySwap?: number;
  memorySwappiness?: number;
  kernelMemory?: number;
  oomKillDisable?: boolean;
  oomScoreAdj?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuRealtimePeriod?: number;
  cpuRealtimeRuntime?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  blkioWeight?: number;
  blkioWeightDevice?: WeightDevice[];
  blkioDeviceReadBps?: ThrottleDevice[];
  blkioDeviceWriteBps?: ThrottleDevice[];
  blkioDeviceReadIOps?: ThrottleDevice[];
  blkioDeviceWriteIOps?: ThrottleDevice[];
  ulimits?: Ulimit[];
  sysctls?: Record<string, string>;
  devices?: DeviceMapping[];
  deviceCgroupRules?: string[];
  groupAdd?: string[];
  /** "", "private", "shareable", "none", "host", "container:<id>". */
  ipcMode?: string;
  /** "", "host", "container:<id>". */
  pidMode?: string;
  /** "", "host". */
  utsMode?: string;
  /** "", "private", "host". */
  cgroupnsMode?: string;
  /** "", "host". */
  usernsMode?: string;
  /** "" or "default": Linux has one isolation technology; kept as given, as dockerd shows it in inspect. */
  isolation?: string;
}

export interface ContainerMount {
  type: 'bind' | 'volume' | 'tmpfs';
  source: string;
  destination: string;
  mode: string;
  rw: boolean;
  propagation: string;
  /** Volumes: the volume's name and driver. */
  name?: string;
  driver?: string;
  /** A volume the container made without a name (-v /path, VOLUME): `rm -v` and `--rm` remove it. */
  anonymous?: boolean;
  /** Copy the image's content at the destination into the volume while it is empty (not nocopy). */
  copyData?: boolean;
  /** A -v bind: a missing host directory is created at start. */
  createSource?: boolean;
  /** A --mount bind with bind-nonrecursive. */
  nonRecursive?: boolean;
  /** tmpfs: mount data ("size=2m,mode=700"). */
  tmpfsOptions?: string;
}

export interface ContainerRecord {
  id: string;             // 64 hex
  name: string;           // without the leading "/"
  created: string;        // RFC 3339 nano
  imageId: string;        // "sha256:<hex>"
  path: string;           // resolved executable (entrypoint[0] or cmd[0])
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  state: ContainerState;
  restartCount: number;
  driver: string;         // snapshotter name
  mountLabel: string;
  mounts: ContainerMount[];
  logPath: string;
  resolvConfPath: string;
  hostnamePath: string;
  hostsPath: string;
}

export interface CreateContainerRequest {
  name?: string;
  config: Partial<ContainerConfig> & { image: string };
  hostConfig?: Partial<HostConfig>;
  /** NetworkingConfig.EndpointsConfig: per network name. */
  networking?: Record<string, Partial<EndpointConfig>>;
}

export interface ContainerFilters {
  id?: string[];
  name?: string[];
  label?: string[];     // "key" or "key=value"
  status?: string[];    // created|restarting|running|removing|paused|exited|dead
  exited?: string[];
  ancestor?: string[];
  /** A volume name, a bind's host path, or a mount destination. */
  volume?: string[];
  /** starting|healthy|unhealthy|none (no State.Health). */
  health?: string[];
  before?: string;
  since?: string;
}

export interface ContainerView extends ContainerRecord {
  imageRef: string;         // config.image, for ps's IMAGE column
  sizeRw?: number;
  sizeRootFs?: number;
  graphDriver: { name: string; data: Record<string, string> };
  /** Filled by the network layer where there is one. */
  network?: ContainerNetworkSettings;
}

/** A path in a container, as `docker cp` stats it (mode: unix st_mode bits). */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  /** RFC 3339 with nanoseconds. */
  mtime: string;
  /** A symlink's target resolved inside the container; "" otherwise. */
  linkTarget: string;
}

export interface ExtractOptions {
  noOverwriteDirNonDir: boolean;
  copyUIDGID: boolean;
}

/** The resources `docker update` changes beside memory, CPUs, shares and pids (HostConfig's own fields). */
export const UPDATABLE_RESOURCES = ['memorySwap', 'memoryReservation', 'kernelMemory', 'cpuPeriod', 'cpuQuota', 'cpuRealtimePeriod',
  'cpuRealtimeRuntime', 'cpusetCpus', 'cpusetMems', 'blkioWeight'] as const satisfies ReadonlyArray<keyof ContainerResources>;

/** `docker update`: the values given (0 and "" are docker's "leave as it is", as on the wire). */
export type UpdateRequest = Pick<ContainerResources, (typeof UPDATABLE_RESOURCES)[number]> & {
  memory?: number;
  nanoCpus?: number;
  cpuShares?: number;
  pidsLimit?: number;
  restartPolicy?: RestartPolicy;
  /** Resources the client set (non-zero) that dockerd's update leaves alone too: refused by name rather than ignored. */
  unsupported?: string[];
};

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Stream live output (docker's stream=1). */
  stream: boolean;
  /** Replay the log first (docker's logs=1). */
  logs: boolean;
}

export interface AttachOutput {
  data(stream: OutputStream, chunk: Buffer): void;
  end(): void;
}

export interface AttachHandle {
  readonly tty: boolean;
  write(chunk: Buffer): void;
  closeStdin(): void;
  detach(): void;
}

export interface ContainerService {
  create(req: CreateContainerRequest): Promise<{ id: string; warnings: string[] }>;
  /** Throws not_modified when already running. */
  /** opts.env: variables for this start only, kept in memory, never in the record (build secrets). */
  start(ref: string, opts?: { env?: string[] }): Promise<void>;
  /** timeout in seconds (default: config.stopTimeout or 10); throws not_modified when not running. */
  stop(ref: string, opts?: { timeout?: number; signal?: string }): Promise<void>;
  kill(ref: string, signal?: string): Promise<void>;
  restart(ref: string, opts?: { timeout?: number; signal?: string }): Promise<void>;
  /**
   * keepSnapshot: the writable snapshot stays (under the container's id) for
   * the caller to commit or remove; the builder removes a RUN step's
   * container this way before turning its snapshot into the step's layer.
   */
  remove(ref: string, opts?: { force?: boolean; volumes?: boolean; keepSnapshot?: boolean }): Promise<void>;
  list(opts: { all?: boolean; limit?: number; size?: boolean; filters?: ContainerFilters }): Promise<ContainerView[]>;
  inspect(ref: string, opts?: { size?: boolean }): Promise<ContainerView>;
  wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<{ statusCode: number; error?: string }>;
  /** With `chunks`, entries may be LogChunks: runs of lines of one stream without per-line time. */
  logs(ref: string, opts: { stdout: boolean; stderr: boolean; follow?: boolean; tail?: number; since?: Date; until?: Date; signal?: AbortSignal; chunks?: boolean }): Promise<{ tty: boolean; entries: AsyncIterable<LogChunk | LogEntry>; attrs?: Array<[string, string]> }>;
  attach(ref: string, opts: AttachOptions, out: AttachOutput): Promise<AttachHandle>;
  resize(ref: string, size: { height: number; width: number }): Promise<void>;
  /** The container's whole filesystem as an uncompressed tar. */
  export(ref: string): Promise<NodeJS.ReadableStream>;
  /** `docker cp`: a path's stat (HEAD archive). */
  statPath(ref: string, path: string): Promise<PathStat>;
  /** `docker cp` out: the path's stat and a tar of it (GET archive). */
  getArchive(ref: string, path: string): Promise<{ stat: PathStat; tar: NodeJS.ReadableStream }>;
  /** `docker cp` in: unpacks a tar into the directory at path (PUT archive). */
  putArchive(ref: string, path: string, tar: NodeJS.ReadableStream, opts: ExtractOptions): Promise<void>;
  /** `docker pause` / `unpause`: the cgroup freezer. */
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
  rename(ref: string, name: string): Promise<void>;
  /** `docker update`: limits and restart policy, live when running. */
  update(ref: string, req: UpdateRequest): Promise<{ warnings: string[] }>;
  /** `docker top`: the container's processes as the host's ps shows them (ps_args, default "-ef"). */
  top(ref: string, psArgs: string): Promise<TopResult>;
  /** `docker stats`: one sample, or one per second until the signal aborts. */
  stats(ref: string, opts: { stream: boolean; oneShot?: boolean }, signal?: AbortSignal): AsyncIterable<StatsSample>;
  /** Image IDs in use by any container (for image removal conflicts). */
  usersOfImage(imageId: string): Promise<ContainerRecord[]>;
  /** `docker container prune`: removes the stopped containers the filters select; emits one `prune` event. */
  prune(opts: ContainerPruneOptions): Promise<ContainerPruneReport>;
  /** Resolves once live restore has re-adopted, or recorded the exit of, every container it found. */
  readonly restored: Promise<void>;
}

/** Which stopped containers `container prune` takes (docker's until, label, label!). */
export interface ContainerPruneOptions {
  /** Unix ms: containers created after it are kept. */
  until?: number;
  /** Every one must match ("key" or "key=value"). */
  labels?: string[];
  /** Kept when every one matches (docker's MatchKVList on "label!"). */
  labelsNot?: string[];
}

export interface ContainerPruneReport {
  deleted: string[];
  /** Bytes of the removed containers' writable layers. */
  spaceReclaimed: number;
}
