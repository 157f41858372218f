// Daemon restarts: containers outlive a crash of the daemon (berthd through
// conmon; dockerd with --live-restore, the reference), exits that happen
// while it is down are picked up, state survives a graceful restart, a
// second daemon cannot take the same data root, and the harness leaves
// nothing behind after a crash.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ping } from '../helpers/api.ts';
import { BERTHD, daemonProcesses, run, startBerthd, startDockerd } from '../helpers/daemon.ts';
import { DOCKERD } from '../helpers/dockerd.ts';
import { mountsUnder } from '../helpers/mounts.ts';
import { isAlive, processesUnder } from '../helpers/procs.ts';
import { CLI, type CompatTarget, compatSuite, lines, waitFor } from './target.ts';

async function pidOf(tgt: CompatTarget, name: string): Promise<number> {
  return Number((await tgt.ok(['inspect', '-f', '{{.State.Pid}}', name])).stdout);
}

compatSuite('restart and live restore', (s) => {
  s.test('an exit while the daemon is down is picked up after restart', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'exits', 'busybox', 'sh', '-c', 'sleep 2; echo done; exit 7']);
    const pid = await pidOf(tgt, 'exits');
    assert.ok(pid > 0);
    await tgt.daemon.kill9();
    await waitFor(() => !existsSync(`/proc/${pid}`), 'the container to exit while the daemon is down', 15_000);
    await tgt.daemon.start();
    assert.equal((await tgt.ok(['wait', 'exits'])).stdout, '7\n');
    // conmon writes berth's log files, so output from while berthd was down is
    // there. dockerd's log copier runs inside dockerd: the reference loses the
    // output of a container that exits while it is down (seen here with 20.10).
    const logs = (await tgt.ok(['logs', 'exits'])).stdout;
    if (tgt.name === 'berthd') assert.equal(logs, 'done\n');
    else assert.ok(logs === '' || logs === 'done\n', logs);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}', 'exits'])).stdout,
      'exited 7 false\n');
    assert.match((await tgt.ok(['ps', '-a', '--format', '{{.Names}} {{.Status}}'])).stdout, /^exits Exited \(7\) /m);
  });

  s.test('a running container survives a crash and can be stopped after', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'keeps', 'busybox', 'sh', '-c', 'echo before; sleep 2; echo during; exec sleep 1000']);
    const pid = await pidOf(tgt, 'keeps');
    await tgt.daemon.kill9();
    await new Promise((r) => setTimeout(r, 3_000)); // "during" is written while the daemon is down
    assert.ok(existsSync(`/proc/${pid}`), 'the container kept running without its daemon');
    await tgt.daemon.start();
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'keeps'])).stdout, `running ${pid}\n`);
    assert.deepEqual(lines((await tgt.ok(['ps', '--format', '{{.Names}}'])).stdout), ['keeps']);
    await waitFor(async () => (await tgt.ok(['logs', 'keeps'])).stdout === 'before\nduring\n', 'both lines in the log');
    await tgt.ok(['stop', '-t', '1', 'keeps']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'keeps'])).stdout, 'exited 137\n');
    assert.equal(existsSync(`/proc/${pid}`), false);
    // Started again under the new daemon instance, it runs and reports normally.
    await tgt.ok(['start', 'keeps']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Running}}', 'keeps'])).stdout, 'true\n');
    await tgt.ok(['rm', '-f', 'keeps']);
  });

  s.test('a graceful restart keeps containers and images', async (tgt) => {
    await tgt.ok(['tag', 'busybox', 'kept:1']);
    await tgt.ok(['create', '--name', 'made', '-l', 'k=v', 'kept:1', 'echo', 'hi']);
    await tgt.ok(['run', '--name', 'ran', 'busybox', 'sh', '-c', 'echo ran; exit 3']).catch(() => {});
    const before = (await tgt.ok(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.State}} {{.Labels}}'])).stdout;
    await tgt.daemon.restart();
    assert.equal((await tgt.ok(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.State}} {{.Labels}}'])).stdout, before);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.ExitCode}}', 'ran'])).stdout, '3\n');
    assert.equal((await tgt.ok(['logs', 'ran'])).stdout, 'ran\n');
    assert.equal((await tgt.ok(['start', '-a', 'made'])).stdout, 'hi\n');
    assert.ok(lines((await tgt.ok(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout).includes('kept:1'));
    await tgt.ok(['rm', 'made', 'ran']);
    await tgt.ok(['rmi', 'kept:1']);
  });

  s.test('a second daemon on the same data root refuses to start', async (tgt) => {
    const d = tgt.daemon;
    const common = ['-H', `unix://${d.dir}/second.sock`, '--data-root', d.dataRoot, '--exec-root', join(d.dir, 'exec2'),
      '--pidfile', join(d.dir, 'second.pid')];
    const r = tgt.name === 'berthd'
      ? await run(BERTHD, [...common, '--config-file', join(d.dir, 'berthd.json')], { timeout: 45_000 })
      : await run(DOCKERD, [...common, '--bridge', 'none', '--iptables=false', '--ip6tables=false'], { timeout: 45_000 });
    assert.notEqual(r.code, 0, `the second ${tgt.name} exited ${r.code}`);
    if (tgt.name === 'berthd') assert.ok(r.stderr.includes(d.dataRoot), `berthd names the data root in use: ${r.stderr}`);
    assert.ok(await ping(d.socket), 'the first daemon still answers');
    assert.equal((await tgt.ok(['run', '--rm', 'busybox', 'echo', 'still-fine'])).stdout, 'still-fine\n');
  });

  s.test('cleanup after a crash leaves no process, mount or directory', async (tgt) => {
    // A second private daemon of the same kind, crashed with a container running.
    const other = tgt.name === 'berthd' ? await startBerthd() : await startDockerd({ liveRestore: true });
    let cleaned = false;
    try {
      await run(CLI, ['run', '-d', '--name', 'orphan', 'busybox', 'sleep', '1000'], { env: other.env });
      const pid = Number((await run(CLI, ['inspect', '-f', '{{.State.Pid}}', 'orphan'], { env: other.env })).stdout);
      assert.ok(pid > 0, 'the container runs');
      const procs = daemonProcesses(other);
      assert.ok(procs.some((p) => p.pid === pid), 'the container is found through the daemon dir');
      assert.ok(mountsUnder(other.dir).length > 0, 'its rootfs is mounted under the daemon dir');
      await other.kill9();
      const dir = other.dir;
      await other.cleanup();
      cleaned = true;
      assert.ok(!procs.some(isAlive), 'conmon/shim and the container are gone');
      assert.deepEqual(processesUnder(dir), []);
      assert.deepEqual(mountsUnder(dir), []);
      assert.equal(existsSync(dir), false);
    } finally {
      if (!cleaned) await other.cleanup();
    }
  }, { timeout: 180_000 });
}, { liveRestore: true });
