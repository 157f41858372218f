// The build cache as `system df` lists it. The classic builder's step cache
// is made of ordinary untagged images (counted with the images, as
// dockerd's classic builder does); what is the builder's own is the
// RUN --mount=type=cache directories, listed as BuildKit lists its
// cache mounts ("exec.cachemount").

import * as fs from 'node:fs';
import type { BuildCacheItem } from '../core/disk-usage.ts';
import { diskUsage } from '../stores/snapshots/tree.ts';

export async function cacheMountUsage(builderRoot: string): Promise<BuildCacheItem[]> {
  const dir = `${builderRoot}/cache-mounts`;
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return []; }
  const out: BuildCacheItem[] = [];
  for (const id of names.sort().filter((n) => !n.startsWith('.new-'))) {
    let st: fs.Stats;
    try { st = fs.statSync(`${dir}/${id}`); } catch { continue; }
    out.push({
      id, type: 'exec.cachemount', description: 'cached mount (RUN --mount=type=cache)', inUse: false, shared: false,
      size: await diskUsage(`${dir}/${id}`),
      createdAt: st.birthtime.getTime() > 0 ? st.birthtime.toISOString() : st.ctime.toISOString(),
      // Its directory changes whenever a build adds or removes a top-level entry: the nearest record of use berth keeps.
      lastUsedAt: st.mtime.toISOString(),
      usageCount: 0,
    });
  }
  return out;
}
