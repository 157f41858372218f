import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import type { ContainerRecord } from '../../../src/core/container.ts';
import { isCode } from '../../../src/core/errors.ts';
import { MIGRATIONS, openDatabase, type Database, type ImageRow } from '../../../src/stores/metadata.ts';

function tempDb(t: { after: (fn: () => void) => void }): { db: Database; file: string } {
  const dir = mkdtempSync(`${tmpdir()}/berth-meta-`);
  const file = `${dir}/berth.db`;
  const db = openDatabase(file);
  t.after(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });
  return { db, file };
}

function ctr(id: string, name: string, imageId = `sha256:${'e'.repeat(64)}`): ContainerRecord {
  return { id, name, imageId, created: '2024-01-01T00:00:00Z', state: { status: 'created' } } as unknown as ContainerRecord;
}

function image(id: string, parent = ''): ImageRow {
  return {
    id, manifestDigest: `sha256:${'d'.repeat(64)}`, created: '2024-01-01T00:00:00Z', size: 10,
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
    chainId: null, parent, layers: [], added: Date.now(),
  };
}

const hex = (c: string, rest = '0') => c + rest.repeat(63);

describe('metadata database', () => {
  test('opens in WAL mode with the schema at the latest version, and reopens without migrating again', (t) => {
    const { db, file } = tempDb(t);
    assert.equal(db.schemaVersion, MIGRATIONS.length);
    assert.equal((db.sqlite.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    db.containers.put(ctr(hex('a'), 'keep'));
    db.close();
    const again = openDatabase(file);
    try {
      assert.equal(again.containers.get(hex('a'))?.name, 'keep');
      assert.equal((again.sqlite.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, MIGRATIONS.length);
    } finally {
      again.close();
    }
  });

  test('runs only the migrations not yet applied, and refuses a newer schema', (t) => {
    const dir = mkdtempSync(`${tmpdir()}/berth-meta-`);
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const runs: number[] = [];
    const n = MIGRATIONS.length;
    const migrations = [
      ...MIGRATIONS,
      (d: DatabaseSync) => { runs.push(1); d.exec('CREATE TABLE a (x)'); },
      (d: DatabaseSync) => { runs.push(2); d.exec('CREATE TABLE b (x)'); },
    ];
    openDatabase(`${dir}/m.db`, migrations.slice(0, n + 1)).close();
    openDatabase(`${dir}/m.db`, migrations).close();
    assert.deepEqual(runs, [1, 2]);
    assert.throws(() => openDatabase(`${dir}/m.db`, migrations.slice(0, n + 1)), (e) => isCode(e, 'unavailable'));
    // A failing migration leaves the version where it was.
    const failing = [...migrations, () => { throw new Error('boom'); }];
    assert.throws(() => openDatabase(`${dir}/m.db`, failing), /boom/);
    const raw = new DatabaseSync(`${dir}/m.db`);
    assert.equal((raw.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, n + 2);
    raw.close();
  });

  test('other stores migrate their own tables, versioned per component', (t) => {
    const { db, file } = tempDb(t);
    const runs: string[] = [];
    const volumes = [(d: DatabaseSync) => { runs.push('v1'); d.exec('CREATE TABLE volumes (name TEXT PRIMARY KEY)'); }];
    const networks = [(d: DatabaseSync) => { runs.push('n1'); d.exec('CREATE TABLE networks (id TEXT PRIMARY KEY)'); }];
    db.migrate('volumes', volumes);
    db.migrate('networks', networks);
    db.migrate('volumes', volumes);
    db.sqlite.prepare('INSERT INTO volumes VALUES (?)').run('data');
    db.close();
    const again = openDatabase(file);
    try {
      again.migrate('volumes', [...volumes, (d) => { runs.push('v2'); d.exec('ALTER TABLE volumes ADD COLUMN driver TEXT'); }]);
      assert.deepEqual(runs, ['v1', 'n1', 'v2']);
      assert.deepEqual(again.sqlite.prepare('SELECT name, driver FROM volumes').all().map((r) => ({ ...r })), [{ name: 'data', driver: null }]);
      assert.throws(() => again.migrate('networks', []), (e) => isCode(e, 'unavailable'));
    } finally {
      again.close();
    }
  });

  test('transactions roll back on error, nest as savepoints, and refuse async callbacks', (t) => {
    const { db } = tempDb(t);
    assert.throws(() => db.transaction(() => {
      db.containers.put(ctr(hex('a'), 'one'));
      throw new Error('abort');
    }), /abort/);
    assert.equal(db.containers.get(hex('a')), undefined);
    db.transaction(() => {
      db.containers.put(ctr(hex('b'), 'outer'));
      assert.throws(() => db.transaction(() => { db.containers.put(ctr(hex('c'), 'inner')); throw new Error('inner'); }));
    });
    assert.equal(db.containers.get(hex('b'))?.name, 'outer');
    assert.equal(db.containers.get(hex('c')), undefined);
    assert.throws(() => db.transaction(() => Promise.resolve(1) as unknown as number), /synchronous/);
    assert.equal(db.sqlite.isTransaction, false);
  });

  test('a transaction SQLite rolled back itself (a full database) fails with that error, not a failed ROLLBACK', (t) => {
    const { db } = tempDb(t);
    db.sqlite.exec('CREATE TABLE filler (x BLOB)');
    const pages = (db.sqlite.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
    db.sqlite.exec(`PRAGMA max_page_count = ${pages + 4}`);
    const fill = () => { for (let i = 0; i < 100; i++) db.sqlite.prepare('INSERT INTO filler VALUES (?)').run(Buffer.alloc(4000)); };
    assert.throws(() => db.transaction(fill), /no space left on device \(the metadata database could not grow\)/);
    assert.throws(() => db.transaction(() => db.transaction(fill)), /no space left on device \(the metadata database could not grow\)/, 'nested too');
    assert.equal(db.sqlite.isTransaction, false);
    db.sqlite.exec('DELETE FROM filler');
    db.transaction(() => db.containers.put(ctr(hex('d'), 'after')));
    assert.equal(db.containers.get(hex('d'))?.name, 'after');
  });

  test('container names are unique, with Docker\'s conflict message', (t) => {
    const { db } = tempDb(t);
    db.containers.put(ctr(hex('a'), 'web'));
    assert.throws(() => db.containers.put(ctr(hex('b'), 'web')), (e) => isCode(e, 'conflict')
      && (e as Error).message === `Conflict. The container name "/web" is already in use by container "${hex('a')}". You have to remove (or rename) that container to be able to reuse that name.`);
    // Updating the holder itself is fine, and renaming frees the old name.
    db.containers.put({ ...ctr(hex('a'), 'web2') });
    db.containers.put(ctr(hex('b'), 'web'));
    assert.equal(db.containers.byName('/web'), hex('b'));
    assert.equal(db.containers.byName('web2'), hex('a'));
    assert.deepEqual(db.containers.list().map((c) => c.name), ['web2', 'web']);
    db.containers.delete(hex('a'));
    assert.equal(db.containers.get(hex('a')), undefined);
  });

  test('resolve: full ID, name with or without "/", unique prefix; ambiguity and absence', (t) => {
    const { db } = tempDb(t);
    const a = `abc1${'0'.repeat(60)}`;
    const b = `abc2${'0'.repeat(60)}`;
    db.containers.put(ctr(a, 'first'));
    db.containers.put(ctr(b, 'second'));
    assert.equal(db.containers.resolve(a).name, 'first');
    assert.equal(db.containers.resolve('first').id, a);
    assert.equal(db.containers.resolve('/second').id, b);
    assert.equal(db.containers.resolve('abc2').id, b);
    assert.throws(() => db.containers.resolve('abc'), (e) => isCode(e, 'invalid_argument') && /multiple IDs found with provided prefix: abc/.test((e as Error).message));
    assert.throws(() => db.containers.resolve('nothing'), (e) => isCode(e, 'not_found') && (e as Error).message === 'No such container: nothing');
    assert.throws(() => db.containers.resolve('abc%'), (e) => isCode(e, 'not_found'));
    // A name wins over an ID prefix, as in Docker.
    db.containers.put(ctr(`f${'1'.repeat(63)}`, 'abc1'));
    assert.equal(db.containers.resolve('abc1').name, 'abc1');
  });

  test('listShared: an in-memory copy kept by put and delete, private from callers, reloaded after a rollback', (t) => {
    const { db } = tempDb(t);
    const a = ctr(hex('a'), 'a');
    db.containers.put(a);
    db.containers.put(ctr(hex('b'), 'b'));
    assert.deepEqual(db.containers.listShared().map((r) => r.name), ['a', 'b']);
    // A caller's object changed without a put does not leak into the copy.
    (a as { name: string }).name = 'changed-not-put';
    assert.equal(db.containers.listShared()[0]!.name, 'a');
    // An update keeps its place (rowid order, as list()); a new record comes last; a delete goes.
    db.containers.put({ ...ctr(hex('a'), 'a2'), state: { status: 'running' } } as unknown as ContainerRecord);
    db.containers.put(ctr(hex('c'), 'c'));
    db.containers.delete(hex('b'));
    assert.deepEqual(db.containers.listShared().map((r) => `${r.name}:${r.state.status}`), ['a2:running', 'c:created']);
    assert.deepEqual(db.containers.listShared().map((r) => r.id), db.containers.list().map((r) => r.id));
    // A put inside a transaction that rolls back is not in the copy either.
    assert.throws(() => db.transaction(() => {
      db.containers.put(ctr(hex('d'), 'd'));
      db.containers.delete(hex('c'));
      assert.equal(db.containers.listShared().length, 2);
      throw new Error('boom');
    }), /boom/);
    assert.deepEqual(db.containers.listShared().map((r) => r.name), ['a2', 'c']);
    // A failed put (name conflict) changes nothing.
    assert.throws(() => db.containers.put(ctr(hex('e'), 'c')), /already in use/);
    assert.deepEqual(db.containers.listShared().map((r) => r.name), ['a2', 'c']);
  });

  test('images, tags and digests: set, move, remove, cascade, prefix search', (t) => {
    const { db } = tempDb(t);
    const i1 = `sha256:${hex('1')}`;
    const i2 = `sha256:${hex('1', '2')}`;
    db.images.put(image(i1));
    db.images.put(image(i2, i1));
    assert.equal(db.images.setTag('docker.io/library/busybox:latest', i1), undefined);
    assert.equal(db.images.setTag('docker.io/library/busybox:latest', i2), i1, 'moving a tag reports the old target');
    db.images.setTag('docker.io/library/busybox:1', i2);
    db.images.addDigest(`docker.io/library/busybox@sha256:${hex('9')}`, i2);
    assert.deepEqual(db.images.tagsOf(i2), ['docker.io/library/busybox:1', 'docker.io/library/busybox:latest']);
    assert.deepEqual(db.images.tagsOf(i1), []);
    assert.deepEqual(db.images.children(i1), [i2]);
    assert.deepEqual(db.images.byPrefix('1'), [i1, i2]);
    assert.deepEqual(db.images.byPrefix('12'), [i2]);
    assert.deepEqual(db.images.byPrefix('1%'), []);
    assert.equal(db.images.removeTag('docker.io/library/busybox:1'), true);
    assert.equal(db.images.removeTag('docker.io/library/busybox:1'), false);
    db.images.delete(i2);
    assert.equal(db.images.get(i2), undefined);
    assert.deepEqual(db.images.allTags(), []);
    assert.deepEqual(db.images.allDigests(), []);
    assert.equal(db.images.get(i1)?.config.os, 'linux');
    // Tags must point at an existing image.
    assert.throws(() => db.images.setTag('docker.io/library/x:1', `sha256:${hex('f')}`), /FOREIGN KEY/);
  });
});
