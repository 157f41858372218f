// A writable snapshot's changes, for both snapshotters: the A/C/D walk, the
// layer tar made of it (whiteouts and opaque markers back in OCI form), and
// commit turning the snapshot into a layer that mounts like the original.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';
import { createSnapshotter } from '../../../src/stores/snapshots/index.ts';
import { diffTar } from '../../../src/images/layer-diff.ts';
import { TarReader } from '../../../src/stores/tar/reader.ts';
import { unmountUnder } from '../../helpers/mounts.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tarStreamOf, tempDir, type TestEntry } from './tars.ts';

const chain = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

const BASE: TestEntry[] = [
  { name: 'etc/', type: 'dir' },
  { name: 'etc/gone', body: 'x' },
  { name: 'etc/keep', body: 'k' },
  { name: 'tmp/', type: 'dir', mode: 0o1777 },
  { name: 'opq/a', body: 'a' },
  { name: 'same/f', body: 's' },
];

for (const kind of ['overlay', 'copy'] as const) {
  describe(`snapshot diff and commit (${kind})`, { skip: skipUnlessRoot() }, () => {
    test('changes, tar and commit', async (t) => {
      const { dir, cleanup } = tempDir(`berth-diff-${kind}-`);
      t.after(async () => { await unmountUnder(dir); cleanup(); });
      const snap = await createSnapshotter(`${dir}/snapshots`, kind);
      const c1 = chain('base');
      await snap.applyLayer(c1, null, tarStreamOf(BASE));
      await snap.prepare('w1', c1);
      const m = `${dir}/m`;
      fs.mkdirSync(m);
      await snap.mount('w1', m);
      fs.rmSync(`${m}/etc/gone`);
      fs.writeFileSync(`${m}/tmp/new`, 'new');
      fs.rmSync(`${m}/opq`, { recursive: true });
      fs.mkdirSync(`${m}/opq`);
      fs.writeFileSync(`${m}/opq/b`, 'b');
      await snap.unmount(m);

      const changes: string[] = [];
      for await (const e of snap.diff('w1')) changes.push(`${e.kind} /${e.path}`);
      for (const c of ['C /etc', 'D /etc/gone', 'C /tmp', 'A /tmp/new', 'A /opq/b']) assert.ok(changes.includes(c), `${c} in ${changes}`);
      assert.ok(!changes.some((c) => c.includes('same')), 'unchanged dirs are not reported');

      const entries = new Map<string, { type: string; mode: number }>();
      const tar = diffTar(snap, 'w1');
      const r = new TarReader(tar.stream as NodeJS.ReadableStream);
      for (let h = await r.next(); h; h = await r.next()) {
        entries.set(h.name.replace(/\/$/, ''), { type: h.type, mode: h.mode });
        for await (const _ of r.body()) { /* drain */ }
      }
      assert.equal(entries.get('etc/.wh.gone')?.type, 'file');
      assert.equal(entries.get('tmp')?.mode, 0o1777, 'parent dir with its own metadata');
      assert.ok(entries.has('tmp/new'));
      assert.ok(entries.has('opq/.wh..wh..opq') || entries.has('opq/.wh.a'), 'the old opq content is hidden');
      assert.ok(![...entries.keys()].some((n) => n.startsWith('same')));

      const c2 = chain('w1');
      await snap.commit('w1', c2, { diffId: r.digest(), size: 3 });
      assert.equal(await snap.hasLayer(c2), true);
      await snap.prepare('w2', c2);
      await snap.mount('w2', m);
      try {
        assert.equal(fs.existsSync(`${m}/etc/gone`), false);
        assert.equal(fs.readFileSync(`${m}/etc/keep`, 'utf8'), 'k');
        assert.equal(fs.readFileSync(`${m}/tmp/new`, 'utf8'), 'new');
        assert.deepEqual(fs.readdirSync(`${m}/opq`), ['b']);
      } finally {
        await snap.unmount(m);
      }
      const none: string[] = [];
      for await (const e of snap.diff('w2')) none.push(e.path);
      assert.deepEqual(none, []);
      await snap.remove('w2');
      await snap.removeLayer(c2);
      await snap.removeLayer(c1);
    });
  });
}
