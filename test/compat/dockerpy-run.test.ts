// docker-py's containers.run() without detach returns the container's
// output: it reads the logs only when inspect names a log driver it knows
// (json-file, journald, local), so a default container must report
// json-file, whatever berth keeps underneath (conmon's k8s-file).

import assert from 'node:assert/strict';
import { compatSuite } from './target.ts';
import { run } from '../helpers/run.ts';

const hasDockerPy = (await run('python3', ['-c', 'import docker'])).code === 0;

compatSuite('docker-py: containers.run returns the output', (s) => {
  s.test('a default container says json-file; run(detach=False) gives stdout, and stderr when asked', async (tgt, t) => {
    assert.equal((await tgt.ok(['inspect', '-f', '{{.HostConfig.LogConfig.Type}}', (await tgt.ok(['create', 'busybox', 'true'])).stdout.trim()])).stdout, 'json-file\n');
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await run('python3', ['-c', `
import json, os, docker
c = docker.DockerClient(base_url=os.environ['DOCKER_HOST'])
a = c.containers.run('busybox', ['echo', 'hello'], remove=True)
b = c.containers.run('busybox', ['sh', '-c', 'echo out; echo err >&2'], stdout=True, stderr=True, name='pyrun')
print(json.dumps({'a': a.decode(), 'b': b.decode(), 'type': c.api.inspect_container('pyrun')['HostConfig']['LogConfig']['Type']}))
`], { env: { ...process.env, ...tgt.daemon.env } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { a: 'hello\n', b: 'out\nerr\n', type: 'json-file' });
  });
});
