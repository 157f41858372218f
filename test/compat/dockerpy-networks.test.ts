// docker-py's network tests, in the shape of its api_network_test and
// models_networks_test: the low-level APIClient calls and the high-level
// models. Each case is a small python script run against the private
// daemon; it prints JSON the test asserts on. docker-py's own addresses
// (172.28.0.0/16, 132.124.0.0/16) are replaced by subnets of the suite's
// private pool (tgt.net), its 2001:389::/64 by fd42:215:1X::/64 (X the
// pool's third octet; the leading 1 keeps the group non-zero, so the text
// is canonical, as `ip` prints it); the swarm, overlay and link-local cases are left out.

import assert from 'node:assert/strict';
import { type CompatTarget, compatSuite } from './target.ts';
import { run } from '../helpers/run.ts';

const PRELUDE = `
import json, os
import docker
from docker.types import IPAMConfig, IPAMPool
api = docker.APIClient(base_url=os.environ['DOCKER_HOST'], version='auto')
c = docker.DockerClient(base_url=os.environ['DOCKER_HOST'], version='auto')
B = os.environ['NET_BASE']
def out(v): print(json.dumps(v))
def err(fn):
    try:
        fn()
        return None
    except docker.errors.APIError as e:
        return [type(e).__name__, e.status_code]
def top(**kw):
    ctr = api.create_container('busybox', 'top', **kw)
    api.start(ctr)
    return ctr['Id']
def nets(ctr):
    return api.inspect_container(ctr)['NetworkSettings']['Networks']
def execute(ctr, cmd):
    e = api.exec_create(ctr, cmd)
    output = api.exec_start(e).decode()
    return [api.exec_inspect(e)['ExitCode'], output]
`;

async function py(tgt: CompatTarget, body: string): Promise<any> {
  const base = /^base=(10\.214\.\d+)\.0\/24/.exec(tgt.net!.pool)![1]!;
  const r = await run('python3', ['-c', PRELUDE + body], { env: { ...tgt.daemon.env, NET_BASE: base }, timeout: 90_000 });
  assert.equal(r.code, 0, `python failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const hasDockerPy = (await run('python3', ['-c', 'import docker'])).code === 0;

compatSuite('docker-py: networks', (s) => {
  s.test('api_network_test: list, inspect, ipam config, host driver, remove, labels, internal, duplicates, prune', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt, `
net_id = api.create_network('dockerpy1')['Id']
by_name = [n['Id'] for n in api.networks(names=['dockerpy1'])]
by_id = [n['Id'] for n in api.networks(ids=[net_id[:8]])]
net = api.inspect_network(net_id)
ipam_id = api.create_network('dockerpy2', ipam=IPAMConfig(driver='default', pool_configs=[IPAMPool(
    subnet=B + '.128/26', iprange=B + '.160/28', gateway=B + '.190',
    aux_addresses={'a': B + '.131', 'b': B + '.132', 'c': B + '.133'})]))['Id']
ipam = api.inspect_network(ipam_id)['IPAM']
host = err(lambda: api.create_network('dockerpy3', driver='host'))
predefined = err(lambda: api.create_network('none'))
rm_host = err(lambda: api.remove_network('host'))
dup = err(lambda: api.create_network('dockerpy1', check_duplicate=True))
internal = api.inspect_network(api.create_network('dockerpy4', internal=True)['Id'])['Internal']
labels = api.inspect_network(api.create_network('dockerpy5', labels={'com.docker.py.test': 'label'})['Id'])['Labels']
try:
    api.create_network('dockerpy6', labels=['com.docker.py.test=label'])
    wrong_type = None
except TypeError:
    wrong_type = 'TypeError'
api.remove_network(ipam_id)
names = [n['Name'] for n in api.networks()]
missing = err(lambda: api.inspect_network('nosuchnetwork'))
rm_missing = err(lambda: api.remove_network('nosuchnetwork'))
pruned = api.prune_networks()['NetworksDeleted']
out({'net_id': net_id, 'by_name': by_name, 'by_id': by_id, 'name': net['Name'], 'driver': net['Driver'], 'scope': net['Scope'],
     'ipam_driver': net['IPAM']['Driver'], 'plain_opts': net['IPAM']['Options'], 'ipam': ipam, 'host': host, 'predefined': predefined, 'rm_host': rm_host, 'dup': dup, 'internal': internal, 'labels': labels,
     'wrong_type': wrong_type, 'names_after_rm': sorted(n for n in names if n.startswith('dockerpy')), 'missing': missing,
     'rm_missing': rm_missing, 'pruned': sorted(pruned)})
`);
    assert.deepEqual(r.by_name, [r.net_id]);
    assert.deepEqual(r.by_id, [r.net_id]);
    assert.equal(r.name, 'dockerpy1');
    assert.equal(r.driver, 'bridge');
    assert.equal(r.scope, 'local');
    assert.equal(r.ipam_driver, 'default');
    assert.equal(r.plain_opts, null);
    // docker-py sends no IPAM options: inspect gives them back as null.
    const b = /^base=(10\.214\.\d+)\.0\/24/.exec(tgt.net!.pool)![1]!;
    assert.deepEqual(r.ipam, {
      Driver: 'default', Options: null,
      Config: [{ Subnet: `${b}.128/26`, IPRange: `${b}.160/28`, Gateway: `${b}.190`, AuxiliaryAddresses: { a: `${b}.131`, b: `${b}.132`, c: `${b}.133` } }],
    });
    // dockerd: 403 for these, not 400 or 409.
    assert.deepEqual(r.host, ['APIError', 403]);
    assert.deepEqual(r.predefined, ['APIError', 403]);
    assert.deepEqual(r.rm_host, ['APIError', 403]);
    assert.deepEqual(r.dup, ['APIError', 409]);
    assert.equal(r.internal, true);
    assert.deepEqual(r.labels, { 'com.docker.py.test': 'label' });
    assert.equal(r.wrong_type, 'TypeError');
    assert.deepEqual(r.names_after_rm, ['dockerpy1', 'dockerpy4', 'dockerpy5']);
    assert.deepEqual(r.missing, ['NotFound', 404]);
    assert.deepEqual(r.rm_missing, ['NotFound', 404]);
    assert.deepEqual(r.pruned, ['dockerpy1', 'dockerpy4', 'dockerpy5']);
  });

  s.test('api_network_test: connect and disconnect, force, aliases, on create, static IPv4, errors', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt, `
net_id = api.create_network('pynet')['Id']
ctr = top()
before = api.inspect_network(net_id).get('Containers')
api.connect_container_to_network(ctr, net_id, aliases=['foo', 'bar'])
after_connect = list(api.inspect_network(net_id)['Containers'].keys())
aliases = nets(ctr)['pynet']['Aliases']
again = err(lambda: api.connect_container_to_network(ctr, net_id))
api.disconnect_container_from_network(ctr, net_id)
after_disconnect = api.inspect_network(net_id).get('Containers')
again_dis = err(lambda: api.disconnect_container_from_network(ctr, net_id))
api.connect_container_to_network(ctr, net_id)
api.disconnect_container_from_network(ctr, net_id, True)
after_force = api.inspect_network(net_id).get('Containers')
again_force = err(lambda: api.disconnect_container_from_network(ctr, net_id, force=True))

on_create = top(host_config=api.create_host_config(network_mode='pynet'),
                networking_config=api.create_networking_config({'pynet': api.create_endpoint_config(aliases=['foo2', 'bar2'])}))
create_keys = list(api.inspect_network(net_id)['Containers'].keys())
create_aliases = nets(on_create)['pynet']['Aliases']
api.disconnect_container_from_network(on_create, net_id)
create_after = api.inspect_network(net_id).get('Containers')

fixed_id = api.create_network('pyfixed', ipam=IPAMConfig(driver='default', pool_configs=[IPAMPool(subnet=B + '.128/27')]))['Id']
fixed = top(host_config=api.create_host_config(network_mode='pyfixed'),
            networking_config=api.create_networking_config({'pyfixed': api.create_endpoint_config(ipv4_address=B + '.151')}))
fixed_cfg = nets(fixed)['pyfixed']
ranged_id = api.create_network('pyranged', ipam=IPAMConfig(driver='default', pool_configs=[IPAMPool(
    subnet=B + '.192/27', iprange=B + '.208/28', gateway=B + '.222')]))['Id']
moved = top(host_config=api.create_host_config(network_mode='pyranged'))
first_ip = nets(moved)['pyranged']['IPAddress']
api.disconnect_container_from_network(moved, 'pyranged')
api.connect_container_to_network(moved, 'pyranged', ipv4_address=B + '.209')
moved_cfg = nets(moved)['pyranged']
inside = execute(moved, ['ip', '-o', '-4', 'addr', 'show'])
for x in (ctr, on_create, fixed, moved):
    api.remove_container(x, force=True)
out({'ctr': ctr, 'before': before, 'after_connect': after_connect, 'aliases': aliases, 'again': again,
     'after_disconnect': after_disconnect, 'again_dis': again_dis, 'after_force': after_force, 'again_force': again_force,
     'on_create': on_create, 'create_keys': create_keys, 'create_aliases': create_aliases, 'create_after': create_after,
     'fixed_ip': fixed_cfg['IPAddress'], 'fixed_ipam': fixed_cfg['IPAMConfig'], 'first_ip': first_ip,
     'moved_ip': moved_cfg['IPAddress'], 'moved_ipam': moved_cfg['IPAMConfig'], 'moved_gw': moved_cfg['Gateway'], 'inside': inside})
`);
    const b = /^base=(10\.214\.\d+)\.0\/24/.exec(tgt.net!.pool)![1]!;
    assert.ok(!r.before || Object.keys(r.before).length === 0);
    assert.deepEqual(r.after_connect, [r.ctr]);
    assert.ok(r.aliases.includes('foo') && r.aliases.includes('bar'), JSON.stringify(r.aliases));
    assert.deepEqual(r.again, ['APIError', 403]);
    assert.ok(!r.after_disconnect || Object.keys(r.after_disconnect).length === 0);
    // Not connected: dockerd 20.10 answers 500 (an untyped error), berthd 404; docker-py raises APIError (NotFound for the 404) for both.
    assert.ok(['APIError,500', 'NotFound,404'].includes(String(r.again_dis)), String(r.again_dis));
    assert.ok(!r.after_force || Object.keys(r.after_force).length === 0);
    assert.ok(['APIError,500', 'NotFound,404'].includes(String(r.again_force)), String(r.again_force));
    assert.deepEqual(r.create_keys, [r.on_create]);
    assert.ok(r.create_aliases.includes('foo2') && r.create_aliases.includes('bar2'), JSON.stringify(r.create_aliases));
    assert.ok(!r.create_after || Object.keys(r.create_after).length === 0);
    assert.equal(r.fixed_ip, `${b}.151`);
    assert.deepEqual(r.fixed_ipam, { IPv4Address: `${b}.151` });
    // Addresses come out of the ip-range; the gateway is the one given.
    const last = Number(r.first_ip.split('.')[3]);
    assert.ok(last >= 208 && last < 224, r.first_ip);
    assert.equal(r.moved_ip, `${b}.209`);
    assert.deepEqual(r.moved_ipam, { IPv4Address: `${b}.209` });
    assert.equal(r.moved_gw, `${b}.222`);
    assert.equal(r.inside[0], 0);
    assert.match(r.inside[1], new RegExp(`inet ${b.replace(/\./g, '\\.')}\\.209/27`));
  });

  s.test('api_network_test: links on a user network (create_with_links, connect_with_links)', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt, `
api.create_network('pylinks')
a = top(host_config=api.create_host_config(network_mode='pylinks'),
        networking_config=api.create_networking_config({'pylinks': api.create_endpoint_config(links=[('docker-py-test-upstream', 'bar')])}))
links_a = nets(a)['pylinks']['Links']
# A dead-end upstream for the name nobody serves (never the host's resolvers).
b = top(host_config=api.create_host_config(network_mode='pylinks', dns=['127.0.0.9']))
api.disconnect_container_from_network(b, 'pylinks')
api.connect_container_to_network(b, 'pylinks', links=[('docker-py-test-upstream', 'baz')])
links_b = nets(b)['pylinks']['Links']
up = top(name='docker-py-test-upstream', host_config=api.create_host_config(network_mode='pylinks'))
up_ip = nets(up)['pylinks']['IPAddress']
look_a = execute(a, ['nslookup', 'bar'])
look_b = execute(b, ['nslookup', 'baz'])
# A link alias is the linking container's own: others do not resolve it.
look_other = execute(b, ['nslookup', 'bar'])
for x in (a, b, up):
    api.remove_container(x, force=True)
out({'links_a': links_a, 'links_b': links_b, 'up_ip': up_ip, 'look_a': look_a, 'look_b': look_b, 'look_other': look_other[1]})
`);
    assert.deepEqual(r.links_a, ['docker-py-test-upstream:bar']);
    assert.deepEqual(r.links_b, ['docker-py-test-upstream:baz']);
    assert.equal(r.look_a[0], 0, r.look_a[1]);
    assert.match(r.look_a[1], new RegExp(`Address:\\s+${r.up_ip.replace(/\./g, '\\.')}\\b`));
    assert.equal(r.look_b[0], 0, r.look_b[1]);
    assert.match(r.look_b[1], new RegExp(`Address:\\s+${r.up_ip.replace(/\./g, '\\.')}\\b`));
    // No address for it (dockerd 20.10 stays silent, berthd answers SERVFAIL: nslookup's exit code differs).
    assert.doesNotMatch(r.look_other, /Name:\s+bar/);
  });

  s.test('api_network_test: IPv6 (create_network_ipv6_enabled, create_with_ipv6_address, connect_with_ipv6_address)', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt, `
S = 'fd42:215:1' + B.split('.')[2] + '::'
enabled = api.create_network('pyv6a', enable_ipv6=True, ipam=IPAMConfig(driver='default', pool_configs=[IPAMPool(
    subnet=S + '/64', iprange=S + '0/96', gateway=S + 'ffff')]))['Id']
enabled_net = api.inspect_network(enabled)
api.remove_network(enabled)
api.create_network('pyv6b', ipam=IPAMConfig(driver='default', pool_configs=[IPAMPool(subnet=S + '/64')]))
created = top(host_config=api.create_host_config(network_mode='pyv6b'),
              networking_config=api.create_networking_config({'pyv6b': api.create_endpoint_config(ipv6_address=S + 'f00d')}))
created_cfg = nets(created)['pyv6b']
api.remove_container(created, force=True)
api.remove_network('pyv6b')
api.create_network('pyv6c', enable_ipv6=True, ipam=IPAMConfig(driver='default', pool_configs=[IPAMPool(
    subnet=S + '/64', iprange=S + '0/96', gateway=S + 'ffff')]))
moved = top(host_config=api.create_host_config(network_mode='pyv6c'))
api.disconnect_container_from_network(moved, 'pyv6c')
api.connect_container_to_network(moved, 'pyv6c', ipv6_address=S + 'f00d')
moved_cfg = nets(moved)['pyv6c']
inside = execute(moved, ['ip', '-o', '-6', 'addr', 'show', 'scope', 'global'])
api.remove_container(moved, force=True)
out({'S': S, 'enabled': enabled_net['EnableIPv6'], 'enabled_ipam': enabled_net['IPAM']['Config'], 'created_ipam': created_cfg['IPAMConfig'],
     'created_ip6': created_cfg['GlobalIPv6Address'], 'moved_ipam': moved_cfg['IPAMConfig'], 'moved_ip6': moved_cfg['GlobalIPv6Address'],
     'moved_gw6': moved_cfg['IPv6Gateway'], 'inside': inside})
`);
    assert.equal(r.enabled, true);
    // dockerd keeps the pool strings as given (fd42:..::0/96 is not rewritten to ::/96).
    assert.deepEqual(r.enabled_ipam.at(-1), { Subnet: `${r.S}/64`, IPRange: `${r.S}0/96`, Gateway: `${r.S}ffff` });
    // Without enable_ipv6 the address is recorded as asked, but not given.
    assert.deepEqual(r.created_ipam, { IPv6Address: `${r.S}f00d` });
    assert.equal(r.created_ip6, '');
    assert.deepEqual(r.moved_ipam, { IPv6Address: `${r.S}f00d` });
    assert.equal(r.moved_ip6, `${r.S}f00d`);
    assert.equal(r.moved_gw6, `${r.S}ffff`);
    assert.equal(r.inside[0], 0);
    assert.match(r.inside[1], new RegExp(`inet6 ${r.S}f00d/64`));
  });

  s.test('models_networks_test: create, get, list, connect, disconnect, remove', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt, `
n = c.networks.create('dockerpytest_net', labels={'foo': 'bar'})
got = c.networks.get(n.id)
listed = [x.name for x in c.networks.list(names=['dockerpytest_net'])]
labelled = [x.name for x in c.networks.list(filters={'label': 'foo=bar'})]
ctr = c.containers.run('busybox', 'top', detach=True)
empty = n.containers
n.connect(ctr)
n.reload()
connected = [x.id for x in n.containers]
n.disconnect(ctr)
n.reload()
after = n.containers
ctr.remove(force=True)
n.remove()
gone = err(lambda: c.networks.get(n.id))
out({'name': n.name, 'labels': got.attrs['Labels'], 'listed': listed, 'labelled': labelled, 'empty': len(empty),
     'connected': connected, 'ctr': ctr.id, 'after': len(after), 'gone': gone})
`);
    assert.equal(r.name, 'dockerpytest_net');
    assert.deepEqual(r.labels, { foo: 'bar' });
    assert.deepEqual(r.listed, ['dockerpytest_net']);
    assert.deepEqual(r.labelled, ['dockerpytest_net']);
    assert.equal(r.empty, 0);
    assert.deepEqual(r.connected, [r.ctr]);
    assert.equal(r.after, 0);
    assert.deepEqual(r.gone, ['NotFound', 404]);
  });
}, { network: true });
