// docker-py (Debian python3-docker) driving the observation and lifecycle
// endpoints: archive both ways, stats, top, pause/unpause, rename, update.
// Each case is a small python script run against the private daemon; it
// prints JSON that the test asserts on.

import assert from 'node:assert/strict';
import { compatSuite } from './target.ts';
import { run } from '../helpers/run.ts';

const PRELUDE = `
import io, json, os, sys, tarfile, time
import docker
c = docker.DockerClient(base_url=os.environ['DOCKER_HOST'], version='1.41')
def out(v): print(json.dumps(v))
`;

async function py(env: NodeJS.ProcessEnv, body: string): Promise<any> {
  const r = await run('python3', ['-c', PRELUDE + body], { env, timeout: 90_000 });
  assert.equal(r.code, 0, `python failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const hasDockerPy = (await run('python3', ['-c', 'import docker'])).code === 0;

compatSuite('docker-py: observation and lifecycle', (s) => {
  s.test('put_archive, get_archive (stat and tar), top, stats', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt.daemon.env, `
ctr = c.containers.run('busybox', ['sh', '-c', 'sleep 1001 & sleep 1002'], detach=True, name='py1', mem_limit='32m')
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w') as t:
    data = b'from python\\n'
    ti = tarfile.TarInfo('hello.txt'); ti.size = len(data); ti.mode = 0o640
    t.addfile(ti, io.BytesIO(data))
ok = ctr.put_archive('/tmp', buf.getvalue())
bits, stat = ctr.get_archive('/tmp/hello.txt')
raw = b''.join(bits)
with tarfile.open(fileobj=io.BytesIO(raw)) as t:
    m = t.getmember('hello.txt'); content = t.extractfile(m).read().decode()
    mode = m.mode & 0o7777
missing = None
try:
    ctr.get_archive('/nope')
except docker.errors.NotFound as e:
    missing = e.explanation
for _ in range(50):
    top = ctr.top()
    if len(top['Processes']) == 2: break
    time.sleep(0.1)
st = ctr.stats(stream=False)
stream = ctr.stats(stream=True, decode=True)
first = next(stream); second = next(stream)
ctr.remove(force=True)
out({'ok': ok, 'stat': stat, 'content': content, 'mode': mode, 'missing': missing, 'titles': top['Titles'],
     'cmds': sorted(p[-1] for p in top['Processes']), 'name': st['name'], 'limit': st['memory_stats']['limit'],
     'pids': st['pids_stats']['current'], 'cpu': st['cpu_stats']['cpu_usage']['total_usage'] > 0,
     'precpu': 'system_cpu_usage' in st['precpu_stats'], 'streamed': [first['name'], second['name']]})
`);
    assert.equal(r.ok, true);
    assert.equal(r.stat.name, 'hello.txt');
    assert.equal(r.stat.size, 12);
    assert.equal(r.stat.mode, 0o640);
    assert.equal(r.content, 'from python\n');
    assert.equal(r.mode, 0o640);
    assert.match(r.missing, /^Could not find the file \/nope in container [0-9a-f]{64}$/);
    assert.deepEqual(r.titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    assert.deepEqual(r.cmds, ['sleep 1001', 'sleep 1002']);
    assert.equal(r.name, '/py1');
    assert.equal(r.limit, 32 * 1024 * 1024);
    assert.equal(r.pids, 2);
    assert.equal(r.cpu, true);
    assert.equal(r.precpu, true);
    assert.deepEqual(r.streamed, ['/py1', '/py1']);
  });

  s.test('pause/unpause, rename, update', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt.daemon.env, `
ctr = c.containers.run('busybox', ['sleep', '1000'], detach=True, name='py2', mem_limit='64m')
ctr.pause(); ctr.reload(); paused = ctr.status
ctr.unpause(); ctr.reload(); running = ctr.status
ctr.rename('py2renamed'); ctr.reload(); name = ctr.name
res = ctr.update(mem_limit='48m', restart_policy={'Name': 'always'}, cpu_shares=512)
ctr.reload(); hc = ctr.attrs['HostConfig']
too_small = None
try:
    ctr.update(mem_limit='1m')
except docker.errors.APIError as e:
    too_small = [e.status_code, e.explanation]
ctr.remove(force=True)
out({'paused': paused, 'running': running, 'name': name, 'res': res, 'mem': hc['Memory'], 'rp': hc['RestartPolicy']['Name'],
     'shares': hc['CpuShares'], 'too_small': too_small})
`);
    assert.equal(r.paused, 'paused');
    assert.equal(r.running, 'running');
    assert.equal(r.name, 'py2renamed');
    assert.deepEqual(r.res, { Warnings: r.res.Warnings });
    assert.equal(r.mem, 48 * 1024 * 1024);
    assert.equal(r.rp, 'always');
    assert.equal(r.shares, 512);
    assert.deepEqual(r.too_small, [400, 'Minimum memory limit allowed is 6MB']);
  });
});
