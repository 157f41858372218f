// Garbage collection by reachability: a layer or blob survives when some
// image row reaches it or a lease holds it: work in flight, or a cut pull's
// until its lease expires (leases with an expiry live in the metadata).
// Runs under the image service's mutex, always after the metadata commit
// (containerd's rule: commit metadata, then clean the filesystem).

import type { Logger } from '../core/logger.ts';
import type { Snapshotter } from '../core/snapshot.ts';
import { isCode } from '../core/errors.ts';
import type { ContentStore } from '../stores/content.ts';
import type { Database } from '../stores/metadata.ts';
import { canList } from '../stores/snapshots/index.ts';
import { imageRoots } from './records.ts';
import type { Leases } from './leases.ts';

/** Serializes async critical sections (a promise chain). */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => {});
    return next;
  }
}

export interface GcDeps {
  db: Database;
  content: ContentStore;
  snapshotter: Snapshotter;
  leases: Leases;
  logger: Logger;
  /** Layers a collection had to keep because a container snapshot sat on them; retried next time. */
  deferred?: Set<string>;
}

function reachable(db: Database): { chainIds: Set<string>; blobs: Set<string> } {
  const chainIds = new Set<string>();
  const blobs = new Set<string>();
  for (const row of db.images.list()) {
    const r = imageRoots(row);
    for (const c of r.chainIds) chainIds.add(c);
    for (const b of r.blobs) blobs.add(b);
  }
  return { chainIds, blobs };
}

/**
 * Removes the candidates nothing reaches. chainIds must be listed child
 * before parent (top layer first). Returns what was removed.
 */
export async function collect(deps: GcDeps, candidates: { chainIds: string[]; blobs: string[] }): Promise<{ chainIds: string[]; blobs: string[] }> {
  const live = reachable(deps.db);
  const removed = { chainIds: [] as string[], blobs: [] as string[] };
  for (const c of new Set(candidates.chainIds)) {
    deps.deferred?.delete(c);
    if (live.chainIds.has(c) || deps.leases.has(c)) continue;
    try {
      if (!(await deps.snapshotter.hasLayer(c))) continue;
      await deps.snapshotter.removeLayer(c);
      removed.chainIds.push(c);
    } catch (err) {
      // In use by a container's snapshot (after a forced removal): retried by later collections.
      if (!isCode(err, 'conflict')) throw err;
      deps.deferred?.add(c);
      deps.logger.debug('layer kept: still in use', { chainId: c, reason: (err as Error).message });
    }
  }
  for (const b of new Set(candidates.blobs)) {
    if (live.blobs.has(b) || deps.leases.has(b)) continue;
    if (!(await deps.content.has(b))) continue;
    await deps.content.delete(b);
    removed.blobs.push(b);
  }
  return removed;
}

/**
 * Full sweep: every layer and blob no image reaches and no unexpired lease
 * holds (expired leases are forgotten first). For daemon start, before
 * anything is in flight.
 */
export async function sweep(deps: GcDeps): Promise<{ chainIds: string[]; blobs: string[] }> {
  deps.leases.expire();
  const blobs = (await deps.content.list()).map((b) => b.digest);
  const chainIds = canList(deps.snapshotter) ? await deps.snapshotter.listLayers() : [];
  return collectUnordered(deps, chainIds, blobs);
}

/**
 * collect() for candidates in no known order (a sweep, a lease's keys,
 * where chain IDs and digests are mixed): repeats while children disappear
 * and free their parents.
 */
export async function collectUnordered(deps: GcDeps, chainIds: string[], blobs: string[]): Promise<{ chainIds: string[]; blobs: string[] }> {
  const total = { chainIds: [] as string[], blobs: [] as string[] };
  let pending = chainIds;
  for (let round = 0; round < 200 && pending.length; round++) {
    const r = await collect(deps, { chainIds: pending, blobs: round === 0 ? blobs : [] });
    total.chainIds.push(...r.chainIds);
    total.blobs.push(...r.blobs);
    if (r.chainIds.length === 0) break;
    const gone = new Set(r.chainIds);
    pending = pending.filter((c) => !gone.has(c));
  }
  if (chainIds.length === 0) total.blobs.push(...(await collect(deps, { chainIds: [], blobs })).blobs);
  return total;
}
