// Leases in the metadata: a lease with an expiry (a pull's) outlives the
// process that took it, so the next start's sweep keeps what it holds until
// it expires; one without is this process's only; an expired or superseded
// lease's keys are collected.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, test } from 'node:test';
import type { Snapshotter } from '../../../src/core/snapshot.ts';
import { nullLogger } from '../../../src/core/logger.ts';
import { collectUnordered, sweep, type GcDeps } from '../../../src/images/gc.ts';
import { LeaseExpiry, Leases } from '../../../src/images/leases.ts';
import { FileContentStore } from '../../../src/stores/content.ts';
import { openDatabase, type Database } from '../../../src/stores/metadata.ts';
import { SqliteLeaseRepository } from '../../../src/stores/metadata/leases.ts';

const digest = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/** Committed layers by chain ID: what gc asks of a snapshotter. */
function fakeLayers(ids: string[]): Snapshotter & { layers: Set<string> } {
  const layers = new Set(ids);
  return {
    layers,
    hasLayer: async (c: string) => layers.has(c),
    removeLayer: async (c: string) => { layers.delete(c); },
    listLayers: async () => [...layers],
  } as unknown as Snapshotter & { layers: Set<string> };
}

interface Env { dir: string; file: string; content: FileContentStore; db: Database }

function env(t: { after: (fn: () => void) => void }): Env {
  const dir = mkdtempSync(`${tmpdir()}/berth-leases-`);
  const e = { dir, file: `${dir}/berth.db`, content: new FileContentStore(`${dir}/content`), db: openDatabase(`${dir}/berth.db`) };
  t.after(() => { e.db.close(); rmSync(dir, { recursive: true, force: true }); });
  return e;
}

function deps(e: Env, leases: Leases, snapshotter: Snapshotter): GcDeps {
  return { db: e.db, content: e.content, snapshotter, leases, logger: nullLogger };
}

/** The daemon restarting: a new connection and new Leases over the same file. */
function reopen(e: Env, now?: () => number): Leases {
  e.db.close();
  e.db = openDatabase(e.file);
  return new Leases(new SqliteLeaseRepository(e.db), now);
}

describe('leases in the metadata', () => {
  test('a lease with an expiry is kept across a restart: the sweep keeps what it holds, then collects it once expired', async (t) => {
    const e = env(t);
    const blob = await e.content.writeBlob('layer of a cut pull');
    const other = await e.content.writeBlob('written by a cut import');
    const layers = fakeLayers([digest('chain')]);
    let clock = 1_000_000;
    const leases = new Leases(new SqliteLeaseRepository(e.db), () => clock);
    leases.acquire([blob.digest, digest('chain')], { label: 'pull 127.0.0.1:5000/k9/base:latest', expiresAt: clock + 60_000 });
    leases.acquire([other.digest]); // process-bound: not recorded
    // berthd dies here: no release.
    const after = reopen(e, () => clock);
    assert.deepEqual((await sweep(deps(e, after, layers))).blobs, [other.digest]);
    assert.ok(await e.content.has(blob.digest), 'the pull lease held its blob across the restart');
    assert.ok(layers.layers.has(digest('chain')), 'and its layer');
    assert.equal(after.nextExpiry(), 1_060_000);

    clock += 60_000;
    const later = reopen(e, () => clock);
    const swept = await sweep(deps(e, later, layers));
    assert.deepEqual(swept, { chainIds: [digest('chain')], blobs: [blob.digest] });
    assert.equal(new SqliteLeaseRepository(e.db).list().length, 0, 'the expired lease is forgotten');
  });

  test('released leases leave no row; an image-less blob goes once no lease holds it', async (t) => {
    const e = env(t);
    const blob = await e.content.writeBlob('in flight');
    const leases = new Leases(new SqliteLeaseRepository(e.db));
    const a = leases.acquire([blob.digest], { label: 'pull x', expiresAt: Date.now() + 60_000 });
    const b = leases.acquire([blob.digest]);
    assert.equal(new SqliteLeaseRepository(e.db).list().length, 1);
    a();
    a();
    assert.equal(new SqliteLeaseRepository(e.db).list().length, 0);
    assert.deepEqual((await sweep(deps(e, leases, fakeLayers([])))).blobs, [], 'the second hold still keeps it');
    b();
    assert.deepEqual((await sweep(deps(e, leases, fakeLayers([])))).blobs, [blob.digest]);
  });

  test('a finished pull supersedes the lease its cut run left; only that label goes', async (t) => {
    const e = env(t);
    const mine = await e.content.writeBlob('old layer of the tag');
    const theirs = await e.content.writeBlob('another cut pull');
    const first = new Leases(new SqliteLeaseRepository(e.db));
    first.acquire([mine.digest], { label: 'pull r/a:1', expiresAt: Date.now() + 60_000 });
    first.acquire([theirs.digest], { label: 'pull r/b:1', expiresAt: Date.now() + 60_000 });
    const leases = reopen(e);
    const d = deps(e, leases, fakeLayers([]));
    const expiry = new LeaseExpiry(leases, (fn) => fn(), (keys) => collectUnordered(d, keys, keys), nullLogger);
    t.after(() => expiry.stop());
    await expiry.supersede('pull r/a:1');
    assert.equal(await e.content.has(mine.digest), false);
    assert.equal(await e.content.has(theirs.digest), true);
    assert.deepEqual(new SqliteLeaseRepository(e.db).list().map((l) => l.label), ['pull r/b:1']);
  });

  test('a lease that expires while the daemon runs: its keys are collected by the timer', async (t) => {
    const e = env(t);
    const blob = await e.content.writeBlob('cut pull, never resumed');
    new Leases(new SqliteLeaseRepository(e.db)).acquire([blob.digest], { label: 'pull r/c:1', expiresAt: Date.now() + 1 });
    const leases = reopen(e);
    const d = deps(e, leases, fakeLayers([]));
    let collected!: () => void;
    const done = new Promise<void>((r) => { collected = r; });
    const expiry = new LeaseExpiry(leases, (fn) => fn(), async (keys) => { await collectUnordered(d, keys, keys); collected(); }, nullLogger);
    t.after(() => expiry.stop());
    expiry.arm();
    await done;
    assert.equal(await e.content.has(blob.digest), false);
    assert.equal(leases.nextExpiry(), undefined);
    assert.equal(new SqliteLeaseRepository(e.db).list().length, 0);
  });
});
