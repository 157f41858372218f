// `docker system df`: what the engine's stores hold, and the figures dockerd
// derives from it. A worked example, two images sharing busybox's layer:
//
//   layers: busybox L1 (2 MB), app's own L2 (1 MB)      layersSize = 3 MB
//   busybox:latest  size 2 MB  shared 2 MB (L1 is app's too)  containers 0
//   app:1           size 3 MB  shared 2 MB                    containers 1
//
//   images:  total 2, active 1 (app), size = layersSize = 3 MB,
//            reclaimable = what the unused ones hold alone:
//            busybox's 2 - 2 = 0 B (API >= 1.52, computed by the daemon;
//            older clients compute their own, see the CLI's system df).
//   containers: active = running, paused or restarting; size = their
//            writable layers; reclaimable = the others' writable layers.
//   volumes: active = referenced by a container; reclaimable = the
//            sizes of the unreferenced ones (size -1: not measurable, left out).
//   build cache: active = in use; reclaimable = the rest, shared ones aside.

import type { ContainerView } from './container.ts';
import type { ImageRecord } from './image.ts';
import type { VolumeUsage } from './volume.ts';

export interface ImageUsageItem {
  image: ImageRecord;
  /** Bytes of this image's layers that other listed images have too. */
  sharedSize: number;
  /** Containers (any state) created from this image. */
  containers: number;
}

export interface ImageDiskUsage {
  /** Every layer any image references, each counted once. */
  layersSize: number;
  /** Top-level images (intermediate build images are only in layersSize). */
  items: ImageUsageItem[];
}

/** One build cache record (berth's are the RUN --mount=type=cache directories). */
export interface BuildCacheItem {
  id: string;
  /** BuildKit's record type: "exec.cachemount" for a cache mount. */
  type: string;
  description: string;
  inUse: boolean;
  shared: boolean;
  size: number;
  /** RFC 3339. */
  createdAt: string;
  lastUsedAt: string | null;
  usageCount: number;
}

export interface DiskUsage {
  images?: ImageDiskUsage;
  containers?: ContainerView[];
  volumes?: VolumeUsage[];
  buildCache?: BuildCacheItem[];
}

export type DiskUsageKind = 'container' | 'image' | 'volume' | 'build-cache';

export interface DiskUsageService {
  usage(kinds: ReadonlySet<DiskUsageKind>): Promise<DiskUsage>;
}

/** dockerd's per-kind summary (API 1.52's ImageUsage, ContainerUsage, ...). */
export interface UsageSummary {
  activeCount: number;
  totalCount: number;
  totalSize: number;
  reclaimable: number;
}

export function imagesSummary(u: ImageDiskUsage): UsageSummary {
  const s: UsageSummary = { activeCount: 0, totalCount: u.items.length, totalSize: u.layersSize, reclaimable: 0 };
  for (const i of u.items) {
    if (i.containers > 0) s.activeCount++;
    else s.reclaimable += i.image.size - i.sharedSize;
  }
  return s;
}

const ACTIVE = new Set(['running', 'paused', 'restarting']);

export function containersSummary(cs: readonly ContainerView[]): UsageSummary {
  const s: UsageSummary = { activeCount: 0, totalCount: cs.length, totalSize: 0, reclaimable: 0 };
  for (const c of cs) {
    const rw = c.sizeRw ?? 0;
    s.totalSize += rw;
    if (ACTIVE.has(c.state.status)) s.activeCount++;
    else s.reclaimable += rw;
  }
  return s;
}

export function volumesSummary(vs: readonly VolumeUsage[]): UsageSummary {
  // As dockerd: a volume whose size is unknown counts as active and adds nothing.
  const s: UsageSummary = { activeCount: vs.length, totalCount: vs.length, totalSize: 0, reclaimable: 0 };
  for (const v of vs) {
    if (v.size === -1) continue;
    s.totalSize += v.size;
    if (v.refCount === 0) {
      s.reclaimable += v.size;
      s.activeCount--;
    }
  }
  return s;
}

export function buildCacheSummary(bs: readonly BuildCacheItem[]): UsageSummary {
  const s: UsageSummary = { activeCount: 0, totalCount: bs.length, totalSize: 0, reclaimable: 0 };
  for (const b of bs) {
    if (b.inUse) s.activeCount++;
    if (b.shared) continue;
    s.totalSize += b.size;
    if (!b.inUse) s.reclaimable += b.size;
  }
  return s;
}
