// writeDiffTar (the layer writer a build step's commit uses) makes exactly
// the bytes of diffTar (the stream reference): sizes across the staging
// buffer's boundaries, hardlinks, symlinks, deletions, opaque directories,
// xattrs and mount stubs left out, on both snapshotters.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';
import { createSnapshotter } from '../../../src/stores/snapshots/index.ts';
import { diffTar, writeDiffTar } from '../../../src/images/layer-diff.ts';
import { unmountUnder } from '../../helpers/mounts.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tarStreamOf, tempDir } from './tars.ts';

const chain = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

for (const kind of ['overlay', 'copy'] as const) {
  describe(`writeDiffTar (${kind})`, { skip: skipUnlessRoot() }, () => {
    test('same bytes as the diff stream', async (t) => {
      // Whiteouts carry the current time: one clock for both writers.
      t.mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
      const { dir, cleanup } = tempDir(`berth-dw-${kind}-`);
      t.after(async () => { await unmountUnder(dir); cleanup(); });
      const snap = await createSnapshotter(`${dir}/snapshots`, kind);
      const c1 = chain('base');
      await snap.applyLayer(c1, null, tarStreamOf([
        { name: 'etc/', type: 'dir' }, { name: 'etc/gone', body: 'x' }, { name: 'opq/a', body: 'a' },
      ]));
      await snap.prepare('w', c1);
      const m = `${dir}/m`;
      fs.mkdirSync(m);
      await snap.mount('w', m);
      try {
        fs.mkdirSync(`${m}/data`);
        // Around and across the 1 MiB staging buffer, and not multiples of 512.
        for (const [name, size] of [['a', 1], ['b', 511], ['c', 1024 * 1024 - 700], ['d', 1024 * 1024], ['e', 3 * 1024 * 1024 + 17], ['empty', 0]] as const) {
          fs.writeFileSync(`${m}/data/${name}`, randomBytes(size));
        }
        fs.linkSync(`${m}/data/b`, `${m}/data/b-link`);
        fs.symlinkSync('../data/a', `${m}/data/sym`);
        fs.rmSync(`${m}/etc/gone`);
        fs.rmSync(`${m}/opq`, { recursive: true });
        fs.mkdirSync(`${m}/opq`);
        fs.writeFileSync(`${m}/opq/b`, 'b');
        fs.writeFileSync(`${m}/.dockerenv`, '');
      } finally {
        await snap.unmount(m);
      }
      const stubs = new Set(['.dockerenv']);
      const reference = await collect(diffTar(snap, 'w', stubs).stream);
      const chunks: Buffer[] = [];
      const written = await writeDiffTar(snap, 'w', stubs, async (c) => { chunks.push(Buffer.from(c)); });
      const fast = Buffer.concat(chunks);
      assert.equal(fast.length, reference.length);
      assert.ok(fast.equals(reference), 'identical tar bytes');
      assert.ok(!fast.includes(Buffer.from('.dockerenv')), 'empty mount stub left out');
      assert.equal(written.contentBytes, 1 + 511 + (1024 * 1024 - 700) + 1024 * 1024 + 3 * 1024 * 1024 + 17 + 1);
      assert.ok(chunks.every((c) => c.length <= 1024 * 1024), 'handed over at most a MiB at a time');
      await snap.remove('w');
      await snap.removeLayer(c1);
    });
  });
}
