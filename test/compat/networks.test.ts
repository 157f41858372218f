// Networks through the real docker CLI: create (options, bad input),
// ls filters, inspect shapes, rm, prune, connect/disconnect of a running
// container, static addresses, and name resolution by the embedded DNS.
// Both daemons allocate from one private pool (tgt.net, 10.214.X.0/24 in
// /27s); explicit subnets are cut from the pool's upper half, which the
// automatic allocation (lowest free /27 first) does not reach here.
// dockerd runs with --iptables=false (test/helpers/dockerd.ts): nothing
// here depends on iptables (isolation and NAT are in test/integration).

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { type CompatTarget, compatSuite, lines } from './target.ts';

/** "10.214.X": the daemon's private pool's /24. */
const base = (tgt: CompatTarget) => /^base=(10\.214\.\d+)\.0\/24/.exec(tgt.net!.pool)![1]!;
const networkNames = async (tgt: CompatTarget) => lines((await tgt.ok(['network', 'ls', '--format', '{{.Name}}'])).stdout).sort();
// Names berth does not serve would be forwarded to the container's --dns
// servers: a loopback address nothing listens on, so a test never asks the
// host's real resolvers.
const NO_UPSTREAM = ['--dns', '127.0.0.9'];
const BUILTIN = (tgt: CompatTarget) => (tgt.name === 'dockerd' ? ['host', 'none'] : ['bridge', 'host', 'none']);

compatSuite('networks', (s) => {
  s.test('create, inspect shapes, ls and its filters', async (tgt) => {
    const b = base(tgt);
    const id1 = (await tgt.ok(['network', 'create', 'n1'])).stdout.trim();
    assert.match(id1, /^[0-9a-f]{64}$/);
    const id2 = (await tgt.ok(['network', 'create', '--subnet', `${b}.128/27`, '--gateway', `${b}.158`, '--ip-range', `${b}.144/28`,
      '--label', 'tier=web', '--label', 'flag', '-o', 'com.docker.network.driver.mtu=1400', '--internal', '--attachable', 'n2'])).stdout.trim();
    const [n1, n2] = JSON.parse((await tgt.ok(['network', 'inspect', 'n1', id2.slice(0, 10)])).stdout);
    assert.equal(n1.Name, 'n1');
    assert.equal(n1.Id, id1);
    assert.match(n1.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    assert.equal(n1.Scope, 'local');
    assert.equal(n1.Driver, 'bridge');
    assert.equal(n1.EnableIPv6, false);
    // No subnet asked for: the allocated pool and its gateway are shown.
    assert.deepEqual(n1.IPAM, { Driver: 'default', Options: {}, Config: [{ Subnet: `${b}.0/27`, Gateway: `${b}.1` }] });
    assert.equal(n1.Internal, false);
    assert.equal(n1.Attachable, false);
    assert.equal(n1.Ingress, false);
    assert.deepEqual(n1.ConfigFrom, { Network: '' });
    assert.equal(n1.ConfigOnly, false);
    assert.deepEqual(n1.Containers, {});
    assert.deepEqual(n1.Options, {});
    assert.deepEqual(n1.Labels, {});
    assert.equal(n2.Id, id2);
    assert.deepEqual(n2.IPAM.Config, [{ Subnet: `${b}.128/27`, IPRange: `${b}.144/28`, Gateway: `${b}.158` }]);
    assert.equal(n2.Internal, true);
    assert.equal(n2.Attachable, true);
    assert.deepEqual(n2.Options, { 'com.docker.network.driver.mtu': '1400' });
    assert.deepEqual(n2.Labels, { tier: 'web', flag: '' });
    // A subnet without a gateway: the config shows what was asked (no Gateway).
    await tgt.ok(['network', 'create', '--subnet', `${b}.192/27`, 'n3']);
    assert.deepEqual(JSON.parse((await tgt.ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'n3'])).stdout), [{ Subnet: `${b}.192/27` }]);

    const table = lines((await tgt.ok(['network', 'ls'])).stdout);
    assert.match(table[0]!, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    assert.ok(table.some((l) => new RegExp(`^${id1.slice(0, 12)}\\s+n1\\s+bridge\\s+local$`).test(l)), table.join('\n'));
    assert.deepEqual(await networkNames(tgt), [...BUILTIN(tgt), 'n1', 'n2', 'n3'].sort());
    const q = lines((await tgt.ok(['network', 'ls', '-q'])).stdout);
    assert.ok(q.includes(id1.slice(0, 12)) && q.every((l) => /^[0-9a-f]{12}$/.test(l)));
    assert.deepEqual(lines((await tgt.ok(['network', 'ls', '-q', '--no-trunc', '-f', 'name=n2'])).stdout), [id2]);
    const f = async (...filters: string[]) => lines((await tgt.ok(['network', 'ls', '--format', '{{.Name}}', ...filters.flatMap((x) => ['-f', x])])).stdout).sort();
    assert.deepEqual(await f('type=custom'), ['n1', 'n2', 'n3']);
    assert.deepEqual(await f('type=builtin'), BUILTIN(tgt));
    assert.deepEqual(await f('label=tier=web'), ['n2']);
    assert.deepEqual(await f('label=flag'), ['n2']);
    assert.deepEqual(await f('label=tier=db'), []);
    assert.deepEqual(await f('driver=null'), ['none']);
    assert.deepEqual(await f(`id=${id1.slice(0, 8)}`), ['n1']);
    assert.deepEqual(await f('dangling=true'), ['n1', 'n2', 'n3']);
    assert.deepEqual(await f('name=n', 'type=custom'), ['n1', 'n2', 'n3']);
    assert.equal((await tgt.ok(['network', 'ls', '-f', 'name=n1', '--format', '{{.ID}} {{.Driver}} {{.Scope}} {{.Internal}} {{.IPv6}}'])).stdout,
      `${id1.slice(0, 12)} bridge local false false\n`);
    let r = await tgt.fails(['network', 'ls', '-f', 'type=foo'], 1);
    assert.match(r.stderr, /invalid filter: 'type'='foo'/);
    r = await tgt.fails(['network', 'ls', '-f', 'foo=bar'], 1);
    // 20.10 capitalises it, later versions do not.
    assert.match(r.stderr, /invalid filter 'foo'/i);
    assert.equal((await tgt.ok(['network', 'rm', 'n1', 'n2', 'n3'])).stdout, 'n1\nn2\nn3\n');
    assert.deepEqual(await networkNames(tgt), BUILTIN(tgt));
  });

  s.test('bad input: clear errors, nothing created', async (tgt) => {
    const b = base(tgt);
    await tgt.ok(['network', 'create', '--subnet', `${b}.128/27`, 'taken']);
    let r = await tgt.fails(['network', 'create', 'taken'], 1);
    assert.match(r.stderr, /Error response from daemon: network with name taken already exists/);
    r = await tgt.fails(['network', 'create', '--subnet', `${b}.144/28`, 'overlap'], 1);
    assert.match(r.stderr, /Error response from daemon: Pool overlaps with other one on this address space/);
    r = await tgt.fails(['network', 'create', '--subnet', `${b}.192/27`, '--gateway', '10.1.1.1', 'badgw'], 1);
    assert.match(r.stderr, /no matching subnet for gateway 10\.1\.1\.1/);
    r = await tgt.fails(['network', 'create', '-d', 'nosuchdriver', 'nodriver'], 1);
    assert.match(r.stderr, /Error response from daemon: plugin "nosuchdriver" not found/);
    r = await tgt.fails(['network', 'create', '-d', 'host', 'anotherhost'], 1);
    assert.match(r.stderr, /Error response from daemon: only one instance of "host" network is allowed/);
    r = await tgt.fails(['network', 'create', 'none'], 1);
    assert.match(r.stderr, /Error response from daemon: operation is not permitted on predefined none network/);
    r = await tgt.fails(['network', 'inspect', 'nope'], 1);
    assert.match(r.stderr, /Error response from daemon: network nope not found/);
    r = await tgt.fails(['network', 'rm', 'nope'], 1);
    assert.match(r.stderr, /Error response from daemon: network nope not found/);
    r = await tgt.fails(['network', 'rm', 'host'], 1);
    assert.match(r.stderr, /Error response from daemon: host is a pre-defined network and cannot be removed/);
    r = await tgt.fails(['run', '--rm', '--network', 'nope', 'busybox', 'true'], 125);
    assert.match(r.stderr, /Error response from daemon: network nope not found/);
    // A container may be created for a network that does not exist yet.
    await tgt.ok(['create', '--name', 'later', '--network', 'nope', 'busybox', 'true']);
    assert.deepEqual(await networkNames(tgt), [...BUILTIN(tgt), 'taken'].sort());
  });

  s.test('name resolution: names, aliases, short IDs; resolv.conf and hosts', async (tgt) => {
    const b = base(tgt);
    await tgt.ok(['network', 'create', '--subnet', `${b}.128/27`, 'dns']);
    const id = (await tgt.ok(['run', '-d', '--name', 'web1', '--network', 'dns', '--network-alias', 'www', 'busybox', 'sleep', '300'])).stdout.trim();
    const ip = (await tgt.ok(['inspect', '-f', '{{.NetworkSettings.Networks.dns.IPAddress}}', 'web1'])).stdout.trim();
    assert.match(ip, new RegExp(`^${b.replace(/\./g, '\\.')}\\.(1[3-5]\\d)$`));
    for (const name of ['web1', 'www', id.slice(0, 12), 'WEB1']) {
      const r = await tgt.ok(['run', '--rm', ...NO_UPSTREAM, '--network', 'dns', 'busybox', 'nslookup', name]);
      assert.match(r.stdout, new RegExp(`Name:\\s+${name}\\s+Address:\\s+${ip.replace(/\./g, '\\.')}\\b`, 'i'), `${name}:\n${r.stdout}`);
    }
    const ping = await tgt.ok(['run', '--rm', ...NO_UPSTREAM, '--network', 'dns', 'busybox', 'ping', '-c', '1', '-W', '5', 'www']);
    assert.match(ping.stdout, new RegExp(`1 packets transmitted, 1 packets received`));
    // The file a container on a user network gets: one embedded server
    // (dockerd: 127.0.0.11; berthd: the network's gateway) and ndots:0.
    const conf = (await tgt.ok(['run', '--rm', ...NO_UPSTREAM, '--network', 'dns', 'busybox', 'cat', '/etc/resolv.conf'])).stdout;
    const servers = lines(conf).filter((l) => l.startsWith('nameserver'));
    assert.deepEqual(servers, [`nameserver ${tgt.name === 'dockerd' ? '127.0.0.11' : `${b}.129`}`]);
    assert.ok(lines(conf).includes('options ndots:0'), conf);
    // With --dns (a loopback one) and --dns-search the file is built afresh: search, the embedded server, options.
    const built = (await tgt.ok(['run', '--rm', ...NO_UPSTREAM, '--dns-search', 'ex.test', '--network', 'dns', 'busybox', 'cat', '/etc/resolv.conf'])).stdout;
    assert.equal(built, `search ex.test\nnameserver ${tgt.name === 'dockerd' ? '127.0.0.11' : `${b}.129`}\noptions ndots:0\n`);
    const hosts = lines((await tgt.ok(['run', '--rm', ...NO_UPSTREAM, '--network', 'dns', '-h', 'me', 'busybox', 'cat', '/etc/hosts'])).stdout);
    assert.equal(hosts[0], '127.0.0.1\tlocalhost');
    assert.match(hosts.at(-1)!, new RegExp(`^${b.replace(/\./g, '\\.')}\\.\\d+\\tme$`));
    // A name nobody on the network has is not answered from it.
    await tgt.fails(['run', '--rm', ...NO_UPSTREAM, '--network', 'dns', 'busybox', 'ping', '-c', '1', '-W', '1', 'web2'], 1);
    // A rename: the new name answers, the old one no longer does.
    await tgt.ok(['rename', 'web1', 'web2']);
    const renamed = await tgt.ok(['run', '--rm', ...NO_UPSTREAM, '--network', 'dns', 'busybox', 'nslookup', 'web2']);
    assert.match(renamed.stdout, new RegExp(`Name:\\s+web2\\s+Address:\\s+${ip.replace(/\./g, '\\.')}\\b`), renamed.stdout);
    // No answer for the old name (dockerd 20.10 stays silent, berthd answers SERVFAIL: nslookup's exit code differs).
    const old = await tgt.docker(['run', '--rm', ...NO_UPSTREAM, '--network', 'dns', 'busybox', 'nslookup', 'web1']);
    assert.doesNotMatch(old.stdout, /Name:\s+web1/);
  });

  s.test('connect and disconnect a running container: aliases, static address, errors', async (tgt) => {
    const b = base(tgt);
    await tgt.ok(['network', 'create', '--subnet', `${b}.128/27`, 'front']);
    await tgt.ok(['network', 'create', '--subnet', `${b}.160/27`, 'back']);
    const id = (await tgt.ok(['run', '-d', '--name', 'app', '--network', 'front', 'busybox', 'sleep', '300'])).stdout.trim();
    await tgt.ok(['network', 'connect', '--alias', 'db', '--ip', `${b}.170`, 'back', 'app']);
    const nets = JSON.parse((await tgt.ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'app'])).stdout);
    assert.deepEqual(Object.keys(nets).sort(), ['back', 'front']);
    assert.equal(nets.back.IPAddress, `${b}.170`);
    assert.equal(nets.back.IPPrefixLen, 27);
    assert.equal(nets.back.Gateway, `${b}.161`);
    assert.deepEqual(nets.back.IPAMConfig, { IPv4Address: `${b}.170` });
    assert.ok(nets.back.Aliases.includes('db'), JSON.stringify(nets.back.Aliases));
    assert.match(nets.back.EndpointID, /^[0-9a-f]{64}$/);
    assert.match(nets.back.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const containers = JSON.parse((await tgt.ok(['network', 'inspect', '-f', '{{json .Containers}}', 'back'])).stdout);
    assert.deepEqual(containers, { [id]: { Name: 'app', EndpointID: nets.back.EndpointID, MacAddress: nets.back.MacAddress, IPv4Address: `${b}.170/27`, IPv6Address: '' } });
    const addrs = (await tgt.ok(['exec', 'app', 'ip', '-o', '-4', 'addr', 'show'])).stdout;
    assert.match(addrs, new RegExp(`inet ${b.replace(/\./g, '\\.')}\\.170/27`));
    const r1 = await tgt.ok(['run', '--rm', ...NO_UPSTREAM, '--network', 'back', 'busybox', 'nslookup', 'db']);
    assert.match(r1.stdout, new RegExp(`Address:\\s+${b.replace(/\./g, '\\.')}\\.170\\b`));

    let r = await tgt.fails(['network', 'connect', 'back', 'app'], 1);
    assert.match(r.stderr, /Error response from daemon: endpoint with name app already exists in network back/);
    r = await tgt.fails(['network', 'connect', 'nope', 'app'], 1);
    assert.match(r.stderr, /Error response from daemon: network nope not found/);
    r = await tgt.fails(['network', 'connect', 'back', 'nope'], 1);
    assert.match(r.stderr, /Error response from daemon: No such container: nope/);
    r = await tgt.fails(['network', 'rm', 'back'], 1);
    assert.match(r.stderr, new RegExp(`Error response from daemon: error while removing network: network back id ${JSON.parse((await tgt.ok(['network', 'inspect', 'back'])).stdout)[0].Id} has active endpoints`));

    await tgt.ok(['network', 'disconnect', 'back', 'app']);
    assert.doesNotMatch((await tgt.ok(['exec', 'app', 'ip', '-o', '-4', 'addr', 'show'])).stdout, new RegExp(`${b.replace(/\./g, '\\.')}\\.170`));
    assert.deepEqual(Object.keys(JSON.parse((await tgt.ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'app'])).stdout)), ['front']);
    assert.deepEqual(JSON.parse((await tgt.ok(['network', 'inspect', '-f', '{{json .Containers}}', 'back'])).stdout), {});
    r = await tgt.fails(['network', 'disconnect', 'back', 'app'], 1);
    assert.match(r.stderr, new RegExp(`Error response from daemon: container ${id} is not connected to network back`));
    await tgt.ok(['network', 'rm', 'back']);
  });

  s.test('static addresses: --ip, taken, outside the subnet, no user subnet', async (tgt) => {
    const b = base(tgt);
    await tgt.ok(['network', 'create', '--subnet', `${b}.128/27`, 'fixed']);
    await tgt.ok(['network', 'create', 'auto']);
    const r0 = await tgt.ok(['run', '--rm', '--network', 'fixed', '--ip', `${b}.140`, 'busybox', 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
    assert.match(r0.stdout, new RegExp(`inet ${b.replace(/\./g, '\\.')}\\.140/27 brd ${b.replace(/\./g, '\\.')}\\.159 `));
    await tgt.ok(['run', '-d', '--name', 'holder', '--network', 'fixed', '--ip', `${b}.141`, 'busybox', 'sleep', '300']);
    let r = await tgt.fails(['run', '--rm', '--network', 'fixed', '--ip', `${b}.141`, 'busybox', 'true'], 125);
    assert.match(r.stderr, /Address already in use/);
    r = await tgt.fails(['run', '--rm', '--network', 'fixed', '--ip', `${b}.10`, 'busybox', 'true'], 125);
    assert.match(r.stderr, new RegExp(`Invalid address ${b.replace(/\./g, '\\.')}\\.10: It does not belong to any of this network's subnets`));
    r = await tgt.fails(['run', '--rm', '--network', 'auto', '--ip', `${b}.10`, 'busybox', 'true'], 125);
    assert.match(r.stderr, /user specified IP address is supported only when connecting to networks with user configured subnets/);
    // The failed runs left no container behind but the one holding the address.
    assert.deepEqual(lines((await tgt.ok(['ps', '-a', '--format', '{{.Names}}'])).stdout), ['holder']);
  });

  s.test('prune and rm: only networks no running container uses', async (tgt) => {
    await tgt.ok(['network', 'create', 'unused1']);
    await tgt.ok(['network', 'create', '--label', 'keep=1', 'unused2']);
    await tgt.ok(['network', 'create', 'used']);
    await tgt.ok(['network', 'create', 'createdonly']);
    await tgt.ok(['run', '-d', '--name', 'user', '--network', 'used', 'busybox', 'sleep', '300']);
    // A container that was only created holds no endpoint: its network goes, and its start then fails.
    await tgt.ok(['create', '--name', 'idle', '--network', 'createdonly', 'busybox', 'true']);
    const pruned = lines((await tgt.ok(['network', 'prune', '-f', '--filter', 'label!=keep'])).stdout);
    assert.deepEqual([pruned[0], ...pruned.slice(1).sort()], ['Deleted Networks:', 'createdonly', 'unused1']);
    assert.equal((await tgt.ok(['network', 'prune', '-f'])).stdout, 'Deleted Networks:\nunused2\n\n');
    assert.equal((await tgt.ok(['network', 'prune', '-f'])).stdout, '');
    assert.deepEqual(await networkNames(tgt), [...BUILTIN(tgt), 'used'].sort());
    const r = await tgt.fails(['start', 'idle'], 1);
    assert.match(r.stderr, /network createdonly not found/);
    await tgt.ok(['rm', '-f', 'user', 'idle']);
    assert.equal((await tgt.ok(['network', 'prune', '-f'])).stdout, 'Deleted Networks:\nused\n\n');
  });

  s.test('a loopback --dns is the container\'s own loopback: nothing is forwarded to the host\'s', async (tgt) => {
    const host = dgram.createSocket('udp4');
    let got = 0;
    host.on('message', () => { got++; });
    await new Promise<void>((r) => host.bind(53, '127.0.0.19', r));
    try {
      await tgt.ok(['network', 'create', 'lo-dns']);
      const r = await tgt.docker(['run', '--rm', '--network', 'lo-dns', '--dns', '127.0.0.19', 'busybox', 'nslookup', '-timeout=2', 'zz.invalid']);
      assert.notEqual(r.code, 0);
      assert.equal(got, 0);
    } finally {
      host.close();
    }
  });
}, { network: true });
