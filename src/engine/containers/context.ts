// What every container use case (start.ts, stop.ts, remove.ts, exit.ts,
// restore.ts) shares: the service's dependencies and the in-memory state
// that lives beside the records (locks, waiters, attach sessions, mounted
// roots, cleanups in flight). service.ts builds one and passes it to each.

import type { ContainerRecord, LogConfig } from '../../core/container.ts';
import type { ContainerRepository } from '../../core/metadata.ts';
import type { ContainerNetworking } from '../../core/network.ts';
import type { ContainerRuntime, LogChunk, LogEntry, LogReadOptions, OciSpec } from '../../core/runtime.ts';
import type { ImageRecord, ImageService } from '../../core/image.ts';
import type { EventSink } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import type { ContainerMountManager } from '../../core/volume.ts';
import type { IdMaps } from '../../core/idmap.ts';
import type { AttachHub } from './attach.ts';
import type { RootfsMounts } from './rootfs.ts';
import type { KeyedMutex, Waiters } from './waiters.ts';
import type { LayerLimits } from '../../stores/snapshots/apply.ts';
import type { LifecycleDeps } from './pause.ts';
import type { ProbeRunner } from '../../core/health.ts';
import type { HealthMonitors } from './health.ts';
import type { Adoptions } from './restore.ts';

/** What start needs to turn a record into an OCI spec (adapter over src/runtime/spec.ts). */
export interface SpecRequest {
  record: ContainerRecord;
  image: ImageRecord;
  rootfs: string;
  netMode: 'none' | 'host' | { path: string };
  /** Every user mount (volumes, binds, tmpfs) as OCI entries, when a mount manager is wired. */
  mounts?: OciSpec['mounts'];
  /** Namespaces of other containers to join (--ipc/--pid container:<id>). */
  join?: {
    ipc?: string; pid?: string; /** Host dir bound at /dev/shm (a shareable IPC's tmpfs, shm.ts). */ shm?: string;
    /** A remapped container's user namespace when it exists already (userns.ts): joined, not made. */
    user?: string;
  };
}

export interface ContainerServiceDeps {
  containers: ContainerRepository;
  images: ImageService;
  runtime: ContainerRuntime;
  events: EventSink;
  logger: Logger;
  dataRoot: string;
  execRoot: string;
  defaultRuntime: string;
  /** Runtime names a container may ask for (HostConfig.Runtime); unchecked when absent. */
  runtimes?: string[];
  /** Volumes, binds and tmpfs (src/volumes); without it only HostConfig.Binds of host paths work. */
  mounts?: ContainerMountManager;
  buildSpec(req: SpecRequest): Promise<OciSpec>;
  readLogs(path: string, opts: LogReadOptions): AsyncIterable<LogEntry>;
  /** The same text in runs of lines, no per-line time (much faster); readLogs stands in without it. */
  readLogChunks?(path: string, opts: LogReadOptions): AsyncIterable<LogChunk>;
  tarDirectory(dir: string, idMaps?: IdMaps | null): NodeJS.ReadableStream;
  /** Bridge networks, ports, DNS; without it containers get none (or host). */
  network?: ContainerNetworking;
  /** The daemon's --cgroup-parent: containers' cgroups are <cgroupParent>/<id> (default /berth). */
  cgroupParent?: string;
  /** The daemon's log-driver and log-opts (default json-file). */
  logDefaults?: LogConfig;
  /** Runs healthcheck probes (the exec service); without it every probe fails as unable to run. */
  probes?: ProbeRunner;
  /** Bounds of an archive put into a container (`cp` PUT): max-layer-size, max-compression-ratio. */
  layerLimits?: Partial<LayerLimits>;
  /** --userns-remap: host IDs of a remapped container's root and the mappings (userns.ts); null or absent: no remapping. */
  remap?: { uid: number; gid: number; maps: IdMaps } | null;
}

export interface EngineContext {
  readonly d: ContainerServiceDeps;
  readonly log: Logger;
  readonly mutex: KeyedMutex;
  readonly waiters: Waiters;
  readonly attach: AttachHub;
  readonly rootfs: RootfsMounts;
  readonly lifecycle: LifecycleDeps;
  /** Healthcheck monitors of running containers (health.ts). */
  readonly health: HealthMonitors;
  /** Runtime deletes still running after an exit, by container. */
  readonly runtimeCleanups: Map<string, Promise<void>>;
  /** Signals being delivered (stop.ts): the die event waits for them, so their kill event comes first. */
  readonly signalling: Map<string, Promise<void>>;
  /** Containers stopped by a user: restart policies leave them alone. */
  readonly manuallyStopped: Set<string>;
  /** Starts in progress: `rm -f` aborts them rather than wait behind them. */
  readonly starting: Map<string, AbortController>;
  /** Containers live restore has still to re-adopt: verbs on them wait (restore.ts). */
  readonly adoptions: Adoptions;
  /** Aborted when the daemon shuts down: watchers stop, policies restart nothing. */
  readonly shutdown: AbortSignal;
  containerDir(id: string): string;
  bundle(id: string): string;
  attrs(rec: ContainerRecord): Record<string, string>;
  /** Follows a running container until its exit is recorded (exit.ts). */
  watch(id: string): void;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
