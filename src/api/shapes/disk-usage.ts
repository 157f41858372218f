// GET /system/df on the wire, per API version as dockerd answers:
//
//   < 1.42   every kind, whatever `type` says
//   < 1.52   the legacy shape: LayersSize, Images, Containers, Volumes, BuildCache
//   >= 1.52  ImageUsage, ContainerUsage, VolumeUsage, BuildCacheUsage (counts,
//            sizes, reclaimable, Items); the legacy fields too unless the
//            client said `verbose` (so it knows the new shape)
//
// A kind that was not asked for is left out of both shapes.

import {
  buildCacheSummary, containersSummary, imagesSummary, volumesSummary,
  type BuildCacheItem, type DiskUsage, type DiskUsageKind, type UsageSummary,
} from '../../core/disk-usage.ts';
import { invalid } from '../../core/errors.ts';
import { versionBelow } from '../version.ts';
import { toSummary } from './containers.ts';
import { toImageSummary } from './images.ts';
import { toDockerVolume } from './volumes.ts';

const KINDS: readonly DiskUsageKind[] = ['container', 'image', 'volume', 'build-cache'];

/** The kinds a request asks for: every one before 1.42 or without `type`. */
export function diskUsageKinds(types: string[], version: string): Set<DiskUsageKind> {
  if (versionBelow(version, '1.42') || types.length === 0) return new Set(KINDS);
  const out = new Set<DiskUsageKind>();
  for (const t of types) {
    if (!(KINDS as readonly string[]).includes(t)) throw invalid(`unknown object type: ${t}`);
    out.add(t as DiskUsageKind);
  }
  return out;
}

function toCacheRecord(b: BuildCacheItem, version: string): Record<string, unknown> {
  return {
    ID: b.id,
    ...(versionBelow(version, '1.42') ? { Parent: '' } : { Parents: null }),
    Type: b.type,
    Description: b.description,
    InUse: b.inUse,
    Shared: b.shared,
    Size: b.size,
    CreatedAt: b.createdAt,
    LastUsedAt: b.lastUsedAt,
    UsageCount: b.usageCount,
  };
}

const usage = (s: UsageSummary, items: unknown[]) => ({
  ActiveCount: s.activeCount, TotalCount: s.totalCount, Reclaimable: s.reclaimable, TotalSize: s.totalSize, Items: items,
});

export function toDiskUsage(du: DiskUsage, version: string, verbose: boolean): Record<string, unknown> {
  const images = du.images?.items.map((i) => ({ ...toImageSummary(i.image, version), Containers: i.containers, SharedSize: i.sharedSize }));
  const containers = du.containers?.map((c) => toSummary(c, version));
  const volumes = du.volumes?.map((v) => toDockerVolume(v, v));
  const cache = du.buildCache?.map((b) => toCacheRecord(b, version));
  const out: Record<string, unknown> = {};
  const legacy = versionBelow(version, '1.52') || !verbose;
  if (legacy) {
    if (du.images?.layersSize) out.LayersSize = du.images.layersSize;
    if (images) out.Images = images;
    if (containers) out.Containers = containers;
    if (volumes) out.Volumes = volumes;
    if (cache) out.BuildCache = cache;
  }
  if (versionBelow(version, '1.52')) return out;
  if (du.images) out.ImageUsage = usage(imagesSummary(du.images), images!);
  if (du.containers) out.ContainerUsage = usage(containersSummary(du.containers), containers!);
  if (du.volumes) out.VolumeUsage = usage(volumesSummary(du.volumes), volumes!);
  if (du.buildCache) out.BuildCacheUsage = usage(buildCacheSummary(du.buildCache), cache!);
  return out;
}
