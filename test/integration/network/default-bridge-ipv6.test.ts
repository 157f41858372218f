// The default bridge dual-stack (berthd --ipv6 --fixed-cidr-v6, or the
// daemon.json keys), as a private dockerd 20.10 on its own bridge showed
// it: EnableIPv6, the IPv6 subnet in IPAM without a gateway, each
// container's address the subnet with its MAC as the last 48 bits
// (02:42:0a:d7:4d:02 -> fd00:77::242:ad7:4d02), a default route via
// prefix::1, the address in /etc/hosts and inspect, --ip6 refused on the
// default bridge. Traffic stays on this daemon's bridge; the subnet is
// fd42:215:1X::/64, X the daemon's private IPv4 third octet (the leading 1
// keeps the group non-zero: addresses are compared in their canonical
// text, where a zero group would be folded into "::").

import { describe, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { DOCKER_CLI, daemonNetworkLeftovers, run, skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';
import { pickDaemonNetwork } from '../../helpers/network.ts';

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello6 > /www/index.html && exec httpd -f -p 80 -h /www'];

describe('IPv6 on the default bridge', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon | undefined;
  after(async () => { await d?.cleanup(); });

  test('--ipv6 --fixed-cidr-v6 (daemon.json): MAC-derived addresses, route, hosts, inspect; reachable over IPv6', async () => {
    const net = pickDaemonNetwork();
    const b6 = `fd42:215:1${net.subnet.split('.')[2]}`;
    d = await startBerthd({ network: net, config: { ipv6: true, 'fixed-cidr-v6': `${b6}::/64` } });
    const env = d.env;
    const docker = (...args: string[]) => run(DOCKER_CLI, args, { env, timeout: 60_000 });
    const ok = async (...args: string[]) => {
      const r = await docker(...args);
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const bridge = JSON.parse(await ok('network', 'inspect', 'bridge'))[0];
    assert.equal(bridge.EnableIPv6, true);
    assert.deepEqual(bridge.IPAM.Config, [{ Subnet: net.subnet, Gateway: net.bip.replace(/\/\d+$/, '') }, { Subnet: `${b6}::/64` }]);
    const addrs = execFileSync('ip', ['-6', 'addr', 'show', 'dev', net.bridge], { encoding: 'utf8' });
    assert.match(addrs, new RegExp(`inet6 ${b6}::1/64 scope global`));
    assert.match(addrs, /inet6 fe80::1\/64 scope link/);

    const web = await ok('run', '-d', '--name', 'web6', 'busybox', ...HTTPD);
    const [ip, mac, ip6, len, gw6] = (await ok('inspect', '-f',
      '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.MacAddress}} {{.NetworkSettings.GlobalIPv6Address}} {{.NetworkSettings.GlobalIPv6PrefixLen}} {{.NetworkSettings.IPv6Gateway}}', web)).split(' ');
    const m = mac!.split(':').map((h) => parseInt(h, 16));
    const word = (a: number, b: number) => ((a << 8) | b).toString(16);
    assert.equal(ip6, `${b6}::${word(m[0]!, m[1]!)}:${word(m[2]!, m[3]!)}:${word(m[4]!, m[5]!)}`);
    assert.equal(len, '64');
    assert.equal(gw6, `${b6}::1`);
    assert.equal(await ok('inspect', '-f', '{{.NetworkSettings.Networks.bridge.GlobalIPv6Address}}', web), ip6);

    const out = await ok('run', '--rm', '--name', 'cli6', 'busybox', 'sh', '-c', `ip -6 route; echo ---; cat /etc/hosts; echo ---; timeout 5 wget -qO- http://[${ip6}]/`);
    const [routes, hosts, body] = out.split('---\n') as [string, string, string];
    assert.match(routes, new RegExp(`default via ${b6}::1 dev eth0`));
    const own = hosts.trim().split('\n').slice(-2);
    assert.match(own[0]!, /^10\.213\.\d+\.\d+\tcli6$|^10\.213\.\d+\.\d+\t[0-9a-f]{12}$/);
    assert.match(own[1]!, new RegExp(`^${b6}::242:[0-9a-f:]+\\t`));
    assert.equal(body.trim(), 'hello6');
    assert.notEqual(ip, '');

    // Published on [::] too: DNATed to the container's IPv6 address (ip6tables), reached from a container beside it.
    const pub = await ok('run', '-d', '-p', '80', 'busybox', ...HTTPD);
    const pub6 = await ok('inspect', '-f', '{{.NetworkSettings.GlobalIPv6Address}}', pub);
    const port = Number(/^\[::\]:(\d+)$/m.exec(await ok('port', pub, '80/tcp'))![1]);
    const nat6 = execFileSync('ip6tables-save', ['-t', 'nat'], { encoding: 'utf8' });
    assert.ok(nat6.includes(`-A BERTH-DNAT-${net.bridge} -p tcp -m tcp --dport ${port} -j DNAT --to-destination [${pub6}]:80`), nat6);
    assert.equal(await ok('run', '--rm', 'busybox', 'sh', '-c', `for i in $(seq 50); do timeout 5 wget -qO- http://[${b6}::1]:${port}/ && exit 0; sleep 0.2; done; exit 1`), 'hello6');
    await ok('rm', '-f', pub);

    const refused = await docker('run', '--rm', '--ip6', `${b6}::99`, 'busybox', 'true');
    assert.equal(refused.code, 125);
    assert.match(refused.stderr, /user specified IP address is supported on user defined networks only/);
    await ok('rm', '-f', web);
    await d.cleanup();
    d = undefined;
    assert.deepEqual(daemonNetworkLeftovers(net.bridge), { links: [], rules: [] });
  });
});
