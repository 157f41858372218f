// One conformance suite for every Snapshotter implementation: layers with
// whiteouts and opaque dirs seen through a real mount, writable snapshots,
// atomic failure, removal order, and an image with 120 layers.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';
import { isCode } from '../../../src/core/errors.ts';
import type { Snapshotter } from '../../../src/core/snapshot.ts';
import { createSnapshotter, probeOverlay, type ListingSnapshotter } from '../../../src/stores/snapshots/index.ts';
import { spreadSubdirs } from '../../../src/stores/snapshots/common.ts';
import { FS_TOPDIR_FL, inodeFlags } from '../../../src/sys/libc.ts';
import { unmountUnder } from '../../helpers/mounts.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tarBuffer, tarStreamOf, tempDir, type TestEntry } from './tars.ts';

const chain = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

async function fixture(t: { after: (fn: () => Promise<void>) => void }, kind: 'overlay' | 'copy'):
  Promise<{ snap: ListingSnapshotter; dir: string; merged: string }> {
  const { dir, cleanup } = tempDir(`berth-snap-${kind}-`);
  t.after(async () => {
    const left = await unmountUnder(dir);
    assert.deepEqual(left, [], 'everything unmounted');
    cleanup();
  });
  const snap = await createSnapshotter(`${dir}/snapshots`, kind);
  assert.equal(snap.name, kind);
  const merged = `${dir}/merged`;
  fs.mkdirSync(merged);
  return { snap, dir, merged };
}

const L1: TestEntry[] = [
  { name: 'gone', body: 'lower' },
  { name: 'keep', body: 'v1' },
  { name: 'opaque/hidden', body: 'lower' },
  { name: 'opaque/sub/deep', body: 'lower' },
  { name: 'link', type: 'symlink', linkname: 'keep' },
  { name: 'dir/a', body: 'a' },
];
const L2: TestEntry[] = [
  { name: '.wh.gone' },
  { name: 'keep', body: 'v2' },
  { name: 'opaque/', type: 'dir' },
  { name: 'opaque/.wh..wh..opq' },
  { name: 'opaque/visible', body: 'upper' },
  { name: 'dir/b', body: 'b' },
  { name: 'dir/.wh.a' },
];

async function twoLayers(snap: Snapshotter): Promise<[string, string]> {
  const c1 = chain('l1');
  const c2 = chain('l2');
  const r1 = await snap.applyLayer(c1, null, tarStreamOf(L1));
  assert.equal(r1.diffId, `sha256:${createHash('sha256').update(tarBuffer(L1)).digest('hex')}`);
  assert.equal(r1.size, 'lower'.length * 3 + 'v1'.length + 1);
  await snap.applyLayer(c2, c1, tarStreamOf(L2));
  return [c1, c2];
}

function overlayMissing(): string | false {
  if (skipUnlessRoot()) return false;
  const { dir, cleanup } = tempDir('berth-probe-');
  try {
    const reason = probeOverlay(dir);
    return reason === null ? false : `overlayfs unavailable: ${reason}`;
  } finally {
    cleanup();
  }
}

for (const kind of ['overlay', 'copy'] as const) {
  describe(`snapshotter conformance: ${kind}`, { skip: skipUnlessRoot() || (kind === 'overlay' && overlayMissing()) }, () => {
    test('layers stack with whiteouts and opaque dirs; a container writes to its own snapshot', async (t) => {
      const { snap, merged } = await fixture(t, kind);
      const [c1, c2] = await twoLayers(snap);
      assert.equal(await snap.hasLayer(c2), true);
      assert.deepEqual((await snap.listLayers()).sort(), [c1, c2].sort());
      await snap.prepare('ctr1', c2);
      assert.deepEqual(await snap.listSnapshots(), ['ctr1']);
      await snap.mount('ctr1', merged);
      try {
        assert.equal(fs.existsSync(`${merged}/gone`), false, 'whiteout hides the lower file');
        assert.equal(fs.readFileSync(`${merged}/keep`, 'utf8'), 'v2');
        assert.deepEqual(fs.readdirSync(`${merged}/opaque`), ['visible'], 'opaque dir hides lower contents');
        assert.deepEqual(fs.readdirSync(`${merged}/dir`), ['b']);
        assert.equal(fs.readlinkSync(`${merged}/link`), 'keep');
        fs.writeFileSync(`${merged}/written`, 'by the container');
        fs.rmSync(`${merged}/keep`);
        assert.ok(await snap.usage('ctr1') >= 'by the container'.length);
        const d = await snap.describe('ctr1', merged);
        assert.equal(d.MergedDir, merged);
        assert.ok(d.UpperDir && fs.existsSync(d.UpperDir));
        if (kind === 'overlay') assert.equal(d.LowerDir!.split(':').length, 2);
      } finally {
        await snap.unmount(merged);
      }
      await snap.unmount(merged); // again: not mounted is fine
      // A second container sees the image, not the first one's writes.
      await snap.prepare('ctr2', c2);
      await snap.mount('ctr2', merged);
      try {
        assert.equal(fs.existsSync(`${merged}/written`), false);
        assert.equal(fs.readFileSync(`${merged}/keep`, 'utf8'), 'v2');
      } finally {
        await snap.unmount(merged);
      }
      await assert.rejects(snap.prepare('ctr2', c2), (e) => isCode(e, 'conflict'));
      await assert.rejects(snap.removeLayer(c2), (e) => isCode(e, 'conflict'), 'a layer under a snapshot stays');
      await snap.remove('ctr1');
      await snap.remove('ctr2');
      await snap.remove('ctr2'); // missing is fine
      await assert.rejects(snap.removeLayer(c1), (e) => isCode(e, 'conflict'), 'a parent layer stays while its child exists');
      await snap.removeLayer(c2);
      await snap.removeLayer(c1);
      assert.deepEqual(await snap.listLayers(), []);
      await snap.removeLayer(c1); // missing is fine
    });

    test('a snapshot without parent is an empty writable tree', async (t) => {
      const { snap, merged } = await fixture(t, kind);
      await snap.prepare('scratch', null);
      await snap.mount('scratch', merged);
      try {
        assert.deepEqual(fs.readdirSync(merged), []);
        fs.writeFileSync(`${merged}/f`, 'x');
      } finally {
        await snap.unmount(merged);
      }
      await snap.remove('scratch');
    });

    test('a failed apply leaves no layer and no temp dirs; the same layer applied twice is fine', async (t) => {
      const { snap, dir } = await fixture(t, kind);
      const c = chain('bad');
      await assert.rejects(snap.applyLayer(c, null, tarStreamOf([
        { name: 'ok', body: 'x' }, { name: 'evil', type: 'symlink', linkname: '/etc' }, { name: 'evil/passwd', body: 'pwned' },
      ])), (e) => isCode(e, 'invalid_argument'));
      assert.equal(await snap.hasLayer(c), false);
      assert.deepEqual(fs.readdirSync(`${dir}/snapshots/${kind}/layers`), []);
      await assert.rejects(snap.applyLayer(chain('orphan'), chain('missing-parent'), tarStreamOf([])), (e) => isCode(e, 'not_found'));
      await assert.rejects(snap.applyLayer('not-a-chain-id', null, tarStreamOf([])), (e) => isCode(e, 'invalid_argument'));
      await assert.rejects(snap.prepare('../escape', null), (e) => isCode(e, 'invalid_argument'));
      const good = chain('good');
      const a = await snap.applyLayer(good, null, tarStreamOf([{ name: 'f', body: 'abc' }]));
      const b = await snap.applyLayer(good, null, tarStreamOf([{ name: 'f', body: 'abc' }]));
      assert.deepEqual(a, b);
      // Both at once: one wins, neither fails.
      const both = chain('both');
      const rs = await Promise.all([1, 2].map(() => snap.applyLayer(both, null, tarStreamOf([{ name: 'g', body: 'x' }]))));
      assert.equal(rs[0].diffId, rs[1].diffId);
      assert.deepEqual(fs.readdirSync(`${dir}/snapshots/${kind}/layers`).filter((n) => n.startsWith('.')), []);
    });

    test('leftovers of an interrupted run are cleaned when it starts again', async (t) => {
      const { dir } = await fixture(t, kind);
      const root = `${dir}/snapshots/${kind}`;
      fs.mkdirSync(`${root}/layers/.tmp-crashed/diff`, { recursive: true });
      fs.mkdirSync(`${root}/active/.tmp-crashed`, { recursive: true });
      fs.mkdirSync(`${root}/trash/half-removed/sub`, { recursive: true });
      if (kind === 'overlay') fs.symlinkSync('../layers/nothing/diff', `${root}/l/DANGLING00`);
      const again = await createSnapshotter(`${dir}/snapshots`, kind);
      assert.deepEqual(await again.listLayers(), []);
      assert.deepEqual(fs.readdirSync(`${root}/layers`), []);
      assert.deepEqual(fs.readdirSync(`${root}/active`), []);
      assert.deepEqual(fs.readdirSync(`${root}/trash`), []);
      if (kind === 'overlay') assert.deepEqual(fs.readdirSync(`${root}/l`), []);
    });

    test('each layer is placed apart: layers/ carries ext4\'s FS_TOPDIR_FL where the file system has it', async (t) => {
      const { snap, dir } = await fixture(t, kind);
      const probe = `${dir}/probe`;
      fs.mkdirSync(probe);
      if (!spreadSubdirs(probe)) {
        t.skip('this file system has no FS_TOPDIR_FL');
        return;
      }
      const fd = fs.openSync(`${dir}/snapshots/${kind}/layers`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      try {
        assert.equal(inodeFlags(fd, 'layers') & FS_TOPDIR_FL, FS_TOPDIR_FL);
      } finally {
        fs.closeSync(fd);
      }
      // Set again at every start (a data root made before this change), and layers still apply under it.
      const again = await createSnapshotter(`${dir}/snapshots`, kind);
      const c1 = chain('spread');
      await again.applyLayer(c1, null, tarStreamOf(L1));
      assert.equal(await snap.hasLayer(c1), true);
      await again.removeLayer(c1);
    });

    test('an image with 120 layers mounts', async (t) => {
      const { snap, merged } = await fixture(t, kind);
      let parent: string | null = null;
      for (let i = 0; i < 120; i++) {
        const c = chain(`layer-${i}`);
        const entries: TestEntry[] = [{ name: `files/f${i}`, body: String(i) }];
        if (i > 0) entries.push({ name: `files/.wh.f${i - 1}` });
        await snap.applyLayer(c, parent, tarStreamOf(entries));
        parent = c;
      }
      await snap.prepare('big', parent);
      await snap.mount('big', merged);
      try {
        assert.deepEqual(fs.readdirSync(`${merged}/files`), ['f119']);
        assert.equal(fs.readFileSync(`${merged}/files/f119`, 'utf8'), '119');
      } finally {
        await snap.unmount(merged);
      }
      if (kind === 'overlay') {
        const d = await snap.describe('big', merged);
        assert.equal(d.LowerDir!.split(':').length, 120);
        assert.ok(d.LowerDir!.length > 4096, 'the plain lowerdir list would not have fit in a page');
      }
      await snap.remove('big');
    });
  });
}

describe('snapshotter choice', { skip: skipUnlessRoot() }, () => {
  test('auto picks overlay where it works; copy on request', async (t) => {
    const { dir, cleanup } = tempDir('berth-choice-');
    t.after(cleanup);
    const auto = await createSnapshotter(`${dir}/s`, 'auto');
    assert.equal(auto.name, probeOverlay(dir) === null ? 'overlay' : 'copy');
    assert.equal((await createSnapshotter(`${dir}/s`, 'copy')).name, 'copy');
    assert.deepEqual(fs.readdirSync(`${dir}/s`).filter((n) => n.startsWith('.')), [], 'the probe cleans up');
  });
});
