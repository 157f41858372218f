// /.dockerenv and /etc/mtab, made at start where the image has none, never
// through a link the image planted (init-entries.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedInitEntries } from '../../../src/engine/containers/init-entries.ts';
import { withoutMountStubs } from '../../../src/images/layer-diff.ts';
import type { SnapshotDiffEntry } from '../../../src/core/snapshot.ts';

function tmp(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-init-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('an empty /.dockerenv (0755) and /etc/mtab -> /proc/mounts; a second start changes nothing', (t) => {
  const root = tmp(t);
  fs.mkdirSync(path.join(root, 'etc'));
  seedInitEntries(root, null);
  const env = fs.lstatSync(path.join(root, '.dockerenv'));
  assert.deepEqual([env.isFile(), env.size, env.mode & 0o777], [true, 0, 0o755]);
  assert.equal(fs.readlinkSync(path.join(root, 'etc/mtab')), '/proc/mounts');
  fs.writeFileSync(path.join(root, '.dockerenv'), 'kept');
  seedInitEntries(root, null);
  assert.equal(fs.readFileSync(path.join(root, '.dockerenv'), 'utf8'), 'kept');
});

test('the image\'s own entries are kept; links it planted are not followed; no /etc, no mtab', (t) => {
  const root = tmp(t);
  const outside = tmp(t);
  fs.writeFileSync(path.join(outside, 'target'), 'host file');
  // /.dockerenv a link to a host file, /etc a link to a host directory.
  fs.symlinkSync(path.join(outside, 'target'), path.join(root, '.dockerenv'));
  fs.symlinkSync(outside, path.join(root, 'etc'));
  seedInitEntries(root, null);
  assert.equal(fs.readFileSync(path.join(outside, 'target'), 'utf8'), 'host file');
  assert.equal(fs.existsSync(path.join(outside, 'mtab')), false, 'nothing made through the planted /etc link');
  assert.equal(fs.readlinkSync(path.join(root, '.dockerenv')), path.join(outside, 'target'));
  // A dangling link at /.dockerenv is not followed either (O_EXCL).
  const r2 = tmp(t);
  fs.symlinkSync(path.join(outside, 'made-by-follow'), path.join(r2, '.dockerenv'));
  fs.mkdirSync(path.join(r2, 'etc'));
  fs.writeFileSync(path.join(r2, 'etc/mtab'), 'image mtab');
  seedInitEntries(r2, null);
  assert.equal(fs.existsSync(path.join(outside, 'made-by-follow')), false);
  assert.equal(fs.readFileSync(path.join(r2, 'etc/mtab'), 'utf8'), 'image mtab', 'the image\'s /etc/mtab stays');
  const r3 = tmp(t);
  seedInitEntries(r3, null);
  assert.deepEqual(fs.readdirSync(r3), ['.dockerenv']);
});

test('diff leaves them out as dockerd\'s init layer does, unless changed', async (t) => {
  const root = tmp(t);
  fs.mkdirSync(path.join(root, 'etc'));
  seedInitEntries(root, null);
  fs.writeFileSync(path.join(root, 'etc/own'), 'x');
  const entries = (names: Array<[string, SnapshotDiffEntry['kind']]>) => (async function* () {
    for (const [p, kind] of names) yield { path: p, kind, source: path.join(root, p) } as SnapshotDiffEntry;
  })();
  const paths = async (names: Array<[string, SnapshotDiffEntry['kind']]>) => {
    const out: string[] = [];
    for await (const e of withoutMountStubs(entries(names))) out.push(e.path);
    return out;
  };
  assert.deepEqual(await paths([['.dockerenv', 'A'], ['etc', 'C'], ['etc/mtab', 'A']]), []);
  assert.deepEqual(await paths([['.dockerenv', 'A'], ['etc', 'C'], ['etc/mtab', 'A'], ['etc/own', 'A']]), ['etc', 'etc/own']);
  fs.writeFileSync(path.join(root, '.dockerenv'), 'written by the container');
  assert.deepEqual(await paths([['.dockerenv', 'A']]), ['.dockerenv']);
});
