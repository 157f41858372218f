// docker-py's volume tests, in the shape of its api_volume_test and
// models_volumes_test: the low-level APIClient calls and the high-level
// models, plus a container with a volume mounted through docker-py's
// `volumes=` and `mounts=` arguments. Each case is a small python script
// run against the private daemon; it prints JSON the test asserts on.

import assert from 'node:assert/strict';
import { compatSuite } from './target.ts';
import { run } from '../helpers/run.ts';

const PRELUDE = `
import json, os
import docker
from docker.types import Mount
api = docker.APIClient(base_url=os.environ['DOCKER_HOST'], version='auto')
c = docker.DockerClient(base_url=os.environ['DOCKER_HOST'], version='auto')
def out(v): print(json.dumps(v))
def err(fn):
    try:
        fn()
        return None
    except docker.errors.APIError as e:
        return [type(e).__name__, e.status_code]
`;

async function py(env: NodeJS.ProcessEnv, body: string): Promise<any> {
  const r = await run('python3', ['-c', PRELUDE + body], { env, timeout: 90_000 });
  assert.equal(r.code, 0, `python failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const hasDockerPy = (await run('python3', ['-c', 'import docker'])).code === 0;

compatSuite('docker-py: volumes', (s) => {
  s.test('api_volume_test: create, list, inspect, remove, force, prune, errors', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt.daemon.env, `
created = api.create_volume('perfectcherryblossom')
listed = api.volumes()
names = [v['Name'] for v in listed['Volumes']]
filtered = [v['Name'] for v in api.volumes(filters={'dangling': True})['Volumes']]
inspected = api.inspect_volume('perfectcherryblossom')
labelled = api.create_volume('withlabels', labels={'a': 'b'}, driver_opts={'type': 'tmpfs', 'device': 'tmpfs', 'o': 'size=1m'})
bad_driver = err(lambda: api.create_volume('perfectcherryblossom2', driver='invalid'))
missing = err(lambda: api.inspect_volume('nosuchvolume'))
rm_missing = err(lambda: api.remove_volume('nosuchvolume'))
# docker-py drops force= from the request (its _url() swallows params), so this is a 404 on dockerd too.
rm_forced = err(lambda: api.remove_volume('nosuchvolume', force=True))
api.remove_volume('perfectcherryblossom')
api.remove_volume('withlabels', force=True)
anon = api.create_volume()
pruned = api.prune_volumes()
left = [v['Name'] for v in (api.volumes()['Volumes'] or [])]
out({'created': created, 'inspected': inspected, 'in_list': 'perfectcherryblossom' in names, 'filtered': filtered,
     'labels': labelled['Labels'], 'opts': labelled['Options'], 'bad_driver': bad_driver, 'missing': missing,
     'rm_missing': rm_missing, 'rm_forced': rm_forced, 'anon': anon['Name'], 'pruned': pruned['VolumesDeleted'], 'left': left})
`);
    assert.equal(r.created.Name, 'perfectcherryblossom');
    assert.equal(r.created.Driver, 'local');
    assert.deepEqual(r.inspected, r.created);
    assert.equal(r.in_list, true);
    assert.deepEqual(r.filtered, ['perfectcherryblossom']);
    assert.deepEqual(r.labels, { a: 'b' });
    assert.deepEqual(r.opts, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
    assert.deepEqual(r.bad_driver, ['NotFound', 404]);
    assert.deepEqual(r.missing, ['NotFound', 404]);
    assert.deepEqual(r.rm_missing, ['NotFound', 404]);
    assert.deepEqual(r.rm_forced, ['NotFound', 404]);
    assert.match(r.anon, /^[0-9a-f]{64}$/);
    assert.ok(r.pruned.includes(r.anon));
    assert.deepEqual(r.left, []);
  });

  s.test('models_volumes_test: client.volumes create/get/list/reload/remove, in use is a conflict', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt.daemon.env, `
v = c.volumes.create(name='dockerpytest_1', driver='local', labels={'labelkey': 'labelvalue'})
got = c.volumes.get('dockerpytest_1')
listed = [x.name for x in c.volumes.list()]
v.reload()
ctr = c.containers.create('busybox', 'true', volumes={'dockerpytest_1': {'bind': '/data', 'mode': 'ro'}},
                          mounts=[Mount('/m', 'dockerpytest_2', type='volume', no_copy=True)])
ctr.reload()
mounts = sorted([[m['Type'], m.get('Name'), m['Destination'], m['RW']] for m in ctr.attrs['Mounts']])
in_use = err(lambda: v.remove())
ctr.remove()
v.remove()
c.volumes.get('dockerpytest_2').remove(force=True)
gone = err(lambda: c.volumes.get('dockerpytest_1'))
out({'id': v.id, 'name': v.name, 'labels': v.attrs['Labels'], 'got': got.id, 'listed': listed,
     'mounts': mounts, 'in_use': in_use, 'gone': gone})
`);
    assert.equal(r.id, 'dockerpytest_1');
    assert.equal(r.name, 'dockerpytest_1');
    assert.deepEqual(r.labels, { labelkey: 'labelvalue' });
    assert.equal(r.got, 'dockerpytest_1');
    assert.deepEqual(r.listed, ['dockerpytest_1']);
    assert.deepEqual(r.mounts, [['volume', 'dockerpytest_1', '/data', false], ['volume', 'dockerpytest_2', '/m', true]]);
    assert.deepEqual(r.in_use, ['APIError', 409]);
    assert.deepEqual(r.gone, ['NotFound', 404]);
  });
});
