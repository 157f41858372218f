// docker container prune: every stopped container goes (created and exited),
// running and paused ones stay; until / label / label! filters with docker's
// MatchKVList semantics; the report (ids, reclaimed space from the writable
// layers), the prune event; berth's own CLI (prompt, output) beside the
// docker CLI. Checked against dockerd 20.10.

import assert from 'node:assert/strict';
import { BERTH, DOCKER_CLI, run, runOk } from '../helpers/daemon.ts';
import { compatSuite, lines } from './target.ts';

type Tgt = { ok(a: string[]): Promise<{ stdout: string }> };
const idOf = async (tgt: Tgt, name: string) => (await tgt.ok(['inspect', '-f', '{{.Id}}', name])).stdout.trim();
const names = async (tgt: Tgt) => lines((await tgt.ok(['ps', '-a', '--format', '{{.Names}}'])).stdout).sort();

compatSuite('container prune', (s) => {
  s.test('stopped containers go, running and paused ones stay; the report and the event', async (tgt) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    // 1,000,000 bytes in the writable layer: the reclaimed space.
    await tgt.ok(['run', '--name', 'big', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/big bs=1000 count=1000 2>/dev/null']);
    await tgt.ok(['create', '--name', 'fresh', 'busybox', 'true']);
    await tgt.ok(['run', '-d', '--name', 'up', 'busybox', 'sleep', '300']);
    await tgt.ok(['run', '-d', '--name', 'frozen', 'busybox', 'sleep', '300']);
    await tgt.ok(['pause', 'frozen']);
    const gone = [await idOf(tgt, 'big'), await idOf(tgt, 'fresh')].sort();
    const r = await tgt.ok(['container', 'prune', '-f']);
    const out = lines(r.stdout);
    assert.equal(out[0], 'Deleted Containers:');
    assert.deepEqual(out.slice(1, 3).sort(), gone);
    assert.match(r.stdout, /\n\nTotal reclaimed space: 1MB\n$/);
    assert.deepEqual(await names(tgt), ['frozen', 'up']);
    assert.equal((await tgt.ok(['container', 'prune', '-f'])).stdout, 'Total reclaimed space: 0B\n');
    const ev = await runOk(DOCKER_CLI, ['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1),
      '--filter', 'type=container', '--filter', 'event=prune', '--filter', 'event=destroy', '--format', '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.reclaimed}}'],
    { env: { ...process.env, ...tgt.daemon.env } });
    const evs = lines(ev.stdout);
    assert.deepEqual(evs.slice(0, 2).map((l) => l.split(' ')[1]).sort(), gone, ev.stdout);
    assert.ok(evs.slice(0, 2).every((l) => l.startsWith('destroy ')), ev.stdout);
    // The prune event has no actor ID: the line reads "prune  <reclaimed>".
    assert.deepEqual(evs.slice(2), ['prune  1000000', 'prune  0']);
    await tgt.ok(['unpause', 'frozen']);
  });

  s.test('until, label and label! filters', async (tgt) => {
    await tgt.ok(['create', '--name', 'ca', '--label', 'tier=old', '--label', 'keep=1', 'busybox', 'true']);
    await tgt.ok(['create', '--name', 'cb', '--label', 'tier=new', 'busybox', 'true']);
    await tgt.ok(['create', '--name', 'cc', 'busybox', 'true']);
    // Created just now: an until one hour ago keeps everything.
    assert.equal((await tgt.ok(['container', 'prune', '-f', '--filter', 'until=1h'])).stdout, 'Total reclaimed space: 0B\n');
    // label=key=value and label=key: every value must hold.
    assert.equal((await tgt.ok(['container', 'prune', '-f', '--filter', 'label=tier=old', '--filter', 'label=nope'])).stdout, 'Total reclaimed space: 0B\n');
    const b = await idOf(tgt, 'cb');
    assert.deepEqual(lines((await tgt.ok(['container', 'prune', '-f', '--filter', 'label=tier=new'])).stdout).slice(0, 2), ['Deleted Containers:', b]);
    // label!: kept only when every value matches (a has both labels; c has neither).
    const c = await idOf(tgt, 'cc');
    const r = await tgt.ok(['container', 'prune', '-f', '--filter', 'label!=tier', '--filter', 'label!=keep']);
    assert.deepEqual(lines(r.stdout).slice(0, 2), ['Deleted Containers:', c]);
    assert.deepEqual(await names(tgt), ['ca']);
    // until in the future takes what is left.
    const a = await idOf(tgt, 'ca');
    const later = String(Math.floor(Date.now() / 1000) + 60);
    assert.deepEqual(lines((await tgt.ok(['container', 'prune', '-f', '--filter', `until=${later}`])).stdout).slice(0, 2), ['Deleted Containers:', a]);
  });

  s.test('bad filters are refused', async (tgt) => {
    await tgt.ok(['create', '--name', 'stays', 'busybox', 'true']);
    const a = await tgt.docker(['container', 'prune', '-f', '--filter', 'foo=bar']);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /[Ii]nvalid filter 'foo'/);
    const b = await tgt.docker(['container', 'prune', '-f', '--filter', 'until=xyz']);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /failed to parse value as time or duration: "xyz"/);
    const c = await tgt.docker(['container', 'prune', '-f', '--filter', 'until=1h', '--filter', 'until=2h']);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /more than one until filter specified/);
    assert.deepEqual(await names(tgt), ['stays']);
  });

  s.test("berth container prune: docker's prompt, no means no, the same report", async (tgt) => {
    const env = { ...process.env, ...tgt.daemon.env };
    await tgt.ok(['create', '--name', 'xx', 'busybox', 'true']);
    const no = await run(BERTH, ['container', 'prune'], { env, input: 'n\n' });
    assert.equal(no.code, 0, no.stderr);
    assert.equal(no.stdout, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
    assert.deepEqual(await names(tgt), ['xx']);
    const docker = await run(DOCKER_CLI, ['container', 'prune'], { env, input: 'n\n' });
    assert.equal(docker.stdout, no.stdout);
    const x = await idOf(tgt, 'xx');
    // Answered yes, but an hour-old limit keeps the container made just now.
    const yes = await run(BERTH, ['container', 'prune', '--filter', 'until=1h'], { env, input: 'y\n' });
    assert.equal(yes.code, 0, yes.stderr);
    assert.equal(yes.stdout, `${no.stdout}Total reclaimed space: 0B\n`);
    const forced = await run(BERTH, ['container', 'prune', '-f'], { env });
    assert.equal(forced.stdout, `Deleted Containers:\n${x}\n\nTotal reclaimed space: 0B\n`);
    assert.deepEqual(await names(tgt), []);
    assert.equal((await run(BERTH, ['container', 'prune', '-f'], { env })).stdout, 'Total reclaimed space: 0B\n');
  });
});
