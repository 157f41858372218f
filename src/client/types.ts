// Docker Engine API wire shapes (PascalCase, as in specs/docker-engine-api.yaml),
// limited to what berth's CLI reads or sends. Fields the daemon may omit are
// optional; unknown fields pass through untouched (inspect prints raw JSON).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Port {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface MountPoint {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination?: string;
  Driver?: string;
  Mode?: string;
  RW?: boolean;
  Propagation?: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports?: Port[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: MountPoint[] | null;
}

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  VirtualSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags?: string[] | null;
  Size: number;
  Comment: string;
}

export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ContainerConfigBody {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  Healthcheck?: HealthConfigBody;
}

/** Config.Healthcheck: durations in nanoseconds. */
export interface HealthConfigBody {
  Test: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface RestartPolicyBody {
  Name: string;
  MaximumRetryCount: number;
}

export interface HostConfigBody {
  Binds?: string[] | null;
  NetworkMode?: string;
  RestartPolicy?: RestartPolicyBody;
  AutoRemove?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Dns?: string[];
  DnsOptions?: string[];
  DnsSearch?: string[];
  ExtraHosts?: string[] | null;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  Tmpfs?: Record<string, string>;
  ShmSize?: number;
  Runtime?: string;
  Init?: boolean;
  Memory?: number;
  NanoCpus?: number;
  CpuShares?: number;
  PidsLimit?: number;
  ConsoleSize?: [number, number];
}

/** POST /containers/create body: the container Config with HostConfig inside. */
export interface ContainerCreateBody extends ContainerConfigBody {
  HostConfig: HostConfigBody;
  NetworkingConfig?: { EndpointsConfig: Record<string, object> };
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings?: string[] | null;
}

export interface WaitResponse {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

/** The fields of GET /containers/{id}/json the CLI reads; the rest stays raw. */
export interface ContainerInspect {
  Id: string;
  Name?: string;
  Config?: { Tty?: boolean; OpenStdin?: boolean } | null;
  HostConfig?: { AutoRemove?: boolean } | null;
  State?: { Status?: string; Running?: boolean; Paused?: boolean; Restarting?: boolean; ExitCode?: number } | null;
}

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string> | null;
}

export interface VersionResponse {
  Platform?: { Name: string } | null;
  Components?: ComponentVersion[] | null;
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}

/** GET /info: many fields; the CLI prints those it knows and keeps the rest for --format. */
export interface InfoResponse {
  [key: string]: unknown;
  ID?: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  Driver?: string;
  DriverStatus?: [string, string][] | null;
  SystemStatus?: [string, string][] | null;
  Plugins?: { Volume?: string[] | null; Network?: string[] | null; Authorization?: string[] | null; Log?: string[] | null } | null;
  LoggingDriver?: string;
  CgroupDriver?: string;
  CgroupVersion?: string;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  DockerRootDir?: string;
  Name?: string;
  Labels?: string[] | null;
  ExperimentalBuild?: boolean;
  ServerVersion?: string;
  Runtimes?: Record<string, unknown> | null;
  DefaultRuntime?: string;
  Swarm?: { LocalNodeState?: string } | null;
  LiveRestoreEnabled?: boolean;
  InitBinary?: string;
  ContainerdCommit?: { ID?: string } | null;
  RuncCommit?: { ID?: string } | null;
  InitCommit?: { ID?: string } | null;
  SecurityOptions?: string[] | null;
  Debug?: boolean;
  HttpProxy?: string;
  HttpsProxy?: string;
  NoProxy?: string;
  Warnings?: string[] | null;
}

/** One object of a streamed JSON progress response (pull, import, load). */
export interface JsonMessage {
  status?: string;
  id?: string;
  from?: string;
  stream?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number } | null;
  error?: string;
  errorDetail?: { code?: number; message?: string } | null;
  aux?: unknown;
  time?: number;
  timeNano?: number;
}

export interface PingInfo {
  apiVersion: string;
  osType: string;
  experimental: boolean;
}

export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  Scope: string;
  Status?: Record<string, unknown>;
  UsageData?: { Size: number; RefCount: number } | null;
}

export interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

export interface VolumeListResponse {
  Volumes: Volume[] | null;
  Warnings: string[] | null;
}

export interface VolumePruneResponse {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}

export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  Internal: boolean;
  Attachable: boolean;
  IPAM?: { Driver: string; Options?: Record<string, string> | null; Config?: Array<{ Subnet?: string; Gateway?: string; IPRange?: string }> | null };
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  Containers?: Record<string, { Name: string; IPv4Address: string }>;
}

export interface NetworkCreateBody {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  Labels?: Record<string, string>;
  Options?: Record<string, string>;
  IPAM?: { Driver?: string; Options?: Record<string, string>; Config?: Array<{ Subnet?: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }> };
}

export interface EndpointConfigBody {
  Aliases?: string[];
  Links?: string[];
  MacAddress?: string;
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string };
}

export interface BuildCacheRecord {
  ID: string;
  Type: string;
  Description?: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt?: string | null;
  UsageCount: number;
}

/** GET /system/df: the fields every API version before 1.52 sends (and 1.52+ without verbose). */
export interface DiskUsageResponse {
  LayersSize?: number;
  Images?: ImageSummary[] | null;
  Containers?: ContainerSummary[] | null;
  Volumes?: Volume[] | null;
  BuildCache?: BuildCacheRecord[] | null;
}

/** One result of GET /images/search (docker's registry.SearchResult). */
export interface ImageSearchResult {
  star_count: number;
  is_official: boolean;
  name: string;
  is_automated: boolean;
  description: string;
}
