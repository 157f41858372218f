// The private-daemon harness must leave nothing behind even after a crash
// with containers running. Validated against the reference dockerd (its
// containerd and shims stand in for berthd's conmons); berthd's own run of
// the same guarantee is in test/compat/restart-live-restore.test.ts.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, runOk, skipUnlessRoot, startDockerd } from '../../helpers/daemon.ts';
import { mountsUnder } from '../../helpers/mounts.ts';
import { isAlive, processesUnder } from '../../helpers/procs.ts';

describe('private daemon harness', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon | undefined;
  after(async () => {
    await d?.cleanup();
  });

  it('cleans up a crashed daemon with a running container', async (t) => {
    try {
      d = await startDockerd({ liveRestore: true });
    } catch (e) {
      if (e instanceof DaemonUnavailable) return t.skip(e.message);
      throw e;
    }
    const id = (await runOk(DOCKER_CLI, ['run', '-d', 'busybox', 'sleep', '1000'], { env: d.env })).stdout.trim();
    const pid = Number((await runOk(DOCKER_CLI, ['inspect', '-f', '{{.State.Pid}}', id], { env: d.env })).stdout);
    assert.ok(pid > 0);
    const procs = processesUnder(d.dir);
    // containerd, its shim and the container's sleep are all found through the dir.
    assert.ok(procs.some((p) => p.pid === pid), `container pid ${pid} not among ${procs.map((p) => p.pid)}`);
    assert.ok(mountsUnder(d.dir).length > 0, 'a running container has mounts under the dir');
    await d.kill9();
    const dir = d.dir;
    await d.cleanup();
    assert.deepEqual(processesUnder(dir).map((p) => p.argv.join(' ')), []);
    assert.ok(!procs.some(isAlive), 'every process of the daemon is gone');
    assert.deepEqual(mountsUnder(dir), []);
    assert.equal(existsSync(dir), false);
    assert.equal(existsSync(`/sys/fs/cgroup/memory/${dir.split('/').pop()}`), false, 'private cgroup parent removed');
  });
});
