// The volume service on a real metadata database and a temp directory (no
// mounts): create/get-or-create, names, references, remove, prune, filters.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { nullLogger } from '../../../src/core/logger.ts';
import { isCode } from '../../../src/core/errors.ts';
import { openDatabase } from '../../../src/stores/metadata.ts';
import { SqliteVolumeRepository } from '../../../src/stores/metadata/volumes.ts';
import { VolumeEngine } from '../../../src/volumes/service.ts';
import { ANONYMOUS_LABEL } from '../../../src/core/volume.ts';

function setup(t: test.TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-vol-'));
  const db = openDatabase(join(dir, 'berth.db'));
  t.after(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });
  const refs = new Map<string, string[]>();
  const events: Array<[string, string, Record<string, string>]> = [];
  const svc = new VolumeEngine({
    repo: new SqliteVolumeRepository(db), root: join(dir, 'volumes'), logger: nullLogger,
    events: { emit: (_type, action, id, attrs = {}) => { events.push([action, id, attrs]); } },
    refsOf: (n) => refs.get(n) ?? [],
  });
  return { svc, refs, events, dir, db };
}

test('create: directory and record, idempotent, anonymous names and label', async (t) => {
  const { svc, events } = setup(t);
  const v = await svc.create({ name: 'data', labels: { a: 'b' } });
  assert.equal(v.mountpoint.endsWith('/volumes/data/_data'), true);
  assert.ok(existsSync(v.mountpoint));
  assert.match(v.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const again = await svc.create({ name: 'data', labels: { other: 'x' } });
  assert.deepEqual(again.labels, { a: 'b' }, 'an existing volume is returned unchanged');
  const anon = await svc.create({});
  assert.match(anon.name, /^[0-9a-f]{64}$/);
  assert.ok(Object.hasOwn(anon.labels, ANONYMOUS_LABEL));
  assert.deepEqual(events.map((e) => e[0]), ['create', 'create']);
  await assert.rejects(svc.create({ name: 'x' }), /volume name is too short/);
  await assert.rejects(svc.create({ name: 'ok', driver: 'nfsplugin' }), (e) => isCode(e, 'not_found') && /plugin "nfsplugin" not found/.test((e as Error).message));
  await assert.rejects(svc.create({ name: 'bad', options: { foo: '1' } }), /invalid option: "foo"/);
  assert.deepEqual(svc.list().map((x) => x.name).sort(), [anon.name, 'data'].sort(), 'refused creates leave nothing');
});

test('remove: in use is a conflict naming the containers; force ignores unknown', async (t) => {
  const { svc, refs, events } = setup(t);
  const v = await svc.create({ name: 'used' });
  writeFileSync(join(v.mountpoint, 'f'), 'x');
  refs.set('used', ['c1', 'c2']);
  await assert.rejects(svc.remove('used'), (e) => isCode(e, 'conflict') && (e as Error).message === 'remove used: volume is in use - [c1, c2]');
  await assert.rejects(svc.remove('used', { force: true }), (e) => isCode(e, 'conflict'));
  refs.delete('used');
  await svc.remove('used');
  assert.ok(!existsSync(v.mountpoint));
  await assert.rejects(svc.remove('used'), (e) => isCode(e, 'not_found') && (e as Error).message === 'get used: no such volume');
  await svc.remove('used', { force: true });
  assert.throws(() => svc.inspect('used'), /get used: no such volume/);
  assert.equal(events.at(-1)![0], 'destroy');
});

test('list filters and prune (anonymous only unless all)', async (t) => {
  const { svc, refs, events } = setup(t);
  await svc.create({ name: 'v1', labels: { tier: 'db' } });
  await svc.create({ name: 'v2' });
  const anon = await svc.create({});
  writeFileSync(join(anon.mountpoint, 'f'), '12345');
  refs.set('v2', ['c']);
  assert.deepEqual(svc.list({ dangling: false }).map((v) => v.name), ['v2']);
  assert.deepEqual(svc.list({ name: ['v'] }).map((v) => v.name), ['v1', 'v2']);
  assert.deepEqual(svc.list({ label: ['tier=db'] }).map((v) => v.name), ['v1']);
  assert.deepEqual(svc.list({ driver: ['loc'] }), []);
  const p = await svc.prune({ all: false });
  assert.deepEqual(p, { deleted: [anon.name], reclaimed: 5 });
  assert.deepEqual(events.at(-1), ['prune', '', { reclaimed: '5' }]);
  const all = await svc.prune({ all: true, labelNot: ['tier'] });
  assert.deepEqual(all.deleted, []);
  assert.deepEqual((await svc.prune({ all: true })).deleted, ['v1']);
  const usage = await svc.usage();
  assert.deepEqual(usage.map((u) => [u.name, u.size, u.refCount, u.mountpoint.endsWith('/volumes/v2/_data')]), [['v2', 0, 1, true]]);
});

test('sweep: an empty directory without a record goes, a non-empty one stays', async (t) => {
  const { svc, dir } = setup(t);
  await svc.create({ name: 'real' });
  const root = join(dir, 'volumes');
  mkdirSync(join(root, 'crashed', '_data'), { recursive: true });
  mkdirSync(join(root, 'kept', '_data'), { recursive: true });
  writeFileSync(join(root, 'kept', '_data', 'f'), 'x');
  await svc.sweep();
  assert.deepEqual(readdirSync(root).sort(), ['kept', 'real']);
});
