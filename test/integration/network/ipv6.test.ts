// Dual-stack networks end to end on a private berthd: IPv6 isolation
// between networks (the host forwards IPv6 between interfaces, so only
// berth's ip6tables chain keeps them apart), --internal without an IPv6
// default route, and the ip6tables rules going with the network. Traffic
// stays on this daemon's bridges; the IPv6 subnets are cut from
// fd42:213:X::/48, X the daemon's private IPv4 third octet.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { DOCKER_CLI, daemonNetworks, run, skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello6 > /www/index.html && exec httpd -f -p 80 -h /www'];

describe('IPv6 dual stack: isolation and rules', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  let bridge: string;
  let b6: string;
  const docker = async (...args: string[]) => run(DOCKER_CLI, args, { env: d.env, timeout: 60_000 });
  const ok = async (...args: string[]) => {
    const r = await docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const rules6 = () => execFileSync('ip6tables-save', { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`-${bridge}`) && /^-A BERTH-/.test(l));

  before(async () => {
    d = await startBerthd();
    bridge = daemonNetworks.get(d)!.bridge;
    b6 = `fd42:213:${daemonNetworks.get(d)!.subnet.split('.')[2]}`;
  });
  after(async () => { await d?.cleanup(); });

  test('containers on two dual-stack networks reach their own over IPv6, not the other; --internal has no IPv6 route out', async () => {
    await ok('network', 'create', '--ipv6', '--subnet', `${b6}:1::/64`, 'six1');
    await ok('network', 'create', '--ipv6', '--subnet', `${b6}:2::/64`, 'six2');
    await ok('network', 'create', '--ipv6', '--internal', '--subnet', `${b6}:3::/64`, 'six3');
    const web = await ok('run', '-d', '--name', 'web6', '--network', 'six1', 'busybox', ...HTTPD);
    const ip6 = await ok('inspect', '-f', '{{.NetworkSettings.Networks.six1.GlobalIPv6Address}}', web);
    assert.equal(ip6, `${b6}:1::2`);
    const url = `http://[${ip6}]/`;
    assert.match(await ok('run', '--rm', '--network', 'six1', 'busybox', 'sh', '-c', `timeout 5 wget -qO- ${url}; exit $?`), /hello6/);
    const other = await docker('run', '--rm', '--network', 'six2', 'busybox', 'sh', '-c', `ip -6 route; timeout 2 wget -qO- ${url}; exit $?`);
    assert.match(other.stdout, new RegExp(`default via ${b6}:2::1 `), 'a route exists: only the rules stop it');
    assert.notEqual(other.code, 0);
    const sealed = await docker('run', '--rm', '--network', 'six3', 'busybox', 'sh', '-c', `ip -6 route; timeout 2 wget -qO- ${url}; exit $?`);
    assert.doesNotMatch(sealed.stdout, /default/);
    assert.notEqual(sealed.code, 0);
    const rules = rules6();
    assert.ok(rules.some((r) => r.includes(`-s ${b6}:1::/64`) && r.includes('MASQUERADE')), rules.join('\n'));
    assert.ok(!rules.some((r) => r.includes(`-s ${b6}:3::/64`)), 'no MASQUERADE for an internal network');
    await ok('rm', '-f', web);
  });

  test('the IPv6 rules go with the networks; a network without --ipv6 adds none', async () => {
    await ok('network', 'rm', 'six1', 'six2', 'six3');
    assert.deepEqual(rules6(), []);
    await ok('network', 'create', '--subnet', `${b6}:4::/64`, 'four');
    assert.deepEqual(rules6(), []);
    await ok('network', 'rm', 'four');
  });
});
