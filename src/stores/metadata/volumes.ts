// Volumes in SQLite: one row per volume, in the volume store's own table
// (component "volumes" in schema_versions), so the core schema is untouched.

import type { StatementSync } from 'node:sqlite';
import type { VolumeRecord, VolumeRepository } from '../../core/volume.ts';
import type { Database } from './database.ts';
import type { Migration } from './migrations.ts';

export const VOLUME_MIGRATIONS: Migration[] = [
  // 1: named volumes of any driver (only "local" exists).
  (db) => db.exec(`
    CREATE TABLE volumes (
      name       TEXT PRIMARY KEY,
      driver     TEXT NOT NULL,
      labels     TEXT NOT NULL,                  -- JSON object
      options    TEXT NOT NULL,                  -- JSON object (driver options)
      created_at TEXT NOT NULL                   -- RFC 3339
    );
  `),
];

interface Row { name: string; driver: string; labels: string; options: string; created_at: string }

const toRecord = (r: Row): VolumeRecord => ({
  name: r.name, driver: r.driver, labels: JSON.parse(r.labels), options: JSON.parse(r.options), createdAt: r.created_at,
});

export class SqliteVolumeRepository implements VolumeRepository {
  readonly #get: StatementSync;
  readonly #insert: StatementSync;
  readonly #list: StatementSync;
  readonly #delete: StatementSync;

  constructor(db: Database) {
    db.migrate('volumes', VOLUME_MIGRATIONS);
    const s = db.sqlite;
    this.#get = s.prepare('SELECT * FROM volumes WHERE name = ?');
    this.#insert = s.prepare('INSERT INTO volumes (name, driver, labels, options, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING');
    this.#list = s.prepare('SELECT * FROM volumes ORDER BY name');
    this.#delete = s.prepare('DELETE FROM volumes WHERE name = ?');
  }

  get(name: string): VolumeRecord | undefined {
    const row = this.#get.get(name) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  insert(rec: VolumeRecord): boolean {
    const r = this.#insert.run(rec.name, rec.driver, JSON.stringify(rec.labels), JSON.stringify(rec.options), rec.createdAt);
    return Number(r.changes) === 1;
  }

  list(): VolumeRecord[] {
    return (this.#list.all() as unknown as Row[]).map(toRecord);
  }

  delete(name: string): void {
    this.#delete.run(name);
  }
}
