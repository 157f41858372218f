// The overlay snapshotter under --userns-remap with idmapped layers, below
// the daemon: layers keep the tar's owners and are marked; a mount shows
// them through the mappings (marked lowers idmapped, unmarked ones as they
// are); a setuid bit and the lower's contents survive; a store reopened
// without idmapped mounts refuses marked layers by name instead of showing
// shifted-twice owners. A layer's tree is made once and shared by mounts.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';
import { isCode } from '../../../src/core/errors.ts';
import type { IdMaps } from '../../../src/core/idmap.ts';
import { createSnapshotter, type IdmapOptions } from '../../../src/stores/snapshots/index.ts';
import { unmountUnder } from '../../helpers/mounts.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tarStreamOf, tempDir } from './tars.ts';

const chain = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const HOST = 300000;
const MAPS: IdMaps = { uids: [{ containerId: 0, hostId: HOST, size: 65536 }], gids: [{ containerId: 0, hostId: HOST, size: 65536 }] };
const own = (p: string) => { const st = fs.lstatSync(p); return `${st.uid}:${st.gid}`; };

describe('overlay snapshotter: idmapped layers', { skip: skipUnlessRoot() }, () => {
  for (const attach of ['fd', 'stage'] as const) {
    test(`${attach}: layers stored unshifted and marked, shown shifted; copy-up owned by the mapped root; nothing left mounted`, async (t) => {
      const { dir, cleanup } = tempDir('berth-snap-idmap-');
      t.after(async () => {
        assert.deepEqual(await unmountUnder(dir), [], 'everything unmounted');
        cleanup();
      });
      const idmap: IdmapOptions = { mode: attach, stageDir: `${dir}/stage` };
      const snap = await createSnapshotter(`${dir}/snapshots`, 'overlay', { idMaps: MAPS, idmap });
      assert.deepEqual(snap.driverStatus, [['Userns Remap Layers', `idmapped mounts (${attach})`]]);
      const c1 = chain('base');
      await snap.applyLayer(c1, null, tarStreamOf([
        { name: 'etc/passwd', body: 'root\n', uid: 0, gid: 0 },
        { name: 'home/u/file', body: 'u', uid: 1000, gid: 1001 },
        { name: 'bin/su', body: '#!', mode: 0o4755, uid: 0, gid: 0 },
      ]));
      const layer = `${dir}/snapshots/overlay/layers/${c1.slice(7)}`;
      assert.ok(fs.existsSync(`${layer}/idmapped`));
      assert.deepEqual([own(`${layer}/diff/etc/passwd`), own(`${layer}/diff/home/u/file`)], ['0:0', '1000:1001'], 'stored with the tar\'s owners');

      // A second, unmarked layer on top: what a build step's consumed snapshot is (mapped host IDs already).
      await snap.prepare('step', c1);
      const stepMnt = `${dir}/step`;
      fs.mkdirSync(stepMnt);
      await snap.mount('step', stepMnt);
      fs.writeFileSync(`${stepMnt}/made`, 'm');
      fs.chownSync(`${stepMnt}/made`, HOST, HOST); // as the container's root writes it
      await snap.unmount(stepMnt);
      const c2 = chain('step');
      await snap.commit('step', c2, { diffId: chain('x'), size: 1 });
      assert.ok(!fs.existsSync(`${dir}/snapshots/overlay/layers/${c2.slice(7)}/idmapped`));

      await snap.prepare('ctr', c2);
      const merged = `${dir}/merged`;
      fs.mkdirSync(merged);
      await snap.mount('ctr', merged);
      assert.equal(own(`${merged}/etc/passwd`), `${HOST}:${HOST}`);
      assert.equal(own(`${merged}/home/u/file`), `${HOST + 1000}:${HOST + 1001}`);
      assert.equal(own(`${merged}/made`), `${HOST}:${HOST}`, 'the unmarked layer is shown as it is (idmapped, it would read 65534)');
      assert.equal(fs.statSync(`${merged}/bin/su`).mode & 0o7777, 0o4755);
      // One tree per marked layer, kept and shared by every mount (stage: attached under the stage dir).
      assert.equal(fs.readdirSync(`${dir}/stage`).length, attach === 'stage' ? 1 : 0);
      fs.appendFileSync(`${merged}/etc/passwd`, 'more\n');
      const upper = `${dir}/snapshots/overlay/active/ctr/diff`;
      assert.equal(own(`${upper}/etc/passwd`), `${HOST}:${HOST}`);
      assert.equal(fs.readFileSync(`${upper}/etc/passwd`, 'utf8'), 'root\nmore\n');
      assert.equal(fs.readFileSync(`${layer}/diff/etc/passwd`, 'utf8'), 'root\n');
      assert.equal(own(`${layer}/diff/etc/passwd`), '0:0');
      const diff = [];
      for await (const e of snap.diff('ctr')) diff.push(`${e.kind} ${e.path}`);
      assert.deepEqual(diff, ['C etc', 'C etc/passwd']);
      await snap.unmount(merged);

      // The same store opened where idmapped mounts are off: the marked layer is refused, not shown wrong.
      const chowned = await createSnapshotter(`${dir}/snapshots`, 'overlay', { idMaps: MAPS, idmap: { mode: 'off', stageDir: `${dir}/stage` } });
      assert.deepEqual(chowned.driverStatus, [['Userns Remap Layers', 'chowned once per image']]);
      await assert.rejects(chowned.mount('ctr', merged), (err: Error) => isCode(err, 'unavailable') && /stored for idmapped mounts/.test(err.message));
      assert.equal(fs.readdirSync(merged).length, 0, 'nothing mounted');
      await snap.remove('ctr');
      await snap.removeLayer(c2);
      await snap.removeLayer(c1);
      assert.deepEqual(fs.readdirSync(`${dir}/stage`), [], 'a removed layer\'s tree is dropped');
      snap.close?.();
    });
  }

  test('no remapping: no marker, no idmap, no DriverStatus line', async (t) => {
    const { dir, cleanup } = tempDir('berth-snap-idmap-');
    t.after(cleanup);
    const snap = await createSnapshotter(`${dir}/snapshots`, 'overlay', { idmap: { mode: 'auto', stageDir: `${dir}/stage` } });
    await snap.applyLayer(chain('plain'), null, tarStreamOf([{ name: 'f', body: 'x' }]));
    assert.ok(!fs.existsSync(`${dir}/snapshots/overlay/layers/${chain('plain').slice(7)}/idmapped`));
    assert.deepEqual(snap.driverStatus, []);
  });
});
