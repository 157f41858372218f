// version, info, and a container's whole life through the docker CLI:
// create, start, stop, start again, restart, kill, wait, rm.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { type CompatTarget, compatSuite, lines, sleep, waitFor } from './target.ts';

async function state(tgt: CompatTarget, id: string, field: string): Promise<string> {
  return (await tgt.ok(['inspect', '-f', `{{${field}}}`, id])).stdout.trim();
}

compatSuite('containers lifecycle', (s) => {
  s.test('version has a Server section with an API version', async (tgt) => {
    const r = await tgt.ok(['version']);
    const server = r.stdout.slice(r.stdout.indexOf('\nServer'));
    assert.match(r.stdout, /^Server:/m);
    assert.match(server, /API version:\s+1\.\d+ \(minimum version 1\.\d+\)/);
    const api = (await tgt.ok(['version', '-f', '{{.Server.APIVersion}}'])).stdout.trim();
    const [, minor] = /^1\.(\d+)$/.exec(api) ?? [];
    assert.ok(Number(minor) >= 24, `negotiated API ${api}`);
    assert.match((await tgt.ok(['version', '-f', '{{.Server.Os}}/{{.Server.Arch}}'])).stdout, /^linux\/amd64\n$/);
  });

  s.test('info counts containers and names the storage driver', async (tgt) => {
    const counts = async () => (await tgt.ok(['info', '-f', '{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}}'])).stdout.trim();
    assert.equal(await counts(), '0 0 0');
    const id = (await tgt.ok(['run', '-d', 'busybox', 'sleep', '1000'])).stdout.trim();
    await tgt.ok(['create', 'busybox', 'true']);
    assert.equal(await counts(), '2 1 1');
    const info = (await tgt.ok(['info'])).stdout;
    assert.match(info, /^Server:$/m);
    assert.match(info, /^ Containers: 2$/m);
    assert.match(info, /^ Storage Driver: \S+$/m);
    assert.match(info, /^ Images: [1-9]\d*$/m);
    await tgt.ok(['rm', '-f', id]);
  });

  s.test('create then start -a runs the command once', async (tgt) => {
    const id = (await tgt.ok(['create', '--name', 'created1', 'busybox', 'echo', 'from-create'])).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(await state(tgt, id, '.State.Status'), 'created');
    assert.equal((await tgt.ok(['start', '-a', 'created1'])).stdout, 'from-create\n');
    assert.equal(await state(tgt, id, '.State.Status'), 'exited');
    assert.equal(await state(tgt, id, '.State.ExitCode'), '0');
  });

  s.test('run -d, ps, stop, start, restart, rm -f', async (tgt) => {
    const id = (await tgt.ok(['run', '-d', '--name', 'life', 'busybox', 'sleep', '1000'])).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = (await tgt.ok(['ps', '--format', '{{.ID}}|{{.Names}}|{{.Status}}|{{.Command}}'])).stdout;
    assert.match(ps, new RegExp(`^${id.slice(0, 12)}\\|life\\|Up .+\\|"sleep 1000"$`, 'm'));
    assert.equal(await state(tgt, id, '.State.Running'), 'true');
    const pid1 = Number(await state(tgt, id, '.State.Pid'));
    assert.ok(pid1 > 0 && existsSync(`/proc/${pid1}`), `pid ${pid1} is a live process`);

    // sleep as pid 1 ignores SIGTERM: stop escalates to SIGKILL after -t.
    await tgt.ok(['stop', '-t', '1', 'life']);
    assert.equal(await state(tgt, id, '.State.Status'), 'exited');
    assert.equal(await state(tgt, id, '.State.ExitCode'), '137');
    assert.equal(await state(tgt, id, '.State.Pid'), '0');
    assert.equal(existsSync(`/proc/${pid1}`), false);
    assert.equal((await tgt.ok(['ps', '-q'])).stdout, '');
    assert.match((await tgt.ok(['ps', '-a', '--format', '{{.Names}} {{.Status}}'])).stdout, /^life Exited \(137\) .+ago$/m);

    const started1 = await state(tgt, id, '.State.StartedAt');
    await tgt.ok(['start', 'life']);
    assert.equal(await state(tgt, id, '.State.Status'), 'running');
    const pid2 = Number(await state(tgt, id, '.State.Pid'));
    assert.notEqual(pid2, pid1);
    assert.notEqual(await state(tgt, id, '.State.StartedAt'), started1);

    await tgt.ok(['restart', '-t', '1', 'life']);
    assert.equal(await state(tgt, id, '.State.Status'), 'running');
    const pid3 = Number(await state(tgt, id, '.State.Pid'));
    assert.ok(pid3 > 0 && pid3 !== pid2, `restart gave a new process (${pid2} -> ${pid3})`);
    assert.equal(existsSync(`/proc/${pid2}`), false);

    assert.equal((await tgt.ok(['rm', '-f', 'life'])).stdout, 'life\n');
    assert.equal(existsSync(`/proc/${pid3}`), false);
    assert.equal((await tgt.ok(['ps', '-a', '-q'])).stdout, '');
    const gone = await tgt.fails(['inspect', 'life'], 1);
    assert.match(gone.stderr, /No such object: life/);
  });

  s.test('kill sends SIGKILL by default and -s a chosen signal', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'k1', 'busybox', 'sleep', '1000']);
    assert.equal((await tgt.ok(['kill', 'k1'])).stdout, 'k1\n');
    assert.equal((await tgt.ok(['wait', 'k1'])).stdout, '137\n');

    // sh installs a handler, so TERM is delivered even to pid 1.
    await tgt.ok(['run', '-d', '--name', 'k2', 'busybox', 'sh', '-c', 'trap "echo got-term; exit 5" TERM; while :; do sleep 0.1; done']);
    await waitFor(async () => (await state(tgt, 'k2', '.State.Running')) === 'true', 'k2 running');
    await sleep(300);
    await tgt.ok(['kill', '-s', 'TERM', 'k2']);
    assert.equal((await tgt.ok(['wait', 'k2'])).stdout, '5\n');
    assert.equal((await tgt.ok(['logs', 'k2'])).stdout, 'got-term\n');
    const err = await tgt.fails(['kill', 'k2'], 1);
    assert.equal(err.stderr, `Error response from daemon: Cannot kill container: k2: Container ${(await state(tgt, 'k2', '.Id'))} is not running\n`);
    // A signal name is refused before the container is looked at; a number the platform lacks, after.
    assert.equal((await tgt.fails(['kill', '-s', 'SIGFOO', 'nosuch'], 1)).stderr, 'Error response from daemon: Invalid signal: SIGFOO\n');
    assert.equal((await tgt.fails(['kill', '-s', '99', 'nosuch'], 1)).stderr, 'Error response from daemon: Cannot kill container: nosuch: No such container: nosuch\n');
    await tgt.ok(['run', '-d', '--name', 'k3', 'busybox', 'sleep', '1000']);
    assert.equal((await tgt.fails(['kill', '-s', '99', 'k3'], 1)).stderr, 'Error response from daemon: Cannot kill container: k3: The linux daemon does not support signal 99\n');
  });

  s.test('stop of a container that handles TERM returns its own exit code', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'graceful', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done']);
    await sleep(300);
    const t0 = Date.now();
    await tgt.ok(['stop', '-t', '30', 'graceful']);
    assert.ok(Date.now() - t0 < 10_000, 'stopped on TERM, not after the timeout');
    assert.equal(await state(tgt, 'graceful', '.State.ExitCode'), '0');
  });

  s.test('wait prints the exit code of each container', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'w1', 'busybox', 'sh', '-c', 'sleep 1; exit 4']);
    await tgt.ok(['run', '-d', '--name', 'w2', 'busybox', 'sh', '-c', 'exit 9']);
    assert.deepEqual(lines((await tgt.ok(['wait', 'w1', 'w2'])).stdout), ['4', '9']);
    assert.equal(await state(tgt, 'w1', '.State.Status'), 'exited');
  });

  s.test('rm removes stopped containers and reports each name', async (tgt) => {
    await tgt.ok(['create', '--name', 'r1', 'busybox']);
    await tgt.ok(['run', '--name', 'r2', 'busybox', 'true']);
    assert.deepEqual(lines((await tgt.ok(['rm', 'r1', 'r2'])).stdout), ['r1', 'r2']);
    assert.equal((await tgt.ok(['ps', '-a', '-q'])).stdout, '');
  });
});
