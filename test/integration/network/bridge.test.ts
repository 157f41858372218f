// Bridge networking end to end, through the real docker CLI against a
// private berthd (own bridge name and subnets, see test/helpers/network.ts):
// the default bridge, user-defined networks with the embedded DNS,
// isolation, --internal, published ports on loopback, bad input, and
// nothing left behind after containers, networks and a daemon crash.
// Traffic goes only to loopback and to containers on this daemon's bridges.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync, readdirSync } from 'node:fs';
import { DOCKER_CLI, daemonNetworkLeftovers, daemonNetworks, run, skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello from $(hostname) > /www/index.html && exec httpd -f -p 80 -h /www'];

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('bridge networking', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  let bridge: string;
  let subnet: string;
  const docker = async (...args: string[]) => run(DOCKER_CLI, args, { env: d.env, timeout: 60_000 });
  const ok = async (...args: string[]) => {
    const r = await docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const netnsFiles = () => { try { return readdirSync(`${d.execRoot}/netns`); } catch { return []; } };
  const vethsNow = () => daemonNetworkLeftovers(bridge).links.filter((l) => l.startsWith('veth'));
  // The kernel removes a container's veths with its namespace, shortly after the namespace is released.
  const veths = async () => {
    for (let i = 0; i < 40 && vethsNow().length; i++) await new Promise((r) => setTimeout(r, 50));
    return vethsNow();
  };

  before(async () => {
    d = await startBerthd();
    bridge = daemonNetworks.get(d)!.bridge;
    subnet = daemonNetworks.get(d)!.subnet;
  });
  after(async () => { await d?.cleanup(); });

  test('the default bridge: an address from the daemon subnet, a route to the gateway, its own name in /etc/hosts', async () => {
    const prefix = subnet.replace(/\.0\/24$/, '.');
    const out = await ok('run', '--rm', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route; cat /etc/hosts; ping -c1 -W2 ' + prefix + '1 >/dev/null && echo gateway-ok');
    assert.match(out, new RegExp(`inet ${prefix.replace(/\./g, '\\.')}\\d+/24`));
    assert.match(out, new RegExp(`default via ${prefix.replace(/\./g, '\\.')}1 dev eth0`));
    assert.match(out, /gateway-ok/);
    const ls = await ok('network', 'ls', '--format', '{{.Name}} {{.Driver}}');
    assert.deepEqual(ls.split('\n').sort(), ['bridge bridge', 'host host', 'none null']);
    const inspect = JSON.parse(await ok('network', 'inspect', 'bridge'))[0];
    assert.equal(inspect.Options['com.docker.network.bridge.name'], bridge);
    assert.equal(inspect.IPAM.Config[0].Subnet, subnet);
    assert.deepEqual(netnsFiles(), []);
    assert.deepEqual(await veths(), []);
  });

  test('two containers on the default bridge reach each other; inspect shows the address; stop releases it', async () => {
    const a = await ok('run', '-d', '--name', 'web0', 'busybox', ...HTTPD);
    const ip = (await ok('inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', a));
    assert.match(ip, /^10\.213\./);
    assert.equal(await ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', a), ip);
    const body = await ok('run', '--rm', 'busybox', 'sh', '-c', `timeout 5 wget -qO- http://${ip}/; exit $?`);
    assert.match(body, /hello from/);
    const net = JSON.parse(await ok('network', 'inspect', 'bridge'))[0];
    assert.equal(net.Containers[a].IPv4Address, `${ip}/24`);
    assert.equal(netnsFiles().length, 1);
    await ok('rm', '-f', a);
    assert.deepEqual(netnsFiles(), []);
    assert.deepEqual(await veths(), []);
    assert.deepEqual(JSON.parse(await ok('network', 'inspect', 'bridge'))[0].Containers, {});
  });

  test('--network none sees only lo; host sees the host', async () => {
    const out = await ok('run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link');
    assert.deepEqual(out.split('\n').map((l) => l.split(':')[1]!.trim()), ['lo']);
  });

  test('a user-defined network: names, aliases and short IDs resolve through the embedded DNS; /etc/hosts and resolv.conf', async () => {
    await ok('network', 'create', 'appnet');
    const id = await ok('run', '-d', '--name', 'web', '--network', 'appnet', '--network-alias', 'www', 'busybox', ...HTTPD);
    const out = await ok('run', '--rm', '--network', 'appnet', 'busybox', 'sh', '-c',
      `timeout 5 wget -qO- http://web/ && timeout 5 wget -qO- http://www/ && ping -c1 -W2 ${id.slice(0, 12)} >/dev/null && echo ping-ok && cat /etc/resolv.conf`);
    assert.match(out, /hello from [0-9a-f]{12}\nhello from/);
    assert.match(out, /ping-ok/);
    const gw = (JSON.parse(await ok('network', 'inspect', 'appnet'))[0].IPAM.Config[0].Subnet as string).replace(/0\/\d+$/, '1');
    assert.match(out, new RegExp(`nameserver ${gw.replace(/\./g, '\\.')}`));
    const names = JSON.parse(await ok('inspect', '-f', '{{json .NetworkSettings.Networks.appnet.DNSNames}}', 'web'));
    assert.deepEqual(names, ['web', id.slice(0, 12), 'www']);
    const hosts = await ok('run', '--rm', '--network', 'appnet', '--add-host', 'h1:10.9.9.9', '--add-host', 'gw:host-gateway', 'busybox', 'cat', '/etc/hosts');
    assert.match(hosts, /10\.9\.9\.9\th1/);
    await ok('rm', '-f', 'web');
  });

  test('networks are isolated from each other; --internal cannot reach out', async () => {
    await ok('network', 'create', 'other');
    await ok('network', 'create', '--internal', 'sealed');
    const web = await ok('run', '-d', '--name', 'iso-web', '--network', 'other', 'busybox', ...HTTPD);
    const ip = await ok('inspect', '-f', '{{.NetworkSettings.Networks.other.IPAddress}}', web);
    // Reachable from its own network, not from another one.
    assert.match(await ok('run', '--rm', '--network', 'other', 'busybox', 'sh', '-c', `timeout 3 wget -qO- http://${ip}/; exit $?`), /hello/);
    // (The trailing exit keeps sh as PID 1: wget as PID 1 would ignore timeout's SIGTERM.)
    const fromApp = await docker('run', '--rm', '--network', 'appnet', 'busybox', 'sh', '-c', `timeout 2 wget -qO- http://${ip}/; exit $?`);
    assert.notEqual(fromApp.code, 0);
    const fromSealed = await docker('run', '--rm', '--network', 'sealed', 'busybox', 'sh', '-c', `ip route; timeout 2 wget -qO- http://${ip}/`);
    assert.notEqual(fromSealed.code, 0);
    assert.doesNotMatch(fromSealed.stdout, /default/);
    await ok('rm', '-f', web);
  });

  test('-p publishes on 127.0.0.1 (host port given or random); docker port; a taken port is a clear error', async () => {
    const id = await ok('run', '-d', '--name', 'pub', '-p', '127.0.0.1::80', '-p', '80', 'busybox', ...HTTPD);
    const port = await ok('port', id, '80/tcp');
    // -p 80 is published on 0.0.0.0 and [::] with one port, as dockerd's userland proxy does.
    const lines = port.split('\n').filter((l) => !l.startsWith('[::]:'));
    assert.equal(lines.length, 2, port);
    const any = lines.find((l) => l.startsWith('0.0.0.0:'))!;
    assert.ok(port.includes(`[::]:${/:(\d+)$/.exec(any)![1]}`), port);
    for (const line of lines) {
      const m = /:(\d+)$/.exec(line)!;
      const r = await get(`http://127.0.0.1:${m[1]}/`);
      assert.equal(r.status, 200);
      assert.match(r.body, /hello from/);
    }
    const taken = /:(\d+)$/.exec(lines.find((l) => l.startsWith('127.0.0.1:'))!)![1]!;
    const clash = await docker('run', '-d', '--name', 'pub2', '-p', `127.0.0.1:${taken}:80`, 'busybox', ...HTTPD);
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, new RegExp(`Bind for 127\\.0\\.0\\.1:${taken} failed: port is already allocated`));
    await ok('rm', '-f', 'pub2');
    // Another container reaches the published port through the host's own address.
    await ok('rm', '-f', id);
    assert.deepEqual(netnsFiles(), []);
    const rules = daemonNetworkLeftovers(bridge).rules.filter((r) => r.includes('DNAT --to'));
    assert.deepEqual(rules, []);
  });

  test('bad input: clear errors and nothing half-made', async () => {
    const before = await ok('network', 'ls', '-q');
    const cases: Array<[string[], RegExp]> = [
      [['network', 'create', '--subnet', '10.214.0.0/16', 'bad1'], /Pool overlaps with other one on this address space/],
      [['network', 'create', '--subnet', '10.215.1.0/24', '--gateway', '10.215.2.1', 'bad2'], /gateway 10\.215\.2\.1/],
      [['network', 'create', '--subnet', '10.215.1.0/24', '--ip-range', '10.216.0.0/24', 'bad3'], /range 10\.216\.0\.0\/24/],
      [['network', 'create', '--subnet', '10.215.2.0/24', '-o', 'com.docker.network.driver.mtu=12', 'bad4'], /invalid MTU 12/],
      [['network', 'create', '-d', 'nosuchdriver', 'bad5'], /plugin "nosuchdriver" not found/],
      [['network', 'create', 'appnet'], /already exists/],
      [['run', '--rm', '--network', 'nosuchnet', 'busybox', 'true'], /network nosuchnet not found/],
      [['run', '--rm', '--ip', '10.66.0.9', 'busybox', 'true'], /user specified IP address is supported on user defined networks only/],
    ];
    for (const [args, msg] of cases) {
      const r = await docker(...args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, msg, `${args.join(' ')}: ${r.stderr}`);
    }
    assert.equal(await ok('network', 'ls', '-q'), before);
    // A static address that is taken (static addresses need a network with a --subnet, as on dockerd).
    const sub = `${/base=(10\.214\.\d+)\./.exec(daemonNetworks.get(d)!.pool)![1]}.224/27`;
    await ok('network', 'create', '--subnet', sub, 'fixednet');
    const ip = sub.replace(/\.224\/27$/, '.234');
    await ok('run', '-d', '--name', 'st1', '--network', 'fixednet', '--ip', ip, 'busybox', 'sleep', '60');
    assert.equal(await ok('inspect', '-f', '{{.NetworkSettings.Networks.fixednet.IPAddress}}', 'st1'), ip);
    const taken = await docker('run', '-d', '--name', 'st2', '--network', 'fixednet', '--ip', ip, 'busybox', 'sleep', '60');
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /Address already in use/);
    await ok('rm', '-f', 'st2');
    // In use: 409; then removable.
    const rm = await docker('network', 'rm', 'fixednet');
    assert.notEqual(rm.code, 0);
    assert.match(rm.stderr, /has active endpoints/);
    await ok('rm', '-f', 'st1');
    await ok('network', 'rm', 'fixednet');
    assert.deepEqual(netnsFiles(), []);
    assert.deepEqual(await veths(), []);
  });

  test('connect and disconnect a running container; a container on two networks', async () => {
    const id = await ok('run', '-d', '--name', 'multi', '--network', 'appnet', 'busybox', ...HTTPD);
    await ok('network', 'connect', '--alias', 'multi-alias', 'other', id);
    const nets = JSON.parse(await ok('inspect', '-f', '{{json .NetworkSettings.Networks}}', id));
    assert.deepEqual(Object.keys(nets).sort(), ['appnet', 'other']);
    assert.match(nets.other.IPAddress, /^10\.214\./);
    assert.match(await ok('run', '--rm', '--network', 'other', 'busybox', 'sh', '-c', 'timeout 5 wget -qO- http://multi-alias/; exit $?'), /hello/);
    await ok('network', 'disconnect', 'other', id);
    const links = await ok('inspect', '-f', '{{len .NetworkSettings.Networks}}', id);
    assert.equal(links, '1');
    await ok('rm', '-f', id);
    assert.deepEqual(await veths(), []);
  });

  test('rm and prune of networks; nothing of the daemon left on the host but its own default bridge', async () => {
    await ok('network', 'rm', 'sealed');
    const pruned = await ok('network', 'prune', '-f');
    assert.match(pruned, /appnet/);
    assert.match(pruned, /other/);
    assert.deepEqual((await ok('network', 'ls', '--format', '{{.Name}}')).split('\n').sort(), ['bridge', 'host', 'none']);
    const left = daemonNetworkLeftovers(bridge);
    assert.deepEqual(left.links, [bridge]);
    assert.ok(left.rules.every((r) => !/br-|veth/.test(r)), left.rules.join('\n'));
  });

  test('after a crash (kill -9) the restarted daemon removes namespaces, veths and leases of containers that died meanwhile', async () => {
    await ok('network', 'create', 'crashnet');
    const id = await ok('run', '-d', '--network', 'crashnet', '-p', '127.0.0.1::80', 'busybox', ...HTTPD);
    assert.equal(netnsFiles().length, 1);
    await d.kill9();
    // The container dies while the daemon is down (its conmon keeps running and records the exit).
    const pid = Number((await run('sh', ['-c', `cat /proc/*/cmdline 2>/dev/null | true; runc --root ${d.execRoot}/runtime/state/runc state ${id} | grep '"pid"' | grep -o '[0-9]*'`])).stdout.trim());
    if (pid) process.kill(pid, 'SIGKILL');
    await d.start();
    // Live restore runs in the background; network requests wait for it.
    const net = JSON.parse(await ok('network', 'inspect', 'crashnet'))[0];
    assert.deepEqual(net.Containers, {});
    assert.deepEqual(netnsFiles(), []);
    assert.deepEqual(await veths(), []);
    assert.ok(!existsSync(`${d.execRoot}/netns/${id}`));
    await ok('rm', '-f', id);
    await ok('network', 'rm', 'crashnet');
    assert.deepEqual(daemonNetworkLeftovers(bridge).rules.filter((r) => r.includes('DNAT --to')), []);
  });
});
