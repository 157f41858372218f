// A `run --rm` container's snapshot: mounted volatile (its unmount skips
// overlay's sync of the upper filesystem), mountable again after that, and
// removable in two halves (out of the store at once, files deleted later).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';
import { createSnapshotter } from '../../../src/stores/snapshots/index.ts';
import { unmountUnder } from '../../helpers/mounts.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tarStreamOf, tempDir } from './tars.ts';

const CHAIN = `sha256:${'a'.repeat(64)}`;

/** Linux 6.x shows the option as fsync=volatile. */
const isVolatile = (opts: string[]) => opts.includes('volatile') || opts.includes('fsync=volatile');

function mountOptions(target: string): string[] {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[4] !== target) continue;
    const sep = f.indexOf('-');
    return `${f[5]},${f[sep + 3]}`.split(',');
  }
  return [];
}

describe('overlay: volatile mounts and deferred removal', { skip: skipUnlessRoot() }, () => {
  test('a volatile mount says so, survives unmount and a second volatile mount, and a plain one stays plain', async (t) => {
    const { dir, cleanup } = tempDir('berth-volatile-');
    t.after(async () => {
      assert.deepEqual(await unmountUnder(dir), [], 'everything unmounted');
      cleanup();
    });
    const snap = await createSnapshotter(`${dir}/snapshots`, 'overlay');
    const merged = `${dir}/merged`;
    fs.mkdirSync(merged);
    await snap.applyLayer(CHAIN, null, tarStreamOf([{ name: 'f', body: 'lower' }]));
    await snap.prepare('rm', CHAIN);
    await snap.prepare('kept', CHAIN);

    await snap.mount('rm', merged, { volatile: true });
    assert.ok(isVolatile(mountOptions(merged)), `volatile in ${mountOptions(merged).join(',')}`);
    fs.writeFileSync(`${merged}/written`, 'x');
    await snap.unmount(merged);
    // overlay leaves work/incompat/volatile behind and would refuse this mount.
    await snap.mount('rm', merged, { volatile: true });
    assert.equal(fs.readFileSync(`${merged}/written`, 'utf8'), 'x', 'the writes are there on the second mount');
    await snap.unmount(merged);
    await snap.unmount(merged);

    await snap.mount('kept', merged);
    assert.ok(!isVolatile(mountOptions(merged)), 'a plain mount is not volatile');
    await snap.unmount(merged);
  });

  test('remove with `later`: the snapshot is gone at once and its layer free; the files go when the deletion ends', async (t) => {
    const { dir, cleanup } = tempDir('berth-volatile-');
    t.after(cleanup);
    const snap = await createSnapshotter(`${dir}/snapshots`, 'overlay');
    await snap.applyLayer(CHAIN, null, tarStreamOf([{ name: 'f', body: 'lower' }]));
    await snap.prepare('rm', CHAIN);
    let deletion: Promise<void> | undefined;
    await snap.remove('rm', { later: (p) => { deletion = p; } });
    assert.ok(deletion, 'the deletion is handed over');
    assert.ok(!(await snap.listSnapshots()).includes('rm'), 'the snapshot is out of the store');
    await snap.removeLayer(CHAIN);
    await deletion;
    assert.deepEqual(fs.readdirSync(`${dir}/snapshots/overlay/trash`), [], 'nothing left in the trash');
  });
});
