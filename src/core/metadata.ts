// Metadata lives in one SQLite database (node:sqlite, WAL) under the data
// root. Repositories are synchronous: node:sqlite is, and a short
// synchronous transaction cannot interleave with other requests.
// Rule: commit metadata first, then clean the filesystem.

import type { ContainerRecord } from './container.ts';

export interface ContainerRepository {
  /** Inserts or replaces the record. Throws conflict "name in use" if another container has the same name. */
  put(rec: ContainerRecord): void;
  get(id: string): ContainerRecord | undefined;
  /** By full ID, unique ID prefix or name (with or without leading "/"). Throws not_found "No such container: <ref>". */
  resolve(ref: string): ContainerRecord;
  /** The ID of the container holding this name, if any. */
  byName(name: string): string | undefined;
  /** Every record, fresh copies the caller may change and put. */
  list(): ContainerRecord[];
  /**
   * Every record in creation order, from a copy kept in memory by put and
   * delete: for readers of all containers per request (ps, stats, info).
   * Shared between callers: never change them (get() a record to change it).
   */
  listShared(): ReadonlyArray<Readonly<ContainerRecord>>;
  delete(id: string): void;
}
