// Finding an image by what a user typed: full ID, short ID prefix, name,
// name:tag or name@digest (Docker's GetImage order: ID, reference, prefix).

import { invalid, notFound } from '../core/errors.ts';
import type { Database } from '../stores/metadata.ts';
import type { ImageRow } from '../stores/metadata/images.ts';
import { familiarString, parseNormalized, refString, type Reference } from './reference.ts';

const FULL_ID = /^(?:sha256:)?([a-f0-9]{64})$/;
const ID_PREFIX = /^(?:sha256:)?([a-f0-9]+)$/;

export function resolveRow(db: Database, ref: string): ImageRow {
  const row = findRow(db, ref);
  if (!row) throw notFound(`No such image: ${displayRef(ref)}`);
  return row;
}

/** How Docker names a missing image: a name gets its default tag ("busybox:latest"). */
function displayRef(ref: string): string {
  if (FULL_ID.test(ref)) return ref;
  try {
    const r = parseNormalized(ref);
    if (r.tag === undefined && !r.digest) r.tag = 'latest';
    return familiarString(r);
  } catch {
    return ref;
  }
}

export function findRow(db: Database, ref: string): ImageRow | undefined {
  if (ref === '') return undefined;
  const full = FULL_ID.exec(ref);
  if (full) return db.images.get(`sha256:${full[1]}`);
  let parsed: Reference | null = null;
  try {
    parsed = parseNormalized(ref);
  } catch (err) {
    // Not a name: only an ID prefix like "sha256:abc" can still match.
    if (!ID_PREFIX.test(ref)) throw err;
  }
  if (parsed) {
    const id = parsed.digest
      ? db.images.digestTarget(refString({ domain: parsed.domain, path: parsed.path, digest: parsed.digest }))
      : db.images.tagTarget(refString({ ...parsed, tag: parsed.tag ?? 'latest' }));
    if (id) return db.images.get(id);
  }
  const prefix = ID_PREFIX.exec(ref);
  if (prefix) {
    const ids = db.images.byPrefix(prefix[1], 2);
    if (ids.length > 1) throw invalid(`multiple IDs found with provided prefix: ${ref}`);
    if (ids.length === 1) return db.images.get(ids[0]);
  }
  return undefined;
}

/** Docker's isImageIDPrefix: the user named the image by (a prefix of) its ID. */
export function isIdPrefix(imageId: string, ref: string): boolean {
  return imageId.startsWith(ref) || imageId.slice('sha256:'.length).startsWith(ref);
}
