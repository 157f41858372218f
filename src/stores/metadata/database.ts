// The metadata database: one SQLite file (node:sqlite) in WAL mode, its
// schema brought up to date on open. Repositories are synchronous, and so
// is transaction(): a short synchronous transaction cannot interleave with
// other requests on Node's single thread.

import * as fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { ContainerRepository } from '../../core/metadata.ts';
import { internal } from '../../core/errors.ts';
import { SqliteContainerRepository } from './containers.ts';
import { SqliteImageRepository, type ImageRepository } from './images.ts';
import { migrate, migrateComponent, MIGRATIONS, type Migration } from './migrations.ts';

export interface Database {
  readonly containers: ContainerRepository;
  readonly images: ImageRepository;
  /** Runs fn in a transaction (a savepoint when nested); rolls back if it throws. fn must be synchronous. */
  transaction<T>(fn: () => T): T;
  close(): void;
  /**
   * Creates or updates another store's own tables (networks, volumes...):
   * migrations run once each, in order, versioned per component.
   */
  migrate(component: string, migrations: Migration[]): void;
  /** The connection itself, for stores that keep their own tables (after migrate). */
  readonly sqlite: DatabaseSync;
  /** Schema version after migrations. */
  readonly schemaVersion: number;
}

class SqliteDatabase implements Database {
  readonly sqlite: DatabaseSync;
  readonly containers: SqliteContainerRepository;
  readonly images: ImageRepository;
  readonly schemaVersion: number;
  #depth = 0;

  constructor(file: string, migrations: Migration[]) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.sqlite = new DatabaseSync(file);
    try {
      this.sqlite.exec('PRAGMA journal_mode = WAL');
      // NORMAL in WAL mode: never corrupt, may lose the last commits on power loss.
      this.sqlite.exec('PRAGMA synchronous = NORMAL');
      this.sqlite.exec('PRAGMA foreign_keys = ON');
      this.sqlite.exec('PRAGMA busy_timeout = 5000');
      this.schemaVersion = migrate(this.sqlite, migrations);
    } catch (err) {
      this.sqlite.close();
      throw err;
    }
    nameFullDisk(this.sqlite, file);
    this.containers = new SqliteContainerRepository(this.sqlite);
    this.images = new SqliteImageRepository(this.sqlite);
  }

  transaction<T>(fn: () => T): T {
    const nested = this.#depth > 0;
    const sp = `sp${this.#depth}`;
    this.sqlite.exec(nested ? `SAVEPOINT ${sp}` : 'BEGIN IMMEDIATE');
    this.#depth++;
    let result: T;
    try {
      result = fn();
      if (result instanceof Promise) throw internal('transaction callback must be synchronous');
      this.sqlite.exec(nested ? `RELEASE ${sp}` : 'COMMIT');
    } catch (err) {
      // SQLite rolls the whole transaction back by itself on some errors (SQLITE_FULL,
      // SQLITE_IOERR, ...): a ROLLBACK then fails and would hide the error that matters.
      if (this.sqlite.isTransaction) this.sqlite.exec(nested ? `ROLLBACK TO ${sp}; RELEASE ${sp}` : 'ROLLBACK');
      this.containers.forget();
      throw err;
    } finally {
      this.#depth--;
    }
    return result;
  }

  migrate(component: string, migrations: Migration[]): void {
    if (this.#depth > 0) throw internal('migrate() inside a transaction');
    migrateComponent(this.sqlite, component, migrations);
  }

  close(): void {
    if (this.sqlite.isOpen) this.sqlite.close();
  }
}

const SQLITE_FULL = 13;
const SQLITE_IOERR = 10;

/**
 * SQLite says "database or disk is full" without saying which: every write
 * (statements and exec) rethrows a full disk or an I/O error naming the
 * database file, in the words of the other failed writes ("write <path>:
 * no space left on device").
 */
function nameFullDisk(db: DatabaseSync, file: string): void {
  const named = (err: unknown): unknown => {
    const code = (err as { errcode?: number } | null)?.errcode;
    if (code === undefined || !(err instanceof Error)) return err;
    const primary = code & 0xff;
    if (primary === SQLITE_FULL) err.message = `write ${file}: no space left on device (the metadata database could not grow)`;
    else if (primary === SQLITE_IOERR) err.message = `write ${file}: ${err.message}`;
    return err;
  };
  const guard = <A extends unknown[], R>(fn: (...a: A) => R) => (...a: A): R => {
    try {
      return fn(...a);
    } catch (err) {
      throw named(err);
    }
  };
  const prepare = db.prepare.bind(db);
  db.prepare = (sql: string): StatementSync => {
    const st = prepare(sql);
    st.run = guard(st.run.bind(st) as (...a: unknown[]) => ReturnType<StatementSync['run']>) as StatementSync['run'];
    return st;
  };
  db.exec = guard(db.exec.bind(db));
}

/** Opens (creating if needed) the metadata database at path. */
export function openDatabase(file: string, migrations: Migration[] = MIGRATIONS): Database {
  return new SqliteDatabase(file, migrations);
}
