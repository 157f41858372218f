// `docker images` filtering: reference (glob, like Go's path.Match on the
// familiar name), dangling, label, before, since; intermediate images are
// hidden unless all.

import type { ImageFilters, ImageRecord } from '../core/image.ts';
import type { Database } from '../stores/metadata.ts';
import { familiarName, globMatch, parseNormalized } from './reference.ts';
import { toRecord } from './records.ts';
import { resolveRow } from './resolve.ts';

function matchesReference(tag: string, pattern: string): boolean {
  if (globMatch(pattern, tag)) return true;
  try {
    return globMatch(pattern, familiarName(parseNormalized(tag)));
  } catch {
    return false;
  }
}

function matchesLabels(labels: Record<string, string> | undefined, filters: string[]): boolean {
  return filters.every((f) => {
    const eq = f.indexOf('=');
    if (eq < 0) return labels !== undefined && f in labels;
    return labels?.[f.slice(0, eq)] === f.slice(eq + 1);
  });
}

export function listImages(db: Database, opts: { all?: boolean; filters?: ImageFilters }): ImageRecord[] {
  const f = opts.filters ?? {};
  const before = f.before ? Date.parse(resolveRow(db, f.before).created) : undefined;
  const since = f.since ? Date.parse(resolveRow(db, f.since).created) : undefined;
  const rows = db.images.list();
  const parents = new Set(rows.map((r) => r.parent).filter(Boolean));
  const out: ImageRecord[] = [];
  for (const row of rows) {
    const rec = toRecord(db, row);
    const untagged = rec.tags.length === 0;
    // Intermediate images (untagged parents of others) only with all.
    if (untagged && rec.digests.length === 0 && !opts.all && parents.has(row.id)) continue;
    if (f.dangling === true && !untagged) continue;
    if (f.dangling === false && untagged) continue;
    if (f.reference?.length) {
      rec.tags = rec.tags.filter((t) => f.reference!.some((p) => matchesReference(t, p)));
      rec.digests = rec.digests.filter((d) => f.reference!.some((p) => matchesReference(d, p)));
      if (rec.tags.length === 0 && rec.digests.length === 0) continue;
    }
    if (f.label?.length && !matchesLabels(row.config.config?.Labels, f.label)) continue;
    const created = Date.parse(row.created);
    if (before !== undefined && !(created < before)) continue;
    if (since !== undefined && !(created > since)) continue;
    out.push(rec);
  }
  return out.sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
}
