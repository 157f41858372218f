// Containers in SQLite: one row per container, the record as JSON, the name
// UNIQUE so two containers can never hold one name, even across a crash.
// Beside the table, an in-memory copy of every record (loaded once, then
// kept by put and delete, dropped when a transaction rolls back) serves the
// readers that look at all containers per request (`ps`, the stats sampler,
// `info`, volume references) without a read and a JSON parse per record.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ContainerRecord } from '../../core/container.ts';
import type { ContainerRepository } from '../../core/metadata.ts';
import { conflict, invalid, notFound } from '../../core/errors.ts';

const SQLITE_CONSTRAINT_UNIQUE = 2067;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;

export class SqliteContainerRepository implements ContainerRepository {
  readonly #put: StatementSync;
  readonly #get: StatementSync;
  readonly #byName: StatementSync;
  readonly #byPrefix: StatementSync;
  readonly #list: StatementSync;
  readonly #delete: StatementSync;
  /** id -> record, in rowid order (an update keeps its row, a new one comes last); undefined until first read. */
  #shared: Map<string, Readonly<ContainerRecord>> | undefined;

  constructor(db: DatabaseSync) {
    this.#put = db.prepare(`INSERT INTO containers (id, name, image_id, record) VALUES (?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET name = excluded.name, image_id = excluded.image_id, record = excluded.record`);
    this.#get = db.prepare('SELECT record FROM containers WHERE id = ?');
    this.#byName = db.prepare('SELECT id FROM containers WHERE name = ?');
    // IDs are lowercase hex, so a hex-only prefix needs no LIKE escaping.
    this.#byPrefix = db.prepare("SELECT id FROM containers WHERE id LIKE ? || '%' LIMIT 2");
    this.#list = db.prepare('SELECT record FROM containers ORDER BY rowid');
    this.#delete = db.prepare('DELETE FROM containers WHERE id = ?');
  }

  put(rec: ContainerRecord): void {
    const json = JSON.stringify(rec);
    try {
      this.#put.run(rec.id, rec.name, rec.imageId, json);
      // A private copy: the caller may go on changing its object without putting it.
      this.#shared?.set(rec.id, JSON.parse(json) as ContainerRecord);
    } catch (err) {
      const code = (err as { errcode?: number }).errcode;
      if (code === SQLITE_CONSTRAINT_UNIQUE || code === SQLITE_CONSTRAINT_PRIMARYKEY) {
        const holder = this.byName(rec.name) ?? '';
        throw conflict(`Conflict. The container name "/${rec.name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
      throw err;
    }
  }

  get(id: string): ContainerRecord | undefined {
    const row = this.#get.get(id) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as ContainerRecord) : undefined;
  }

  // Docker's order: exact ID, then exact name, then unique ID prefix.
  resolve(ref: string): ContainerRecord {
    if (ref === '') throw notFound('No such container: ');
    const exact = this.get(ref);
    if (exact) return exact;
    const byName = this.byName(ref);
    if (byName) return this.get(byName)!;
    if (/^[a-f0-9]+$/.test(ref)) {
      const rows = this.#byPrefix.all(ref) as Array<{ id: string }>;
      if (rows.length > 1) throw invalid(`multiple IDs found with provided prefix: ${ref}`);
      if (rows.length === 1) return this.get(rows[0].id)!;
    }
    throw notFound(`No such container: ${ref}`);
  }

  byName(name: string): string | undefined {
    const n = name.startsWith('/') ? name.slice(1) : name;
    const row = this.#byName.get(n) as { id: string } | undefined;
    return row?.id;
  }

  list(): ContainerRecord[] {
    return (this.#list.all() as Array<{ record: string }>).map((r) => JSON.parse(r.record) as ContainerRecord);
  }

  listShared(): ReadonlyArray<Readonly<ContainerRecord>> {
    if (!this.#shared) {
      this.#shared = new Map();
      for (const r of this.list()) this.#shared.set(r.id, r);
    }
    return [...this.#shared.values()];
  }

  /** Drops the in-memory copy (a transaction rolled back: the table is the truth); reloaded on the next read. */
  forget(): void {
    this.#shared = undefined;
  }

  delete(id: string): void {
    this.#delete.run(id);
    this.#shared?.delete(id);
  }
}
