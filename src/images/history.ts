// `docker history`: one entry per config history item, newest first; the
// top entry carries the image ID and tags, parent images (local builds)
// theirs, everything else "<missing>"; sizes from the non-empty layers.

import type { HistoryEntry } from '../core/image.ts';
import type { Database } from '../stores/metadata.ts';
import type { ImageRow } from '../stores/metadata/images.ts';
import { familiar } from './records.ts';

export function imageHistory(db: Database, row: ImageRow): HistoryEntry[] {
  const items = row.config.history?.length
    ? row.config.history
    : row.layers.map(() => ({ created: row.created })); // images without history: one entry per layer
  let layer = 0;
  const entries: HistoryEntry[] = items.map((h) => {
    let size = 0;
    if (!('empty_layer' in h && h.empty_layer)) {
      size = row.layers[layer]?.uncompressedSize ?? 0;
      layer++;
    }
    return {
      id: '<missing>',
      created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
      createdBy: ('created_by' in h && h.created_by) || '',
      tags: [],
      size,
      comment: ('comment' in h && h.comment) || '',
    };
  }).reverse();
  let cur: ImageRow | undefined = row;
  for (const e of entries) {
    if (!cur) break;
    e.id = cur.id;
    e.tags = db.images.tagsOf(cur.id).map(familiar);
    cur = cur.parent ? db.images.get(cur.parent) : undefined;
  }
  return entries;
}
