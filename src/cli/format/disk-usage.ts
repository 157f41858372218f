// docker system df's formatter (the docker CLI 28 one, which reads the
// legacy lists every daemon sends): one summary row per kind with the CLI's
// own arithmetic, or with -v a table per kind.
//
//   Images       active = images with containers; size = LayersSize;
//                reclaimable = LayersSize - what the used images hold alone
//   Containers   active = running, paused, restarting; size = writable layers;
//                reclaimable = the others' writable layers
//   Local Volumes active = referenced; reclaimable = unreferenced sizes
//   Build Cache  size = records not shared; reclaimable = size - in-use records
//
// Percentages are Go's integer division; sizes are go-units' HumanSize.

import type { BuildCacheRecord, ContainerSummary, DiskUsageResponse, ImageSummary } from '../../client/types.ts';
import { GO_TYPE, HTML_ESCAPED_JSON, type TypedObject } from './gofmt.ts';
import { containerContext, imageContext } from './contexts.ts';
import { humanDuration, humanSize } from './units.ts';
import { familiarName, parseNormalizedNamed, truncateId } from '../options/reference.ts';

export const SUMMARY_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
export const SUMMARY_HEADER = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
export const SUMMARY_RAW = 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n';

export interface SummaryRow {
  type: string;
  total: number;
  active: number;
  size: number;
  reclaimable: number;
  /** Build Cache prints no percentage. */
  percent: boolean;
}

const ACTIVE = new Set(['running', 'paused', 'restarting']);
const size = (n: number) => humanSize(n, 4);

export function summaryRows(du: DiskUsageResponse): SummaryRow[] {
  const images = du.Images ?? [];
  const layersSize = du.LayersSize ?? 0;
  let used = 0;
  for (const i of images) {
    if ((i.Containers ?? 0) === 0 || i.Size === -1 || (i.SharedSize ?? -1) === -1) continue;
    used += i.Size - (i.SharedSize ?? 0);
  }
  const containers = du.Containers ?? [];
  let rw = 0;
  let rwIdle = 0;
  for (const c of containers) {
    rw += c.SizeRw ?? 0;
    if (!ACTIVE.has(c.State)) rwIdle += c.SizeRw ?? 0;
  }
  const volumes = du.Volumes ?? [];
  let volSize = 0;
  let volIdle = 0;
  for (const v of volumes) {
    const u = v.UsageData;
    if (!u || u.Size === -1) continue;
    volSize += u.Size;
    if (u.RefCount === 0) volIdle += u.Size;
  }
  const cache = du.BuildCache ?? [];
  let cacheSize = 0;
  let cacheInUse = 0;
  for (const b of cache) {
    if (b.Shared) continue;
    cacheSize += b.Size;
    if (b.InUse) cacheInUse += b.Size;
  }
  return [
    { type: 'Images', total: images.length, active: images.filter((i) => (i.Containers ?? 0) > 0).length, size: layersSize, reclaimable: layersSize - used, percent: true },
    { type: 'Containers', total: containers.length, active: containers.filter((c) => ACTIVE.has(c.State)).length, size: rw, reclaimable: rwIdle, percent: true },
    { type: 'Local Volumes', total: volumes.length, active: volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length, size: volSize, reclaimable: volIdle, percent: true },
    { type: 'Build Cache', total: cache.length, active: cache.filter((b) => b.InUse).length, size: cacheSize, reclaimable: cacheSize - cacheInUse, percent: false },
  ];
}

/** The template object of one summary row (docker's diskUsage*Context). */
export function summaryContext(r: SummaryRow): TypedObject {
  const reclaimable = r.percent && r.size > 0
    ? `${size(r.reclaimable)} (${Math.trunc((r.reclaimable * 100) / r.size)}%)`
    : size(r.reclaimable);
  const goType = { Images: 'Images', Containers: 'Containers', 'Local Volumes': 'Volumes', 'Build Cache': 'Builder' }[r.type] ?? r.type;
  return {
    [GO_TYPE]: `*formatter.diskUsage${goType}Context`,
    [HTML_ESCAPED_JSON]: true,
    Active: String(r.active),
    Reclaimable: reclaimable,
    Size: size(r.size),
    TotalCount: String(r.total),
    Type: r.type,
  };
}

export const IMAGES_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
export const CONTAINERS_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
export const VOLUMES_TABLE = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
export const CACHE_TABLE = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';
export const CACHE_HEADER: Record<string, string> = {
  ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE',
  Shared: 'SHARED', Description: 'DESCRIPTION', InUse: 'IN USE', CreatedAt: 'CREATED AT', LastUsedAt: 'LAST USED AT', Parent: 'PARENT',
};

/** -v's images: the first tag only, <none> for an untagged one. */
export function dfImageContext(i: ImageSummary, trunc: boolean, now = Date.now()): TypedObject {
  let repo = '<none>';
  let tag = '<none>';
  const first = (i.RepoTags ?? [])[0];
  if (first && first !== '<none>:<none>') {
    try {
      const ref = parseNormalizedNamed(first);
      if (ref.tag) { repo = familiarName(ref); tag = ref.tag; }
    } catch { /* docker skips an image whose tag does not parse */ }
  }
  return imageContext({ image: i, repo, tag, digest: '' }, trunc, now);
}

/** -v's containers: the writable layer's size only (docker blanks the virtual size). */
export function dfContainerContext(c: ContainerSummary, trunc: boolean, now = Date.now()): TypedObject {
  return containerContext({ ...c, SizeRootFs: 0 }, { trunc, now });
}

const since = (iso: string, now: number) => `${humanDuration(now - Date.parse(iso))} ago`;

/** docker's buildCacheContext. */
export function buildCacheContext(b: BuildCacheRecord, trunc: boolean, now = Date.now()): TypedObject {
  const id = trunc ? truncateId(b.ID) : b.ID;
  return {
    [GO_TYPE]: '*formatter.buildCacheContext',
    [HTML_ESCAPED_JSON]: true,
    CacheType: b.Type,
    CreatedAt: b.CreatedAt,
    CreatedSince: since(b.CreatedAt, now),
    Description: b.Description ?? '',
    ID: b.InUse ? `${id}*` : id,
    InUse: String(b.InUse),
    LastUsedAt: b.LastUsedAt ?? '',
    LastUsedSince: b.LastUsedAt ? since(b.LastUsedAt, now) : '',
    Parent: '',
    Shared: String(b.Shared),
    Size: humanSize(b.Size),
    UsageCount: String(b.UsageCount),
  };
}

/** docker's buildCacheSort: never-used first, then most recently used first, else as listed. */
export function sortBuildCache(records: readonly BuildCacheRecord[]): BuildCacheRecord[] {
  return records.map((r, i) => ({ r, i })).sort((a, b) => {
    const la = a.r.LastUsedAt ? Date.parse(a.r.LastUsedAt) : null;
    const lb = b.r.LastUsedAt ? Date.parse(b.r.LastUsedAt) : null;
    if (la === null && lb === null) return a.i - b.i;
    if (la === null) return -1;
    if (lb === null) return 1;
    return la === lb ? a.i - b.i : lb - la;
  }).map((x) => x.r);
}

