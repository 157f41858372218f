// docker logs: streams kept apart, --tail, -t, --since/--until, -f.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, type CompatTarget, compatSuite, lines, waitFor, within } from './target.ts';
import { run } from '../helpers/run.ts';

const hasDockerPy = (await run('python3', ['-c', 'import docker'])).code === 0;

const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (.*)$/;

async function runToEnd(tgt: CompatTarget, name: string, script: string): Promise<void> {
  await tgt.ok(['run', '-d', '--name', name, 'busybox', 'sh', '-c', script]);
  await tgt.ok(['wait', name]);
}

compatSuite('logs', (s) => {
  s.test('stdout and stderr come back on their own streams', async (tgt) => {
    await runToEnd(tgt, 'split', 'echo o1; echo e1 >&2; echo o2');
    const r = await tgt.ok(['logs', 'split']);
    assert.equal(r.stdout, 'o1\no2\n');
    assert.equal(r.stderr, 'e1\n');
  });

  s.test('--tail keeps the last lines', async (tgt) => {
    await runToEnd(tgt, 'tail', 'for i in 1 2 3 4 5; do echo line$i; done');
    assert.equal((await tgt.ok(['logs', 'tail'])).stdout, 'line1\nline2\nline3\nline4\nline5\n');
    assert.equal((await tgt.ok(['logs', '--tail', '2', 'tail'])).stdout, 'line4\nline5\n');
    assert.equal((await tgt.ok(['logs', '--tail', '0', 'tail'])).stdout, '');
    assert.equal((await tgt.ok(['logs', '-n', '10', 'tail'])).stdout, 'line1\nline2\nline3\nline4\nline5\n');
    assert.equal((await tgt.ok(['logs', '--tail', 'all', 'tail'])).stdout, 'line1\nline2\nline3\nline4\nline5\n');
  });

  s.test('a last line without newline is kept as is', async (tgt) => {
    await runToEnd(tgt, 'partial', 'echo whole; printf no-newline');
    assert.equal((await tgt.ok(['logs', 'partial'])).stdout, 'whole\nno-newline');
  });

  s.test('-t prefixes RFC 3339 nano timestamps within the run', async (tgt) => {
    await runToEnd(tgt, 'ts', 'echo a; echo b >&2; echo c');
    const r = await tgt.ok(['logs', '-t', 'ts']);
    const out = lines(r.stdout).map((l) => TS.exec(l));
    assert.ok(out.every((m) => m !== null), `timestamped: ${r.stdout}`);
    assert.deepEqual(out.map((m) => m![2]), ['a', 'c']);
    assert.match(r.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z b\n$/);
    const started = Date.parse((await tgt.ok(['inspect', '-f', '{{.State.StartedAt}}', 'ts'])).stdout.trim());
    const stamps = out.map((m) => Date.parse(m![1]));
    assert.ok(stamps[0] <= stamps[1], 'in order');
    assert.ok(Math.abs(stamps[0] - started) < 5_000, `first line at ${out[0]![1]}, started ${started}`);
  });

  s.test('--since and --until select by timestamp', async (tgt) => {
    await runToEnd(tgt, 'since', 'echo first; sleep 1.2; echo second; sleep 1.2; echo third');
    const stamped = lines((await tgt.ok(['logs', '-t', 'since'])).stdout).map((l) => TS.exec(l)!);
    assert.deepEqual(stamped.map((m) => m[2]), ['first', 'second', 'third']);
    const second = stamped[1][1];
    assert.equal((await tgt.ok(['logs', '--since', second, 'since'])).stdout, 'second\nthird\n');
    assert.equal((await tgt.ok(['logs', '--until', second, 'since'])).stdout, 'first\nsecond\n');
    assert.equal((await tgt.ok(['logs', '--since', '2000-01-01T00:00:00Z', 'since'])).stdout, 'first\nsecond\nthird\n');
    assert.equal((await tgt.ok(['logs', '--since', '2999-01-01T00:00:00Z', 'since'])).stdout, '');
    // Unix seconds, as the CLI also accepts: one second after "first" leaves the later lines.
    const after = Math.floor(Date.parse(stamped[0][1]) / 1000) + 1;
    assert.equal((await tgt.ok(['logs', '--since', String(after), 'since'])).stdout, 'second\nthird\n');
  });

  s.test('-f streams lines as they come and ends when the container exits', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'follow', 'busybox', 'sh', '-c', 'echo early; sleep 2; echo late; exit 3']);
    const child = spawn(CLI, ['logs', '-f', 'follow'], { env: tgt.daemon.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor(() => out === 'early\n', '"early" streamed', 10_000);
      // The container is still running: the line came live, not from a finished log.
      assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Running}}', 'follow'])).stdout, 'true\n');
      const code = await within(exited, 15_000);
      assert.equal(code, 0, 'logs -f exits 0 once the container has exited');
      assert.equal(out, 'early\nlate\n');
    } finally {
      child.kill('SIGKILL');
    }
  });

  s.test('-f --tail 1 starts at the last line of a running container', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'ft', 'busybox', 'sh', '-c', 'echo one; echo two; sleep 1.5; echo three']);
    await waitFor(async () => (await tgt.ok(['logs', 'ft'])).stdout === 'one\ntwo\n', 'two lines logged');
    const r = await tgt.ok(['logs', '-f', '--tail', '1', 'ft'], { timeout: 20_000 });
    assert.equal(r.stdout, 'two\nthree\n');
  });

  s.test('a log of several MiB on both streams comes back whole (frames of up to a block), to docker and docker-py', async (tgt, t) => {
    const line = 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz_';
    await runToEnd(tgt, 'big', `yes ${line} | head -c 4194304; yes E | head -c 1048576 >&2; echo o-end; echo e-end >&2`);
    const r = await tgt.ok(['logs', 'big']);
    assert.equal(r.stdout.length, 4194304 + 6);
    assert.ok(r.stdout.endsWith(`${line}\no-end\n`));
    assert.equal(r.stdout.split('\n').filter((l) => l !== line).join('|'), 'o-end|');
    assert.equal(r.stderr, `${'E\n'.repeat(524288)}e-end\n`);
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const py = await run('python3', ['-c', `
import json, os, docker
c = docker.APIClient(base_url=os.environ['DOCKER_HOST'])
out = c.logs('big', stdout=True, stderr=False)
err = c.logs('big', stdout=False, stderr=True)
n = 0
for part in c.logs('big', stream=True):
    n += len(part)
print(json.dumps({'out': len(out), 'outLines': out.count(b'\\n'), 'err': len(err), 'errE': err.count(b'E\\n'), 'streamed': n}))
`], { env: { ...process.env, ...tgt.daemon.env } });
    assert.equal(py.code, 0, py.stderr);
    assert.deepEqual(JSON.parse(py.stdout), { out: 4194304 + 6, outLines: 65537, err: 1048576 + 6, errE: 524288, streamed: 4194304 + 1048576 + 12 });
  });

  s.test('logs of an unknown container fails', async (tgt) => {
    const r = await tgt.fails(['logs', 'no-such-ctr'], 1);
    assert.match(r.stderr, /No such container: no-such-ctr/);
  });
});
