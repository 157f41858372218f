// Volumes: named directories under <data-root>/volumes/<name>/_data that
// outlive the containers using them (the `local` driver, Docker's only
// built-in one).
//
// Lifecycle, as the volume service runs it:
//   create  -> validate the name and driver options, write the record,
//              make <name>/_data. An existing name is returned as is.
//   use     -> a container record naming the volume in its mounts is a
//              reference: the volume is "in use" and not dangling while any
//              container (running or not) refers to it. References are
//              computed from the container records, never counted by hand.
//   mount   -> at container start: a volume with options (type=tmpfs,
//              o=bind, device=...) is mounted on its _data when its first
//              container starts and unmounted when the last one stops; an
//              empty volume first receives the image's content at the
//              mount's destination (unless nocopy).
//   remove  -> refused (conflict) while referenced; record first, then the
//              directory. `rm -v`/`--rm` remove a container's anonymous
//              volumes; `prune` removes unreferenced ones (anonymous only
//              unless all=true, API >= 1.42).

import type { ContainerRecord } from './container.ts';
import type { OciSpec } from './runtime.ts';

export const LOCAL_DRIVER = 'local';
/** The label Docker (>= 23) puts on volumes created without a name. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export interface VolumeRecord {
  name: string;
  driver: string;
  labels: Record<string, string>;
  /** Driver options as given (type, device, o); empty when none. */
  options: Record<string, string>;
  /** RFC 3339, seconds. */
  createdAt: string;
}

export interface VolumeView extends VolumeRecord {
  mountpoint: string;
  scope: 'local';
}

/** A volume with its disk usage, for `system df` (docker's Volume.UsageData). */
export interface VolumeUsage extends VolumeView {
  /** Bytes under _data (-1 when it cannot be measured, as Docker reports). */
  size: number;
  /** Containers (any state) whose mounts name the volume. */
  refCount: number;
}

export interface VolumeFilters {
  dangling?: boolean;
  name?: string[];
  driver?: string[];
  /** "key" or "key=value". */
  label?: string[];
}

export interface VolumePruneOptions {
  /** Prune named volumes too (API >= 1.42 prunes only anonymous ones by default). */
  all: boolean;
  label?: string[];
  labelNot?: string[];
}

export interface VolumeService {
  create(req: { name?: string; driver?: string; labels?: Record<string, string>; options?: Record<string, string> }): Promise<VolumeView>;
  inspect(name: string): VolumeView;
  list(filters?: VolumeFilters): VolumeView[];
  /** force: no error for an unknown volume. In use is always a conflict. */
  remove(name: string, opts?: { force?: boolean }): Promise<void>;
  prune(opts: VolumePruneOptions): Promise<{ deleted: string[]; reclaimed: number }>;
  /** For `system df`: every volume with its size and how many containers refer to it (encode with toDockerVolume(v, v)). */
  usage(): Promise<VolumeUsage[]>;
}

export interface VolumeRepository {
  get(name: string): VolumeRecord | undefined;
  /** Inserts; returns false when the name exists. */
  insert(rec: VolumeRecord): boolean;
  list(): VolumeRecord[];
  delete(name: string): void;
}

/** One HostConfig.Mounts entry (docker's mount.Mount), in the engine's names. */
export interface MountRequest {
  type: string;
  source: string;
  target: string;
  readOnly: boolean;
  consistency?: string;
  bindOptions?: { propagation?: string; nonRecursive?: boolean; createMountpoint?: boolean };
  volumeOptions?: {
    noCopy?: boolean;
    labels?: Record<string, string>;
    driverConfig?: { name?: string; options?: Record<string, string> };
    subpath?: string;
  };
  tmpfsOptions?: { sizeBytes?: number; mode?: number };
}

/**
 * What the container service asks of volumes and mounts, at each step of a
 * container's life (src/volumes/containers.ts implements it).
 */
export interface ContainerMountManager {
  /** At create: fills rec.mounts (creating named and anonymous volumes); the function undoes it. */
  plan(rec: ContainerRecord): Promise<() => Promise<void>>;
  /** At start, with the rootfs mounted: the OCI mount entries of every user mount. */
  setup(rec: ContainerRecord, rootfs: string): Promise<OciSpec['mounts']>;
  /** When the container stops (or its start failed): volume mounts released. Idempotent. */
  teardown(rec: ContainerRecord): Promise<void>;
  /** A running container found at boot: its volumes are held again. */
  adopt(rec: ContainerRecord): void;
  /** After the record is gone: anonymous volumes removed if asked (rm -v, --rm) and nobody else uses them. */
  release(rec: ContainerRecord, removeAnonymous: boolean): Promise<void>;
}
