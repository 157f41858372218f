// Schema migrations. The database's PRAGMA user_version is the number of
// core migrations applied; each runs once, in its own transaction, in order.
// Append new migrations at the end; never edit or reorder applied ones.
//
// Other stores (networks, volumes...) keep their tables apart: they call
// db.migrate("<component>", theirMigrations), versioned in schema_versions.

import type { DatabaseSync } from 'node:sqlite';
import { unavailable } from '../../core/errors.ts';

export type Migration = (db: DatabaseSync) => void;

export const MIGRATIONS: Migration[] = [
  // 1: images, their tags and repo digests, containers.
  (db) => db.exec(`
    CREATE TABLE images (
      id              TEXT PRIMARY KEY,          -- "sha256:<hex>" of the config blob
      manifest_digest TEXT NOT NULL,
      created         TEXT NOT NULL,             -- RFC 3339, from the config
      size            INTEGER NOT NULL,          -- uncompressed bytes of all layers
      config          TEXT NOT NULL,             -- the OCI image config JSON
      chain_id        TEXT,                      -- top layer; NULL without layers
      parent          TEXT NOT NULL DEFAULT '',
      layers          TEXT NOT NULL,             -- JSON LayerRecord[] (blob digest, diffID, sizes)
      added           INTEGER NOT NULL           -- unix ms, insertion order
    );
    CREATE INDEX images_parent ON images(parent);
    CREATE TABLE tags (
      reference TEXT PRIMARY KEY,                -- normalized "docker.io/library/busybox:latest"
      image_id  TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
    );
    CREATE INDEX tags_image ON tags(image_id);
    CREATE TABLE repo_digests (
      reference TEXT PRIMARY KEY,                -- normalized "docker.io/library/busybox@sha256:..."
      image_id  TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
    );
    CREATE INDEX repo_digests_image ON repo_digests(image_id);
    CREATE TABLE containers (
      id       TEXT PRIMARY KEY,
      name     TEXT NOT NULL UNIQUE,             -- without the leading "/"
      image_id TEXT NOT NULL,
      record   TEXT NOT NULL                     -- JSON ContainerRecord
    );
    CREATE INDEX containers_image ON containers(image_id);
  `),
];

/** Brings a component's tables up to date (versions kept in schema_versions). */
export function migrateComponent(db: DatabaseSync, component: string, migrations: Migration[]): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as { version: number } | undefined;
  const current = row?.version ?? 0;
  if (current > migrations.length) {
    throw unavailable(`metadata schema of ${component} is at version ${current}, newer than this berth supports (${migrations.length})`);
  }
  const set = db.prepare('INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version');
  for (let v = current; v < migrations.length; v++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      migrations[v](db);
      set.run(component, v + 1);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
  return migrations.length;
}

/** Brings the core schema up to date; refuses a database written by a newer berth. */
export function migrate(db: DatabaseSync, migrations: Migration[] = MIGRATIONS): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  const current = row.user_version;
  if (current > migrations.length) {
    throw unavailable(`metadata schema version ${current} is newer than this berth supports (${migrations.length})`);
  }
  for (let v = current; v < migrations.length; v++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      migrations[v](db);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
  return migrations.length;
}
