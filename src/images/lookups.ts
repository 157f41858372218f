// Questions about what the stored images hold, for pull, push and load.

import type { Database } from '../stores/metadata.ts';
import type { LayerRecord } from '../stores/metadata/images.ts';

/** Every stored layer with this diffID, in the images' order. */
export function layersWithDiffId(db: Database, diffId: string): LayerRecord[] {
  const out: LayerRecord[] = [];
  for (const r of db.images.list()) {
    const l = r.layers.find((x) => x.diffId === diffId);
    if (l) out.push(l);
  }
  return out;
}

/** Normalized repo digests of the images holding a blob (where it came from, for mounts). */
export function reposWithBlob(db: Database, digest: string): string[] {
  const out: string[] = [];
  for (const r of db.images.list()) {
    if (r.layers.some((l) => l.digest === digest)) out.push(...db.images.digestsOf(r.id));
  }
  return out;
}
