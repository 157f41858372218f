// Dual-stack networks end to end on a private berthd: IPv6 isolation
// between networks (the host forwards IPv6 between interfaces, so only
// berth's ip6tables chain keeps them apart), --internal without an IPv6
// default route, published ports DNATed to a container's IPv6 address
// (it sees the client's own address; ::1 goes through berthd's relay), the
// bridges' fe80::1, and the ip6tables rules going with the network. Traffic
// stays on this daemon's bridges; the IPv6 subnets are cut from
// fd42:213:X::/48, X the daemon's private IPv4 third octet.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { DOCKER_CLI, daemonNetworks, run, skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello6 > /www/index.html && exec httpd -f -p 80 -h /www'];
// busybox httpd runs CGI scripts with REMOTE_ADDR set: the peer it saw.
const PEER = ['sh', '-c', [
  'mkdir -p /www/cgi-bin',
  'printf \'#!/bin/sh\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n"\\necho "$REMOTE_ADDR"\\n\' > /www/cgi-bin/peer',
  'chmod +x /www/cgi-bin/peer',
  'exec httpd -f -p 80 -h /www',
].join(' && ')];
const bare = (addr: string) => addr.replace(/^\[|\]$/g, '');

function getPeer6(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '::1', port, path: '/cgi-bin/peer', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

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

  test('published ports: an IPv6 client is DNATed to the container\'s IPv6 address and seen as itself, again after a crash; ::1 through the relay; the bridge has fe80::1', async () => {
    await ok('network', 'create', '--ipv6', '--subnet', `${b6}:5::/64`, 'pub6');
    const netId = await ok('network', 'inspect', '-f', '{{.Id}}', 'pub6');
    // dockerd's link-local gateway address, beside the kernel's own.
    assert.match(execFileSync('ip', ['-6', '-o', 'addr', 'show', 'dev', `br-${netId.slice(0, 12)}`], { encoding: 'utf8' }), /inet6 fe80::1\/64 scope link/);
    const web = await ok('run', '-d', '--network', 'pub6', '-p', '80', 'busybox', ...PEER);
    const port = Number(/^\[::\]:(\d+)$/m.exec(await ok('port', web, '80/tcp'))![1]);
    assert.ok(rules6().includes(`-A BERTH-DNAT-${bridge} -p tcp -m tcp --dport ${port} -j DNAT --to-destination [${b6}:5::2]:80`), rules6().join('\n'));
    // A client beside it, through the host's address on the bridge: DNAT keeps the client's
    // address (berthd's relay would show the bridge's own, fd..:5::1). Clients on other
    // networks are masqueraded on the way in, as by dockerd.
    const url = `http://[${b6}:5::1]:${port}/cgi-bin/peer`;
    const seen = await ok('run', '--rm', '--network', 'pub6', '--ip6', `${b6}:5::77`, 'busybox', 'sh', '-c',
      `for i in $(seq 50); do timeout 5 wget -qO- ${url} && exit 0; sleep 0.2; done; exit 1`);
    assert.equal(bare(seen), `${b6}:5::77`);
    // A loopback client: the relay, from the bridge's address.
    assert.equal(bare(await getPeer6(port)), `${b6}:5::1`);
    // Rebuilt from the metadata after a crash.
    const dnat = rules6().filter((r) => r.includes('-j DNAT'));
    await d.kill9();
    await d.start();
    assert.deepEqual(rules6().filter((r) => r.includes('-j DNAT')), dnat);
    assert.equal(bare(await ok('run', '--rm', '--network', 'pub6', '--ip6', `${b6}:5::78`, 'busybox', 'wget', '-qO-', url)), `${b6}:5::78`);
    await ok('rm', '-f', web);
    assert.deepEqual(rules6().filter((r) => r.includes('-j DNAT')), []);
    await ok('network', 'rm', 'pub6');
  });

  test('the IPv6 rules go with the networks; a network without --ipv6 adds none', async () => {
    await ok('network', 'rm', 'six1', 'six2', 'six3');
    assert.deepEqual(rules6(), []);
    await ok('network', 'create', '--subnet', `${b6}:4::/64`, 'four');
    assert.deepEqual(rules6(), []);
    await ok('network', 'rm', 'four');
  });
});
