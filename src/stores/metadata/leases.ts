// Leases in SQLite (component "leases" in schema_versions): what a lease
// with an expiry holds against garbage collection outlives the process that
// took it, until it is released or expires. A pull cut by a crash keeps its
// committed layers and blobs this way, so the next pull of the reference
// resumes instead of starting over (its partial downloads are keyed ingests,
// kept as long: see stores/content.ts).

import type { StatementSync } from 'node:sqlite';
import type { Database } from './database.ts';
import type { Migration } from './migrations.ts';

export const LEASE_MIGRATIONS: Migration[] = [
  // 1: leases and the keys (blob digests, layer chain IDs) each holds.
  (db) => db.exec(`
    CREATE TABLE leases (
      id         TEXT PRIMARY KEY,
      label      TEXT NOT NULL,                  -- what took it: "pull docker.io/library/busybox:latest"
      created_at INTEGER NOT NULL,               -- unix ms
      expires_at INTEGER NOT NULL                -- unix ms; collected after this
    );
    CREATE INDEX leases_label ON leases(label);
    CREATE TABLE lease_keys (
      lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
      key      TEXT NOT NULL,
      PRIMARY KEY (lease_id, key)
    );
  `),
];

export interface LeaseRow {
  id: string;
  label: string;
  createdAt: number;
  expiresAt: number;
  keys: string[];
}

export interface LeaseRepository {
  put(lease: LeaseRow): void;
  delete(id: string): void;
  list(): LeaseRow[];
}

export class SqliteLeaseRepository implements LeaseRepository {
  readonly #db: Database;
  readonly #insert: StatementSync;
  readonly #insertKey: StatementSync;
  readonly #delete: StatementSync;
  readonly #list: StatementSync;

  constructor(db: Database) {
    db.migrate('leases', LEASE_MIGRATIONS);
    const s = db.sqlite;
    this.#db = db;
    this.#insert = s.prepare('INSERT INTO leases (id, label, created_at, expires_at) VALUES (?, ?, ?, ?)');
    this.#insertKey = s.prepare('INSERT OR IGNORE INTO lease_keys (lease_id, key) VALUES (?, ?)');
    this.#delete = s.prepare('DELETE FROM leases WHERE id = ?');
    this.#list = s.prepare(`SELECT l.id, l.label, l.created_at, l.expires_at, k.key FROM leases l
      LEFT JOIN lease_keys k ON k.lease_id = l.id ORDER BY l.created_at, l.id`);
  }

  put(lease: LeaseRow): void {
    this.#db.transaction(() => {
      this.#insert.run(lease.id, lease.label, lease.createdAt, lease.expiresAt);
      for (const k of lease.keys) this.#insertKey.run(lease.id, k);
    });
  }

  delete(id: string): void {
    this.#db.transaction(() => this.#delete.run(id));
  }

  list(): LeaseRow[] {
    const out = new Map<string, LeaseRow>();
    for (const r of this.#list.all() as Array<{ id: string; label: string; created_at: number; expires_at: number; key: string | null }>) {
      let l = out.get(r.id);
      if (!l) out.set(r.id, l = { id: r.id, label: r.label, createdAt: r.created_at, expiresAt: r.expires_at, keys: [] });
      if (r.key !== null) l.keys.push(r.key);
    }
    return [...out.values()];
  }
}
