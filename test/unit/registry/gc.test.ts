// Registry garbage collection: what goes (blobs no manifest names, deleted
// manifests and what only they named) and what stays (tagged and untagged
// manifests and their blobs, blobs within the grace period); the dry run;
// the schedule in serve; `berth registry gc` from another process beside a
// running server; and no referenced blob ever lost while pushes, pulls and
// deletes run against a collector with no grace at all.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../../src/registry/config.ts';
import { collectGarbage } from '../../../src/registry/gc.ts';
import { RegistryServer } from '../../../src/registry/server.ts';
import { BERTH } from '../../helpers/daemon.ts';
import { makeImage, pushImage, sha, type TestImage } from '../../helpers/oci.ts';

const roots: string[] = [];
const servers: RegistryServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function start(extra: Record<string, unknown> = {}): Promise<{ server: RegistryServer; base: string; root: string }> {
  const root = mkdtempSync(`${tmpdir()}/berth-registry-gc-`);
  roots.push(root);
  const config = { ...loadConfig({ listen: '127.0.0.1:0', root }), ...extra };
  const server = new RegistryServer({ config });
  servers.push(server);
  const a = await server.listen();
  return { server, base: `http://127.0.0.1:${a.port}`, root };
}

const blobFiles = (root: string) => readdirSync(`${root}/content/blobs/sha256`).map((h) => `sha256:${h}`).sort();

async function status(url: string, init?: RequestInit): Promise<number> {
  const r = await fetch(url, init);
  await r.body?.cancel();
  return r.status;
}

async function pullable(base: string, name: string, ref: string, img: TestImage): Promise<boolean> {
  if (await status(`${base}/v2/${name}/manifests/${ref}`, { headers: { Accept: img.mediaType } }) !== 200) return false;
  for (const b of [img.config, ...img.layers]) if (await status(`${base}/v2/${name}/blobs/${b.digest}`) !== 200) return false;
  return true;
}

describe('registry garbage collection', () => {
  test('removes what no manifest names, keeps tagged and untagged manifests; dry run removes nothing', async () => {
    const { server, base, root } = await start();
    const kept = await makeImage({ layers: [{ a: 'kept' }, { shared: 'shared layer' }] });
    const untagged = await makeImage({ layers: [{ b: 'untagged' }] });
    const deleted = await makeImage({ layers: [{ c: 'deleted' }, { shared: 'shared layer' }] });
    await pushImage(base, 'team/app', 'v1', kept);
    await pushImage(base, 'team/app', 'old', untagged);
    await pushImage(base, 'other/app', 'gone', deleted);
    const lone = Buffer.from('a blob no manifest names');
    assert.equal(await status(`${base}/v2/team/app/blobs/uploads/?digest=${sha(lone)}`, { method: 'POST', body: lone }), 201);
    // Untag (the manifest stays, pullable by digest), and delete a manifest by digest.
    assert.equal(await status(`${base}/v2/team/app/manifests/old`, { method: 'DELETE' }), 202);
    assert.equal(await status(`${base}/v2/other/app/manifests/${deleted.manifestDigest}`, { method: 'DELETE' }), 202);

    // Everything is younger than the default grace period: nothing goes.
    assert.equal((await server.collectGarbage()).blobs, 0);

    const expectedGone = [sha(lone), deleted.manifestDigest, deleted.config.digest, deleted.layers[0]!.digest].sort();
    const before = blobFiles(root);
    const seen: string[] = [];
    const dry = await collectGarbage(server.state.root!.content, server.state.root!.index, { dryRun: true, graceMs: 0, now: Date.now() + 1000, onBlob: (d) => seen.push(d) });
    assert.deepEqual(seen.sort(), expectedGone);
    assert.equal(dry.blobs, 4);
    assert.deepEqual(blobFiles(root), before, 'a dry run removes nothing');

    const r = await collectGarbage(server.state.root!.content, server.state.root!.index, { graceMs: 0, now: Date.now() + 1000 });
    assert.equal(r.blobs, 4);
    assert.deepEqual(blobFiles(root), before.filter((d) => !expectedGone.includes(d)));
    assert.ok(await pullable(base, 'team/app', 'v1', kept));
    assert.ok(await pullable(base, 'team/app', untagged.manifestDigest, untagged), 'an untagged manifest keeps its blobs');
    assert.equal(await status(`${base}/v2/team/app/blobs/${sha(lone)}`), 404);
    // The shared layer is still served from the repository whose manifest names it.
    assert.equal(await status(`${base}/v2/team/app/blobs/${deleted.layers[1]!.digest}`), 200);
    assert.deepEqual(readdirSync(`${root}/content/ingest`), []);
  });

  test('serve collects on a schedule (--gc-interval / "gc" in the config)', async () => {
    const cfg = loadConfig({ listen: '127.0.0.1:0', root: '/unused', gcInterval: '1s', gcGrace: '0' });
    assert.equal(cfg.gc.intervalMs, 1000);
    assert.throws(() => loadConfig({ listen: '127.0.0.1:0', root: '/unused', gcInterval: 'soon' }), /invalid gc interval "soon"/);
    const { base, root } = await start({ gc: { intervalMs: 1000, graceMs: 0 } });
    const lone = Buffer.from('collected by the schedule');
    assert.equal(await status(`${base}/v2/x/blobs/uploads/?digest=${sha(lone)}`, { method: 'POST', body: lone }), 201);
    const deadline = Date.now() + 10_000;
    while (existsSync(`${root}/content/blobs/sha256/${sha(lone).slice(7)}`)) {
      assert.ok(Date.now() < deadline, 'the scheduled collection did not run');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await status(`${base}/v2/x/blobs/${sha(lone)}`), 404);
  });

  test('`berth registry gc` beside a running server: dry run, then removal; uploads in progress survive', async () => {
    const { base, root } = await start();
    const img = await makeImage({ layers: [{ f: 'kept by cli gc' }] });
    await pushImage(base, 'cli/app', 'v1', img);
    const lone = Buffer.from('removed by the cli');
    assert.equal(await status(`${base}/v2/cli/app/blobs/uploads/?digest=${sha(lone)}`, { method: 'POST', body: lone }), 201);
    // An upload in progress: its ingest file must outlive the other process's store.
    const open = await fetch(`${base}/v2/cli/app/blobs/uploads/`, { method: 'POST' });
    const location = open.headers.get('location')!;
    await fetch(`${base}${location}`, { method: 'PATCH', body: 'part one ', headers: { 'Content-Range': '0-8' } });
    const run = promisify(execFile);
    const dry = await run(BERTH, ['registry', 'gc', '--root', root, '--dry-run', '--gc-grace', '0']);
    assert.match(dry.stdout, new RegExp(`would remove ${sha(lone)} \\(18 bytes\\)`));
    assert.match(dry.stdout, /1 of 4 blobs would be removed, 18B to reclaim/);
    assert.ok(existsSync(`${root}/content/blobs/sha256/${sha(lone).slice(7)}`));
    const real = await run(BERTH, ['registry', 'gc', '--root', root, '--gc-grace', '0']);
    assert.match(real.stdout, /1 of 4 blobs removed, 18B reclaimed/);
    assert.equal(await status(`${base}/v2/cli/app/blobs/${sha(lone)}`), 404);
    assert.ok(await pullable(base, 'cli/app', 'v1', img));
    const whole = Buffer.from('part one part two');
    const put = await fetch(`${base}${location}?digest=${sha(whole)}`, { method: 'PUT', body: 'part two', headers: { 'Content-Range': '9-16' } });
    assert.equal(put.status, 201, await put.text());
    await assert.rejects(run(BERTH, ['registry', 'gc', '--root', `${root}/nope`]), /holds no registry/);
  });

  test('no referenced blob is lost while pushes, pulls and deletes race a collector with no grace', async (t) => {
    const { server, base } = await start();
    const collectNow = () => collectGarbage(server.state.root!.content, server.state.root!.index, { graceMs: 0, now: Date.now() + 60_000 });
    // The race, forced: a collection between a push's blob uploads and its manifest takes the blobs,
    // and the manifest is refused, never half-recorded; the push retried gets through.
    const forced = await makeImage({ layers: [{ f: 'forced race' }] });
    for (const b of [forced.config, ...forced.layers]) {
      assert.equal(await status(`${base}/v2/race/forced/blobs/uploads/?digest=${b.digest}`, { method: 'POST', body: b.data }), 201);
    }
    await collectNow();
    assert.equal(await status(`${base}/v2/race/forced/blobs/${forced.layers[0]!.digest}`, { method: 'HEAD' }), 404);
    const put = await fetch(`${base}/v2/race/forced/manifests/v1`, { method: 'PUT', body: forced.manifest, headers: { 'Content-Type': forced.mediaType } });
    assert.equal(put.status, 400);
    assert.match(await put.text(), /MANIFEST_BLOB_UNKNOWN/);
    assert.equal(await status(`${base}/v2/race/forced/manifests/v1`, { headers: { Accept: forced.mediaType } }), 404);
    await pushImage(base, 'race/forced', 'v1', forced);
    assert.ok(await pullable(base, 'race/forced', 'v1', forced));

    const steady = await makeImage({ layers: [{ s: 'steady' }] });
    await pushImage(base, 'race/steady', 'v1', steady);
    let collecting = true;
    let collections = 0;
    // A push refused many times in a row (a loaded machine makes its attempts slower than the
    // collector's period) has the collector wait for it: the race stays, and every push ends.
    let starving = 0;
    const collector = (async () => {
      while (collecting) {
        while (starving > 0 && collecting) await new Promise((r) => setTimeout(r, 5));
        await collectNow();
        collections++;
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 30));
      }
    })();
    let pullFailures = 0;
    let pulling = true;
    const puller = (async () => {
      while (pulling) if (!(await pullable(base, 'race/steady', 'v1', steady))) pullFailures++;
    })();
    const pushed: Array<{ name: string; img: TestImage }> = [];
    let retries = 0;
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 4; i++) {
        const img = await makeImage({ layers: [{ [`w${w}`]: `worker ${w} push ${i}` }, { shared: 'shared by all' }] });
        const name = `race/w${w}`;
        let waitedFor = false;
        try {
          for (let attempt = 0; ; attempt++) {
            if (attempt === 20) { starving++; waitedFor = true; }
            try {
              await pushImage(base, name, `t${i}`, img);
              break;
            } catch (err) {
              // The collector took a blob before the manifest named it: the push is refused, never half-recorded.
              assert.match((err as Error).message, /MANIFEST_BLOB_UNKNOWN|BLOB_UPLOAD_INVALID|UNAVAILABLE/);
              retries++;
              assert.ok(attempt < 30, 'a push never got through, even with the collector waiting for it');
            }
          }
        } finally {
          if (waitedFor) starving--;
        }
        pushed.push({ name, img });
        if (i % 3 === 2) assert.equal(await status(`${base}/v2/${name}/manifests/t${i}`, { method: 'DELETE' }), 202);
      }
    }));
    // However fast the pushes went, pulls meet a few collections before the end.
    const seen = collections;
    while (collections < seen + 3) await new Promise((r) => setTimeout(r, 20));
    collecting = false;
    pulling = false;
    await collector;
    await puller;
    assert.equal(pullFailures, 0, 'a pull of a tagged image failed while collecting');
    // Every manifest the index holds has all its blobs, and every kept tag pulls whole.
    for (const { name, img } of pushed) assert.ok(await pullable(base, name, img.manifestDigest, img), `${name}@${img.manifestDigest} lost a blob`);
    await collectGarbage(server.state.root!.content, server.state.root!.index, { graceMs: 0, now: Date.now() + 60_000 });
    for (const { name, img } of pushed) assert.ok(await pullable(base, name, img.manifestDigest, img));
    assert.ok(await pullable(base, 'race/steady', 'v1', steady));
    // Whether the random collections met a push in flight depends on the machine (the forced race above does not).
    t.diagnostic(`${collections} collections, ${retries} pushes refused and retried`);
  });
});
