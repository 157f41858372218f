// Healthchecks through the real docker CLI and docker-py: the probe's
// results in inspect (State.Health), ps's status text and --filter health=,
// health_status and exec events, a hanging probe killed at its timeout,
// --no-healthcheck, an image's HEALTHCHECK from a docker build merged with
// the container's flags, state across pause, stop and start, and the CLI's
// and daemon's validation messages. Checked against dockerd 20.10 first.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { apiRequest } from '../helpers/api.ts';
import { run } from '../helpers/run.ts';
import { type CompatTarget, compatSuite, lines, waitFor } from './target.ts';

interface Health { Status: string; FailingStreak: number; Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }> }

async function health(tgt: CompatTarget, name: string): Promise<Health | null> {
  return JSON.parse((await tgt.ok(['inspect', '-f', '{{json .State.Health}}', name])).stdout) as Health | null;
}

async function waitHealth(tgt: CompatTarget, name: string, what: string, cond: (h: Health) => boolean, ms = 40_000): Promise<Health> {
  let last: Health | null = null;
  await waitFor(async () => {
    last = await health(tgt, name);
    return last !== null && cond(last);
  }, `${name}: ${what}`, ms);
  return last!;
}

async function status(tgt: CompatTarget, name: string): Promise<string> {
  return (await tgt.ok(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}'])).stdout.trim();
}

const nowSecs = () => String(Math.floor(Date.now() / 1000) + 1);

compatSuite('healthcheck', (s) => {
  s.test('results: inspect shape, ps status, filters, health_status and exec events', async (tgt) => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    await tgt.ok(['run', '-d', '--name', 'good', '--health-cmd', 'echo hi; true', '--health-interval', '1s', 'busybox', 'sleep', '1000']);
    await tgt.ok(['run', '-d', '--name', 'bad', '--health-cmd', 'echo bad >&2; exit 3', '--health-interval', '1s', '--health-retries', '2', 'busybox', 'sleep', '1000']);
    await tgt.ok(['run', '-d', '--name', 'slow', '--health-cmd', 'true', '--health-interval', '1h', 'busybox', 'sleep', '1000']);
    await tgt.ok(['run', '-d', '--name', 'plain', 'busybox', 'sleep', '1000']);
    await tgt.ok(['create', '--name', 'cold', '--health-cmd', 'true', 'busybox']);

    assert.deepEqual(await health(tgt, 'slow'), { Status: 'starting', FailingStreak: 0, Log: [] });
    assert.match(await status(tgt, 'slow'), /^Up .* \(health: starting\)$/);
    assert.equal(await health(tgt, 'plain'), null);
    assert.equal(await health(tgt, 'cold'), null, 'no State.Health before the first start');
    assert.equal((await tgt.ok(['inspect', '-f', '{{json .Config.Healthcheck}}', 'good'])).stdout, '{"Test":["CMD-SHELL","echo hi; true"],"Interval":1000000000}\n');

    const good = await waitHealth(tgt, 'good', 'healthy', (h) => h.Status === 'healthy');
    assert.equal(good.FailingStreak, 0);
    const entry = good.Log[good.Log.length - 1]!;
    assert.deepEqual(Object.keys(entry), ['Start', 'End', 'ExitCode', 'Output']);
    assert.equal(entry.ExitCode, 0);
    assert.equal(entry.Output, 'hi\n');
    assert.ok(Date.parse(entry.End) >= Date.parse(entry.Start));
    assert.match(await status(tgt, 'good'), /^Up .* \(healthy\)$/);

    const bad = await waitHealth(tgt, 'bad', 'unhealthy with a full log', (h) => h.Status === 'unhealthy' && h.Log.length === 5);
    assert.ok(bad.FailingStreak >= 5, `FailingStreak ${bad.FailingStreak}`);
    assert.ok(bad.Log.every((l) => l.ExitCode === 3 && l.Output === 'bad\n'), JSON.stringify(bad.Log));
    assert.match(await status(tgt, 'bad'), /^Up .* \(unhealthy\)$/);

    const names = async (f: string) => lines((await tgt.ok(['ps', '-a', '--filter', `health=${f}`, '--format', '{{.Names}}'])).stdout).sort();
    assert.deepEqual(await names('healthy'), ['good']);
    assert.deepEqual(await names('unhealthy'), ['bad']);
    assert.deepEqual(await names('starting'), ['slow']);
    assert.deepEqual(await names('none'), ['cold', 'plain']);
    assert.match((await tgt.fails(['ps', '--filter', 'health=bogus'], 1)).stderr, /Unrecognised filter value for health: bogus/);

    const ev = async (...f: string[]) => lines((await tgt.ok(['events', '--since', since, '--until', nowSecs(),
      ...f.flatMap((x) => ['--filter', x]), '--format', '{{.Action}}|{{json .Actor.Attributes}}'])).stdout);
    assert.deepEqual((await ev('container=good', 'event=health_status'))[0], 'health_status: healthy|{"image":"busybox","name":"good"}');
    assert.deepEqual(await ev('container=bad', 'event=health_status'), ['health_status: unhealthy|{"image":"busybox","name":"bad"}']);
    const execs = (await ev('container=good')).filter((l) => l.startsWith('exec_')).slice(0, 3);
    const id = /"execID":"([0-9a-f]{64})"/.exec(execs[0] ?? '')?.[1];
    assert.ok(id, execs.join('\n'));
    assert.deepEqual(execs, [
      `exec_create: /bin/sh -c echo hi; true|{"execID":"${id}","image":"busybox","name":"good"}`,
      `exec_start: /bin/sh -c echo hi; true|{"execID":"${id}","image":"busybox","name":"good"}`,
      `exec_die|{"execID":"${id}","exitCode":"0","image":"busybox","name":"good"}`,
    ]);
  });

  s.test('a hanging probe is killed at its timeout and counts as a failure', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'hang', '--health-cmd', 'sleep 1234', '--health-interval', '2s', '--health-timeout', '1s', 'busybox', 'sleep', '1000']);
    const h = await waitHealth(tgt, 'hang', 'unhealthy after 3 timeouts', (x) => x.Status === 'unhealthy');
    assert.equal(h.FailingStreak, 3);
    for (const l of h.Log) {
      assert.equal(l.ExitCode, -1);
      assert.equal(l.Output, 'Health check exceeded timeout (1s)');
      const took = Date.parse(l.End) - Date.parse(l.Start);
      assert.ok(took >= 900 && took < 5000, `probe ran ${took} ms`);
    }
    // At most the probe in flight; the timed-out ones are gone.
    const top = (await tgt.ok(['top', 'hang', '-o', 'pid,args'])).stdout;
    assert.ok(lines(top).filter((l) => l.includes('sleep 1234')).length <= 1, top);
    await tgt.ok(['rm', '-f', 'hang']);
  });

  s.test('CMD-SHELL runs through the container\'s Config.Shell; an image\'s SHELL is not the container\'s (dockerd 20.10)', async (tgt) => {
    const ctx = tgt.tmpDir('hcshell');
    writeFileSync(`${ctx}/Dockerfile`, 'FROM busybox\nSHELL ["/bin/echo", "image-shell"]\nHEALTHCHECK --interval=1s CMD echo probe\n');
    await tgt.ok(['build', '-q', '-t', 'hcshell', ctx]);
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{json .Config.Shell}}', 'hcshell'])).stdout, '["/bin/echo","image-shell"]\n');
    await tgt.ok(['run', '-d', '--name', 'imgshell', 'hcshell', 'sleep', '1000']);
    const created = await apiRequest(tgt.daemon.socket, 'POST', '/v1.41/containers/create?name=apishell', {
      body: { Image: 'hcshell', Cmd: ['sleep', '1000'], Shell: ['/bin/echo', 'api-shell'] },
    });
    assert.equal(created.status, 201, created.body);
    await tgt.ok(['start', 'apishell']);
    const shell = async (n: string) => (await tgt.ok(['inspect', '-f', '{{json .Config.Shell}}', n])).stdout;
    assert.equal(await shell('imgshell'), 'null\n');
    assert.equal(await shell('apishell'), '["/bin/echo","api-shell"]\n');
    assert.equal((await waitHealth(tgt, 'imgshell', 'a probe', (h) => h.Log.length > 0)).Log[0]!.Output, 'probe\n', '/bin/sh -c');
    assert.equal((await waitHealth(tgt, 'apishell', 'a probe', (h) => h.Log.length > 0)).Log[0]!.Output, 'api-shell echo probe\n');
    await tgt.ok(['commit', 'imgshell', 'imgshell-committed']);
    await tgt.ok(['commit', 'apishell', 'apishell-committed']);
    const imageShell = async (n: string) => (await tgt.ok(['image', 'inspect', '-f', '{{json .Config.Shell}}', n])).stdout;
    assert.equal(await imageShell('imgshell-committed'), 'null\n', 'the container\'s config is committed, without the image\'s SHELL');
    assert.equal(await imageShell('apishell-committed'), '["/bin/echo","api-shell"]\n');
  });

  s.test('image HEALTHCHECK from a build, merged with the flags; --no-healthcheck', async (tgt) => {
    const ctx = tgt.tmpDir('hc');
    writeFileSync(`${ctx}/Dockerfile`, 'FROM busybox\nHEALTHCHECK --interval=1s --timeout=3s --retries=4 CMD ["echo", "from image"]\n');
    await tgt.ok(['build', '-q', '-t', 'hcimg', ctx]);
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{json .Config.Healthcheck}}', 'hcimg'])).stdout,
      '{"Test":["CMD","echo","from image"],"Interval":1000000000,"Timeout":3000000000,"Retries":4}\n');
    await tgt.ok(['run', '-d', '--name', 'img', 'hcimg', 'sleep', '1000']);
    await tgt.ok(['run', '-d', '--name', 'over', '--health-interval', '2s', '--health-cmd', 'echo mine', 'hcimg', 'sleep', '1000']);
    await tgt.ok(['run', '-d', '--name', 'off', '--no-healthcheck', 'hcimg', 'sleep', '1000']);
    await tgt.ok(['create', '--name', 'plainer', 'busybox']);
    const cfg = async (n: string) => (await tgt.ok(['inspect', '-f', '{{json .Config.Healthcheck}}', n])).stdout;
    assert.equal(await cfg('over'), '{"Test":["CMD-SHELL","echo mine"],"Interval":2000000000,"Timeout":3000000000,"Retries":4}\n');
    assert.equal(await cfg('off'), '{"Test":["NONE"],"Interval":1000000000,"Timeout":3000000000,"Retries":4}\n');
    const img = await waitHealth(tgt, 'img', 'healthy', (h) => h.Status === 'healthy');
    assert.equal(img.Log[0]!.Output, 'from image\n');
    const over = await waitHealth(tgt, 'over', 'healthy', (h) => h.Status === 'healthy');
    assert.equal(over.Log[0]!.Output, 'mine\n');
    assert.equal(await health(tgt, 'off'), null);
    assert.match(await status(tgt, 'off'), /^Up [^()]*$/);
    assert.deepEqual(lines((await tgt.ok(['ps', '--filter', 'health=none', '--format', '{{.Names}}'])).stdout), ['off']);
    // commit keeps the container's merged healthcheck; --change HEALTHCHECK is laid over it (its unset fields kept, as dockerd).
    await tgt.ok(['commit', 'over', 'committed']);
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{json .Config.Healthcheck}}', 'committed'])).stdout,
      '{"Test":["CMD-SHELL","echo mine"],"Interval":2000000000,"Timeout":3000000000,"Retries":4}\n');
    await tgt.ok(['commit', '--change', 'HEALTHCHECK --interval=5s --retries=2 CMD ["true"]', 'plainer', 'changed']);
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{json .Config.Healthcheck}}', 'changed'])).stdout,
      '{"Test":["CMD","true"],"Interval":5000000000,"Retries":2}\n');
    await tgt.ok(['commit', '--change', 'HEALTHCHECK NONE', 'over', 'disabled']);
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{json .Config.Healthcheck}}', 'disabled'])).stdout,
      '{"Test":["NONE"],"Interval":2000000000,"Timeout":3000000000,"Retries":4}\n');
  });

  s.test('pause stops probing, stop and start begin again at starting', async (tgt) => {
    // Healthy while /ok exists; many retries keep it from turning unhealthy once /ok is gone.
    await tgt.ok(['run', '-d', '--name', 'cyc', '--health-cmd', 'test -e /ok', '--health-interval', '1s', '--health-retries', '1000', 'busybox', 'sleep', '1000']);
    await tgt.ok(['exec', 'cyc', 'touch', '/ok']);
    await waitHealth(tgt, 'cyc', 'healthy', (h) => h.Status === 'healthy');
    await tgt.ok(['pause', 'cyc']);
    // dockerd 20.10 reads "unhealthy" once its monitor stopped.
    const paused = await health(tgt, 'cyc');
    assert.equal(paused?.Status, 'unhealthy');
    assert.equal(paused?.FailingStreak, 0);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await health(tgt, 'cyc'))?.Log.at(-1)?.End, paused?.Log.at(-1)?.End, 'no probe ran while paused');
    await tgt.ok(['unpause', 'cyc']);
    await waitHealth(tgt, 'cyc', 'healthy again', (h) => h.Status === 'healthy');
    await tgt.ok(['exec', 'cyc', 'rm', '/ok']);
    await tgt.ok(['stop', '-t', '1', 'cyc']);
    const stopped = await health(tgt, 'cyc');
    assert.equal(stopped?.Status, 'unhealthy');
    assert.match(await status(tgt, 'cyc'), /^Exited \(137\) /);
    await tgt.ok(['start', 'cyc']);
    const started = await health(tgt, 'cyc');
    assert.equal(started?.Status, 'starting');
    assert.equal(started?.FailingStreak, 0);
    assert.ok((started?.Log.length ?? 0) > 0, 'the log is kept across a restart');
    await waitHealth(tgt, 'cyc', 'a failing probe after the restart', (h) => h.Log.at(-1)!.ExitCode === 1);
    assert.equal((await health(tgt, 'cyc'))?.Status, 'starting');
  });

  s.test('validation: the CLI\'s and the daemon\'s messages', async (tgt) => {
    const bad = async (args: string[], code: number, re: RegExp) => {
      const r = await tgt.fails(['run', '--rm', ...args, 'busybox', 'true'], code);
      assert.match(r.stderr, re);
    };
    await bad(['--health-cmd', 'true', '--health-interval', '500us'], 125, /Interval in Healthcheck cannot be less than 1ms/);
    await bad(['--health-cmd', 'true', '--health-timeout', '10us'], 125, /Timeout in Healthcheck cannot be less than 1ms/);
    await bad(['--health-cmd', 'true', '--health-retries', '-1'], 125, /--health-retries cannot be negative/);
    await bad(['--health-timeout', '-1s'], 125, /--health-timeout cannot be negative/);
    await bad(['--no-healthcheck', '--health-retries', '1'], 125, /--no-healthcheck conflicts with --health-\* options/);
    await bad(['--health-interval', '1'], 125, /invalid argument "1" for "--health-interval" flag: time: missing unit in duration "1"/);
    await bad(['--health-interval', 'abc'], 125, /invalid argument "abc" for "--health-interval" flag: time: invalid duration "abc"/);
    assert.deepEqual(lines((await tgt.ok(['ps', '-a', '-q'])).stdout), [], 'nothing created');
  });

  s.test('docker-py: healthcheck= at create, attrs State.Health, negative retries refused', async (tgt, t) => {
    if ((await run('python3', ['-c', 'import docker'])).code !== 0) return t.skip('python3-docker is not installed');
    const script = `
import json, os, time, docker
c = docker.DockerClient(base_url=os.environ['DOCKER_HOST'], version='1.41')
ctr = c.containers.run('busybox', ['sleep', '1000'], detach=True, name='py',
    healthcheck={'test': ['CMD-SHELL', 'echo py'], 'interval': 1000000000, 'retries': 2})
for _ in range(400):
    ctr.reload()
    h = ctr.attrs['State'].get('Health')
    if h and h['Status'] == 'healthy': break
    time.sleep(0.1)
try:
    c.containers.create('busybox', name='neg', healthcheck={'test': ['CMD', 'true'], 'retries': -1})
    err = None
except docker.errors.APIError as e:
    err = [e.status_code, e.explanation]
print(json.dumps({'health': h, 'config': ctr.attrs['Config']['Healthcheck'], 'err': err}))
ctr.remove(force=True)
`;
    const r = await run('python3', ['-c', script], { env: tgt.daemon.env, timeout: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(out.health.Status, 'healthy');
    assert.equal(out.health.Log.at(-1).Output, 'py\n');
    assert.deepEqual(out.config, { Test: ['CMD-SHELL', 'echo py'], Interval: 1000000000, Retries: 2 });
    assert.deepEqual(out.err, [400, 'Retries in Healthcheck cannot be negative']);
  });
});
