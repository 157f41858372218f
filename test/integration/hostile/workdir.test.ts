// Working directories through /proc/self/fd/N (the CVE-2024-21626 shape)
// against a private berthd, for both runtimes: `run -w`, an image's or a
// container's WORKDIR reached through a symlink planted in its filesystem,
// and `exec -w` (directly and through a symlink made by the running
// container). Every one is refused with a 400 naming the CVE before the
// runtime runs anything; ordinary working directories still work.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type PrivateDaemon, skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { json, raw } from '../../helpers/hostile-paths.ts';
import { END_OF_ARCHIVE, emptyHeader, encodeHeader } from '../../../src/stores/tar/format.ts';

const JSON_TYPE = { 'content-type': 'application/json' };
const CVE = /CVE-2024-21626/;

function symlinkTar(name: string, target: string): Buffer {
  const h = emptyHeader(name, 'symlink');
  h.linkname = target;
  return Buffer.concat([encodeHeader(h), END_OF_ARCHIVE]);
}

describe('working directories through /proc/self/fd', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  before(async () => { d = await startBerthd(); });
  after(async () => { await d?.cleanup(); });

  async function create(body: object): Promise<{ status: number; id?: string; message: string }> {
    const r = await raw(d.socket, 'POST', '/containers/create', json({ Image: 'busybox', HostConfig: { NetworkMode: 'none', ...(body as { HostConfig?: object }).HostConfig }, ...body }), JSON_TYPE);
    const b = JSON.parse(r.body.toString()) as { Id?: string; message?: string };
    return { status: r.status, ...(b.Id ? { id: b.Id } : {}), message: b.message ?? '' };
  }

  for (const runtime of ['runc', 'crun']) {
    test(`${runtime}: run -w /proc/self/fd/N is refused at create, for every N`, async () => {
      for (let fd = 3; fd <= 12; fd++) {
        const c = await create({ Cmd: ['pwd'], WorkingDir: `/proc/self/fd/${fd}`, HostConfig: { Runtime: runtime } });
        assert.equal(c.status, 400, c.message);
        assert.match(c.message, CVE);
      }
      const ok = await create({ Cmd: ['pwd'], WorkingDir: '/tmp', HostConfig: { Runtime: runtime } });
      assert.equal(ok.status, 201, ok.message);
      assert.equal((await raw(d.socket, 'DELETE', `/containers/${ok.id}?force=1`)).status, 204);
    });

    test(`${runtime}: a WORKDIR that is a symlink to /proc/self/fd/7 in the container's files is refused at start`, async () => {
      const c = await create({ Cmd: ['sleep', '30'], WorkingDir: '/app', HostConfig: { Runtime: runtime } });
      assert.equal(c.status, 201, c.message);
      const put = await raw(d.socket, 'PUT', `/containers/${c.id}/archive?path=/`, symlinkTar('app', '/proc/self/fd/7'), { 'content-type': 'application/x-tar' });
      assert.equal(put.status, 200, put.body.toString());
      const s = await raw(d.socket, 'POST', `/containers/${c.id}/start`);
      assert.equal(s.status, 400, s.body.toString());
      assert.match(s.body.toString(), /'\/app' is invalid: .*through symbolic links, \/proc\/self\/fd\/7.*CVE-2024-21626/);
      const state = JSON.parse((await raw(d.socket, 'GET', `/containers/${c.id}/json`)).body.toString()) as { State: { Status: string } };
      assert.equal(state.State.Status, 'created');
      assert.equal((await raw(d.socket, 'DELETE', `/containers/${c.id}?force=1`)).status, 204);
    });
  }

  test('exec -w /proc/self/fd/N, or through a symlink the container made, is refused', async () => {
    const c = await create({ Cmd: ['sh', '-c', 'ln -s /proc/self/fd/8 /lnk; ln -s /tmp /fine; sleep 60'] });
    assert.equal(c.status, 201, c.message);
    assert.equal((await raw(d.socket, 'POST', `/containers/${c.id}/start`)).status, 204);
    for (let i = 0; i < 50; i++) {
      const h = await raw(d.socket, 'HEAD', `/containers/${c.id}/archive?path=/fine`);
      if (h.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const wd of ['/proc/self/fd/7', '/proc/1/cwd', '/lnk', '/lnk/..']) {
      const e = await raw(d.socket, 'POST', `/containers/${c.id}/exec`, json({ Cmd: ['pwd'], WorkingDir: wd }), JSON_TYPE);
      assert.equal(e.status, 400, `${wd}: ${e.body.toString()}`);
      assert.match(e.body.toString(), CVE);
    }
    const ok = await raw(d.socket, 'POST', `/containers/${c.id}/exec`, json({ Cmd: ['pwd'], WorkingDir: '/fine' }), JSON_TYPE);
    assert.equal(ok.status, 201, ok.body.toString());
    assert.equal((await raw(d.socket, 'DELETE', `/containers/${c.id}?force=1`)).status, 204);
  });
});
