// docker cp against a container that swaps the path under it (the
// CVE-2018-15664 shape): the container turns /w, in a tight loop, from a
// directory holding `secret` into a symlink to a host directory's absolute
// path (or a relative climb to it) and back, while cp reads /w/secret, /w/
// and /w/. out of it and writes an archive into /w, many times. A daemon
// that resolves the path, then opens it again on the host, reads the host's
// secret or writes into the host's directory once the race is won. berthd
// resolves every path from the container's root descriptor
// (openat2 RESOLVE_IN_ROOT), so it must never: no host file read (no
// answer carries the host secret), none written, no 5xx.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { type PrivateDaemon, skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { entryTar } from '../../helpers/hostile-tars.ts';
import { json, raw } from '../../helpers/hostile-paths.ts';
import { END_OF_ARCHIVE } from '../../../src/stores/tar/format.ts';

const ROUNDS = Number(process.env.BERTH_CP_RACE_ROUNDS ?? 150);

describe('cp against a symlink-swapping container', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  let canary: string;
  let secret: string;
  let id: string;

  before(async () => {
    canary = fs.mkdtempSync('/tmp/cp-race-canary-');
    secret = `HOST-SECRET-${randomBytes(8).toString('hex')}`;
    fs.writeFileSync(`${canary}/secret`, `${secret}\n`);
    d = await startBerthd();
    const climb = `../../../../../../..${canary}`;
    const loop = [
      'mkdir -p /real && echo inside > /real/secret',
      `while :; do rm -rf /w; mkdir /w; echo inside > /w/secret; rm -rf /w; ln -s ${canary} /w; rm -f /w; ln -s ${climb} /w; rm -f /w; ln -s /real /w; done`,
    ].join('; ');
    const c = await raw(d.socket, 'POST', '/containers/create', json({ Image: 'busybox', Cmd: ['sh', '-c', loop], HostConfig: { NetworkMode: 'none' } }), { 'content-type': 'application/json' });
    assert.equal(c.status, 201, c.body.toString());
    id = (JSON.parse(c.body.toString()) as { Id: string }).Id;
    assert.equal((await raw(d.socket, 'POST', `/containers/${id}/start`)).status, 204);
  });
  after(async () => {
    await d?.cleanup();
    if (canary) fs.rmSync(canary, { recursive: true, force: true });
  });

  test(`${ROUNDS} rounds of cp out of and into /w while it swaps: no host file read or written`, async () => {
    const statuses: Record<string, number> = {};
    const serverErrors: string[] = [];
    let readInside = 0;
    const put = Buffer.concat([entryTar('pwned', 'from cp\n'), END_OF_ARCHIVE]);
    for (let i = 0; i < ROUNDS; i++) {
      const answers = await Promise.all([
        raw(d.socket, 'GET', `/containers/${id}/archive?path=${encodeURIComponent('/w/secret')}`),
        raw(d.socket, 'GET', `/containers/${id}/archive?path=${encodeURIComponent('/w/')}`),
        raw(d.socket, 'GET', `/containers/${id}/archive?path=${encodeURIComponent('/w/.')}`),
        raw(d.socket, 'PUT', `/containers/${id}/archive?path=${encodeURIComponent('/w')}`, put, { 'content-type': 'application/x-tar' }),
      ]);
      for (const [k, r] of answers.entries()) {
        const key = `${['get-file', 'get-dir', 'get-dot', 'put'][k]} ${r.status}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (r.status >= 500) serverErrors.push(`${key}: ${r.body.toString().slice(0, 200)}`);
        assert.ok(!r.body.includes(secret), `round ${i}: the host's secret came out of the container (${key})`);
        if (r.status === 200 && r.body.includes('inside\n')) readInside++;
      }
      assert.deepEqual(fs.readdirSync(canary), ['secret'], `round ${i}: cp wrote into the host directory`);
      assert.equal(fs.readFileSync(`${canary}/secret`, 'utf8'), `${secret}\n`);
    }
    console.log(`cp race: ${JSON.stringify(statuses)}; ${readInside} reads got the container's own file`);
    assert.deepEqual(serverErrors.slice(0, 5), []);
    // The race was really run: some copies met the directory, some the symlinks.
    assert.ok(readInside > 0, 'no copy ever read the container\'s file');
    assert.ok(Object.keys(statuses).some((k) => /^get-file 404/.test(k)), 'no copy ever met the host path symlink');
    const top = await raw(d.socket, 'GET', `/containers/${id}/top`);
    assert.equal(top.status, 200, 'the swapping container died');
  });
});
