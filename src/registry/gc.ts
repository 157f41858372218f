// Registry garbage collection, safe while the registry serves pushes, pulls
// and deletes (the reference registry needs read-only mode for it).
//
// What stays: every manifest some repository holds (tagged or not: an
// untagged manifest is still pullable by digest) and every blob a manifest
// names; a blob linked (pushed or mounted) within the grace period, whose
// manifest may still be on its way; any blob file written within the grace
// period (an upload committing right now). Everything else in the content
// store goes, with its links.
//
// Why it never takes a referenced blob, even with a push racing it:
//   - the final check and the unlink of each candidate happen inside one
//     index write transaction (SQLite's lock: across processes too, so
//     `berth registry gc` may run beside `serve`), with the file's mtime
//     read there: a blob re-uploaded since has a fresh mtime (the content
//     store renames every verified upload into place);
//   - a manifest PUT checks again, inside its own write transaction, that
//     every blob it names is still linked and on disk before recording
//     it; so either the manifest is recorded first (and the blob is then
//     referenced, so kept) or the blob went first (and the PUT answers
//     MANIFEST_BLOB_UNKNOWN, and the client pushes the blob again);
//   - an upload's commit links its blob in a transaction that checks the
//     file is there.
// Ingest files (uploads in progress) are never touched.

import * as fs from 'node:fs';
import type { FileContentStore } from '../stores/content.ts';
import type { RegistryIndex } from './index-db.ts';

export interface GcOptions {
  /** Report what would go, remove nothing. */
  dryRun?: boolean;
  /** Blobs linked or written less than this long ago stay (default 1 h). */
  graceMs?: number;
  /** Each blob removed (or that would be). */
  onBlob?: (digest: string, size: number) => void;
  now?: number;
}

export interface GcReport {
  blobs: number;
  bytes: number;
  /** Blobs examined (everything in the content store). */
  examined: number;
}

export const DEFAULT_GC_GRACE_MS = 3600_000;

export async function collectGarbage(content: FileContentStore, index: RegistryIndex, o: GcOptions = {}): Promise<GcReport> {
  const cutoff = (o.now ?? Date.now()) - (o.graceMs ?? DEFAULT_GC_GRACE_MS);
  const referenced = index.referencedDigests();
  const recent = index.recentLinks(cutoff);
  const all = await content.list();
  const report: GcReport = { blobs: 0, bytes: 0, examined: all.length };
  for (const b of all) {
    if (referenced.has(b.digest) || recent.has(b.digest)) continue;
    const path = content.path(b.digest);
    const gone = () => {
      // Checked again where nothing can change it meanwhile.
      if (index.isReferenced(b.digest) || index.linkedSince(b.digest, cutoff)) return null;
      const st = fs.statSync(path, { throwIfNoEntry: false });
      if (!st || st.mtimeMs >= cutoff) return null;
      if (!o.dryRun) {
        fs.rmSync(path, { force: true });
        index.dropLinksTo(b.digest);
      }
      return st.size;
    };
    const size = o.dryRun ? gone() : index.transaction(gone);
    if (size === null) continue;
    report.blobs++;
    report.bytes += size;
    o.onBlob?.(b.digest, size);
    // Let requests in between: a long collection must not stall the server it runs in.
    await new Promise((r) => setImmediate(r));
  }
  return report;
}

/** Runs collections every intervalMs inside a serving process; returns a stop function. */
export function scheduleGc(run: () => Promise<void>, intervalMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void run().finally(() => { running = false; });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
