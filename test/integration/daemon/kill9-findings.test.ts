// What the widened kill -9 loop (stress/kill9.ts) found, each reproduced
// without waiting for a lucky kill:
//   - a commit cut by the kill left its container frozen (commit pauses a
//     running container) while berthd, restarted, reported it running:
//     an exec into it answered exit 126;
//   - a build's RUN container whose snapshot had already become the step's
//     layer was listed without a snapshot when the kill came before its
//     removal; `build --rm=false` left every intermediate container so.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';
import { call, tarOf } from '../../../stress/kill9-workload.ts';
import { streamResult } from '../../../stress/kill9-ops.ts';

describe('kill -9 findings', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  before(async () => { d = await startBerthd(); });
  after(async () => { await d?.cleanup(); });

  const runc = (...args: string[]) => execFileSync('/usr/sbin/runc', ['--root', join(d.execRoot, 'runtime/state/runc'), ...args], { encoding: 'utf8' });

  test('a container frozen by a commit the kill cut is running again after the restart', async () => {
    const c = await call(d.socket, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '1000'] });
    const id = JSON.parse(c.body).Id as string;
    assert.equal((await call(d.socket, 'POST', `/containers/${id}/start`)).status, 204);
    // What a commit does first (pause=true), then the kill.
    runc('pause', id);
    await d.kill9();
    await d.start();
    assert.equal(JSON.parse(runc('state', id)).status, 'running');
    const e = await call(d.socket, 'POST', `/containers/${id}/exec`, { Cmd: ['true'], AttachStdout: true });
    const execId = JSON.parse(e.body).Id as string;
    await call(d.socket, 'POST', `/exec/${execId}/start`, { Detach: false });
    assert.equal(JSON.parse((await call(d.socket, 'GET', `/exec/${execId}/json`)).body).ExitCode, 0);
    assert.equal((await call(d.socket, 'DELETE', `/containers/${id}?force=1`)).status, 204);
  });

  test('build --rm=false keeps its intermediate containers whole', async () => {
    const ids = async () => (JSON.parse((await call(d.socket, 'GET', '/containers/json?all=1')).body) as Array<{ Id: string }>).map((c) => c.Id);
    const before = new Set(await ids());
    const ctx = await tarOf({ Dockerfile: 'FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n' });
    const r = await call(d.socket, 'POST', '/build?t=kept:1&rm=0', ctx);
    assert.equal(streamResult(r.body).error, null, r.body);
    const list = (await ids()).filter((id) => !before.has(id)).map((Id) => ({ Id }));
    assert.equal(list.length, 2);
    for (const c of list) {
      assert.ok(existsSync(join(d.dataRoot, 'snapshots/overlay/active', c.Id, 'diff')), `${c.Id.slice(0, 12)} has its snapshot`);
      // And it still works as a container: its own change is in it.
      const cm = await call(d.socket, 'POST', `/commit?container=${c.Id}&repo=kept&tag=${c.Id.slice(0, 8)}`, {});
      assert.equal(cm.status, 201, cm.body);
      assert.equal((await call(d.socket, 'DELETE', `/containers/${c.Id}`)).status, 204);
    }
  });
});
