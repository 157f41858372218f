// docker image prune: dangling only by default, -a for every image no
// container uses, until / label / label! filters, the report (untagged /
// deleted lines, reclaimed space from the layers removed), the prune event,
// and bad filters. Checked against dockerd 20.10.

import assert from 'node:assert/strict';
import { DOCKER_CLI, runOk } from '../helpers/daemon.ts';
import { compatSuite, lines } from './target.ts';

const idOf = async (tgt: { ok(a: string[]): Promise<{ stdout: string }> }, ref: string) =>
  (await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', ref])).stdout.trim();

compatSuite('image prune', (s) => {
  s.test('dangling only: an untagged image goes, a tagged one and one a container uses stay', async (tgt) => {
    // Its own layer (1 MB), so pruning it frees that layer.
    await tgt.ok(['run', '--name', 'big', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/big bs=1000 count=1000 2>/dev/null']);
    const dangling = (await tgt.ok(['commit', 'big'])).stdout.trim();
    await tgt.ok(['rm', 'big']);
    await tgt.ok(['run', '--name', 'mk', 'busybox', 'sh', '-c', 'echo small > /small']);
    const used = (await tgt.ok(['commit', 'mk'])).stdout.trim();
    await tgt.ok(['commit', 'mk', 'prune-kept:1']);
    await tgt.ok(['rm', 'mk']);
    await tgt.ok(['create', '--name', 'user', used, 'true']);
    const r = await tgt.ok(['image', 'prune', '-f']);
    assert.equal(r.stdout.split('\n')[0], 'Deleted Images:');
    assert.ok(lines(r.stdout).includes(`deleted: ${dangling}`), r.stdout);
    assert.ok(!r.stdout.includes(used), r.stdout);
    assert.match(r.stdout, /\n\nTotal reclaimed space: 1(\.\d+)?MB\n$/);
    const left = (await tgt.ok(['images', '-a', '-q', '--no-trunc'])).stdout;
    assert.ok(!left.includes(dangling));
    assert.ok(left.includes(used));
    await idOf(tgt, 'prune-kept:1');
    // Nothing left to prune.
    assert.equal((await tgt.ok(['image', 'prune', '-f'])).stdout, 'Total reclaimed space: 0B\n');
    await tgt.ok(['rm', 'user']);
    await tgt.ok(['rmi', used, 'prune-kept:1']);
  });

  s.test('-a with label, label! and until filters; images in use stay; the prune event', async (tgt) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await tgt.ok(['create', '--name', 'holder', 'busybox', 'true']);
    await tgt.ok(['run', '--name', 'mk', 'busybox', 'sh', '-c', 'echo x > /x']);
    await tgt.ok(['commit', '-c', 'LABEL tier=old', 'mk', 'pa:old']);
    await tgt.ok(['commit', '-c', 'LABEL tier=new', 'mk', 'pa:new']);
    await tgt.ok(['commit', 'mk', 'pa:plain']);
    await tgt.ok(['rm', 'mk']);
    const old = await idOf(tgt, 'pa:old');
    // Created just now: an until one hour ago keeps everything.
    assert.equal((await tgt.ok(['image', 'prune', '-a', '-f', '--filter', 'until=1h'])).stdout, 'Total reclaimed space: 0B\n');
    const r = await tgt.ok(['image', 'prune', '-a', '-f', '--filter', 'label=tier=old']);
    assert.deepEqual(lines(r.stdout).slice(0, 3), ['Deleted Images:', 'untagged: pa:old', `deleted: ${old}`]);
    await tgt.ok(['image', 'inspect', 'pa:new']);
    const r2 = await tgt.ok(['image', 'prune', '-a', '-f', '--filter', 'label!=tier']);
    assert.ok(lines(r2.stdout).includes('untagged: pa:plain'), r2.stdout);
    await tgt.ok(['image', 'inspect', 'pa:new']);
    await tgt.ok(['image', 'inspect', 'busybox']);
    const r3 = await tgt.ok(['image', 'prune', '-a', '-f']);
    assert.ok(lines(r3.stdout).includes('untagged: pa:new'), r3.stdout);
    assert.ok(!r3.stdout.includes('busybox'), 'busybox is used by a container');
    await tgt.ok(['image', 'inspect', 'busybox']);
    // The real docker CLI reads the events (berth has no `events` command).
    const ev = await runOk(DOCKER_CLI, ['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1),
      '--filter', 'type=image', '--filter', 'event=prune', '--format', '{{.Action}} {{.Actor.Attributes.reclaimed}}'], { env: { ...process.env, ...tgt.daemon.env } });
    // The last four are this test's (the one before may share the first second); the last freed pa:new's 2-byte layer.
    const evs = lines(ev.stdout);
    assert.ok(evs.length >= 4 && evs.every((l) => /^prune \d+$/.test(l)), ev.stdout);
    assert.deepEqual(evs.slice(-4), ['prune 0', 'prune 0', 'prune 0', 'prune 2']);
  });

  s.test('bad filters are refused', async (tgt) => {
    const a = await tgt.fails(['image', 'prune', '-f', '--filter', 'foo=bar'], 1);
    assert.match(a.stderr, /[Ii]nvalid filter 'foo'/);
    const b = await tgt.fails(['image', 'prune', '-f', '--filter', 'until=xyz'], 1);
    assert.match(b.stderr, /failed to parse value as time or duration: "xyz"/);
  });
});
