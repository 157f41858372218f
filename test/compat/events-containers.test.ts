// The container events dockerd emits for the verbs berth has, in order and
// with their attributes (kill's signal number, die's exit code, rename's
// oldName), read back through `docker events --since/--until --filter`.

import assert from 'node:assert/strict';
import { compatSuite, lines, sleep } from './target.ts';

compatSuite('container events', (s) => {
  s.test('kill, top, stop, die, destroy with their attributes and filters', async (tgt) => {
    const since = String(Math.floor(Date.now() / 1000));
    await sleep(1000);
    await tgt.ok(['run', '-d', '--name', 'ev', '-l', 'team=ops', 'busybox', 'sleep', '1000']);
    await tgt.ok(['kill', '-s', 'HUP', 'ev']);
    await tgt.ok(['top', 'ev']);
    await tgt.ok(['stop', '-t', '1', 'ev']);
    await tgt.ok(['rm', 'ev']);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const fmt = '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.signal}} {{.Actor.Attributes.exitCode}}';
    const all = lines((await tgt.ok(['events', '--since', since, '--until', until, '--filter', 'type=container', '--format', fmt])).stdout);
    assert.deepEqual(all.map((l) => l.replace(/ +$/, '').replace(/<no value>/g, '-')), [
      'container create ev - -', 'container start ev - -', 'container kill ev 1 -', 'container top ev - -',
      'container kill ev 15 -', 'container kill ev 9 -', 'container die ev - 137', 'container stop ev - -', 'container destroy ev - -',
    ]);
    const byLabel = await tgt.ok(['events', '--since', since, '--until', until, '--filter', 'label=team=ops', '--filter', 'event=die', '--format', '{{.Action}}']);
    assert.equal(byLabel.stdout, 'die\n');
    const byName = await tgt.ok(['events', '--since', since, '--until', until, '--filter', 'container=ev', '--filter', 'event=kill', '--format', '{{.Actor.Attributes.signal}}']);
    assert.deepEqual(lines(byName.stdout), ['1', '15', '9']);
    const byImage = await tgt.ok(['events', '--since', since, '--until', until, '--filter', 'image=busybox', '--filter', 'event=destroy', '--format', '{{.Action}}']);
    assert.equal(byImage.stdout, 'destroy\n');
  });
});
