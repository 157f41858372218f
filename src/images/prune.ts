// `docker image prune`: which images go, decided the way dockerd decides.
//
//   - dangling only (the default): images with no tag that no other image
//     has as its parent; with `all` (dangling=false): every image;
//   - never an image a container (in any state) uses, and never an
//     untagged intermediate image that still has children;
//   - `until` (created strictly after it: kept) and `label` / `label!`;
//   - a candidate with references is removed reference by reference (with
//     dangling only, just when none of them is a tag), otherwise by ID,
//     each an ordinary non-forced removal, so the untag/delete events and
//     the layer collection are rmi's;
//   - SpaceReclaimed is the unpacked size of the layers that went.

import type { ImagePruneOptions, ImagePruneReport, RemovedImage } from '../core/image.ts';
import { isCode } from '../core/errors.ts';
import type { ImageRow } from '../stores/metadata/images.ts';
import { chainIds } from './records.ts';

export interface PruneDeps {
  rows(): ImageRow[];
  tagsOf(id: string): string[];
  digestsOf(id: string): string[];
  inUse(id: string): Promise<boolean>;
  remove(ref: string): Promise<RemovedImage[]>;
}

function labelMatches(labels: Record<string, string> | undefined, f: string): boolean {
  const eq = f.indexOf('=');
  if (eq < 0) return labels !== undefined && f in labels;
  return labels?.[f.slice(0, eq)] === f.slice(eq + 1);
}

export async function pruneImages(deps: PruneDeps, o: ImagePruneOptions): Promise<ImagePruneReport> {
  const rows = deps.rows();
  const parents = new Set(rows.map((r) => r.parent).filter(Boolean));
  const layerSizes = new Map<string, number>();
  for (const r of rows) {
    const chains = chainIds(r.config.rootfs?.diff_ids ?? []);
    r.layers.forEach((l, i) => { if (chains[i]) layerSizes.set(chains[i]!, l.uncompressedSize); });
  }
  const deleted: RemovedImage[] = [];
  for (const row of rows) {
    if (o.danglingOnly && parents.has(row.id)) continue;
    const tags = deps.tagsOf(row.id);
    const refs = [...tags, ...deps.digestsOf(row.id)];
    if (refs.length === 0 && parents.has(row.id)) continue;
    if (o.until !== undefined && Date.parse(row.created) > o.until) continue;
    const labels = row.config.config?.Labels;
    if (o.labels?.some((f) => !labelMatches(labels, f))) continue;
    if (o.labelsNot?.some((f) => labelMatches(labels, f))) continue;
    if (o.danglingOnly && tags.length) continue;
    if (await deps.inUse(row.id)) continue;
    for (const ref of refs.length ? refs : [row.id]) {
      try {
        deleted.push(...await deps.remove(ref));
      } catch (err) {
        // Gone already (an earlier reference took it), or taken into use meanwhile: dockerd skips these too.
        if (isCode(err, 'not_found') || isCode(err, 'conflict')) continue;
        throw err;
      }
    }
  }
  let spaceReclaimed = 0;
  for (const d of deleted) if (d.deleted && layerSizes.has(d.deleted)) spaceReclaimed += layerSizes.get(d.deleted)!;
  return { deleted, spaceReclaimed };
}
