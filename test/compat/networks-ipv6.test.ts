// Dual-stack (IPv4 + IPv6) user-defined bridges through the real docker
// CLI: create with --ipv6 and an IPv6 --subnet, inspect shapes, the
// addresses containers get (sequential, --ip6), their routes, /etc/hosts,
// AAAA and ip6.arpa answers of the embedded DNS, connect/disconnect, and
// dockerd's errors. Checked against dockerd 20.10 first. Each daemon takes
// its IPv6 subnets from fd42:214:X::/48, X derived from its private IPv4
// pool's third octet, so parallel suites never share one. Traffic stays on the
// daemon's own bridges; names are only the daemon's (a dead-end --dns).

import assert from 'node:assert/strict';
import { type CompatTarget, compatSuite, lines } from './target.ts';

const base = (tgt: CompatTarget) => /^base=(10\.214\.\d+)\.0\/24/.exec(tgt.net!.pool)![1]!;
/**
 * "fd42:214:X": the daemon's IPv6 /48, X = 0x100 + the octet: one-to-one, and never a
 * zero group, which the canonical form of an address drops (fd42:214:0::2 prints
 * fd42:214::2; CI drew octet 0 once).
 */
const base6 = (tgt: CompatTarget) => `fd42:214:${(0x100 + Number(base(tgt).split('.')[2])).toString(16)}`;
const NO_UPSTREAM = ['--dns', '127.0.0.9'];
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

compatSuite('networks: IPv6 dual stack', (s) => {
  s.test('create and inspect: --ipv6 with an IPv6 subnet, gateways, ranges; a subnet without --ipv6; ls', async (tgt) => {
    const b = base(tgt);
    const b6 = base6(tgt);
    await tgt.ok(['network', 'create', '--ipv6', '--subnet', `${b}.128/27`, '--subnet', `${b6}::/64`, 'v6']);
    const [n] = JSON.parse((await tgt.ok(['network', 'inspect', 'v6'])).stdout);
    assert.equal(n.EnableIPv6, true);
    assert.deepEqual(n.IPAM.Config, [{ Subnet: `${b}.128/27` }, { Subnet: `${b6}::/64` }]);
    await tgt.ok(['network', 'create', '--ipv6', '--subnet', `${b6}:1::/64`, '--gateway', `${b6}:1::fe`, 'v6gw']);
    // The IPv4 pool comes from the defaults (its gateway shown), the IPv6 one as given.
    assert.deepEqual(JSON.parse((await tgt.ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'v6gw'])).stdout),
      [{ Subnet: `${b}.0/27`, Gateway: `${b}.1` }, { Subnet: `${b6}:1::/64`, Gateway: `${b6}:1::fe` }]);
    await tgt.ok(['network', 'create', '--ipv6', '--subnet', `${b6}:6::/64`, '--ip-range', `${b6}:6::100/120`, 'v6range']);
    assert.deepEqual(JSON.parse((await tgt.ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'v6range'])).stdout)[1],
      { Subnet: `${b6}:6::/64`, IPRange: `${b6}:6::100/120` });
    const first = await tgt.ok(['run', '--rm', '--network', 'v6range', 'busybox', 'ip', '-o', '-6', 'addr', 'show', 'eth0', 'scope', 'global']);
    // dockerd does not hand out a range's own first address.
    assert.match(first.stdout, new RegExp(`inet6 ${re(b6)}:6::101/64 `));
    // An IPv6 subnet without --ipv6 is kept, but containers get no IPv6 address.
    await tgt.ok(['network', 'create', '--subnet', `${b6}:2::/64`, 'nov6']);
    const nov6 = JSON.parse((await tgt.ok(['network', 'inspect', 'nov6'])).stdout)[0];
    assert.equal(nov6.EnableIPv6, false);
    assert.deepEqual(nov6.IPAM.Config[1], { Subnet: `${b6}:2::/64` });
    const plain = await tgt.ok(['run', '--rm', '--network', 'nov6', '--ip6', `${b6}:2::5`, 'busybox', 'ip', '-o', '-6', 'addr', 'show', 'scope', 'global']);
    assert.equal(plain.stdout, '');
    const ls = lines((await tgt.ok(['network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}} {{.IPv6}}'])).stdout).sort();
    assert.deepEqual(ls, ['nov6 false', 'v6 true', 'v6gw true', 'v6range true']);
  });

  s.test('bad input: no IPv6 subnet, overlaps, two subnets, a bad CIDR; nothing created', async (tgt) => {
    const b6 = base6(tgt);
    await tgt.ok(['network', 'create', '--ipv6', '--subnet', `${b6}::/64`, 'taken6']);
    const before = (await tgt.ok(['network', 'ls', '-q'])).stdout;
    let r = await tgt.fails(['network', 'create', '--ipv6', 'auto6'], 1);
    assert.match(r.stderr, /could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network/);
    r = await tgt.fails(['network', 'create', '--ipv6', '--subnet', `${b6}::/80`, 'ovl6'], 1);
    assert.match(r.stderr, /Error response from daemon: Pool overlaps with other one on this address space/);
    r = await tgt.fails(['network', 'create', '--ipv6', '--subnet', `${b6}:4::/64`, '--subnet', `${b6}:5::/64`, 'two6'], 1);
    assert.match(r.stderr, /Error response from daemon: bridge driver doesn't support multiple subnets/);
    r = await tgt.fails(['network', 'create', '--ipv6', '--subnet', 'fd42:zz::/64', 'bad6'], 1);
    assert.match(r.stderr, /fd42:zz::\/64/);
    assert.equal((await tgt.ok(['network', 'ls', '-q'])).stdout, before);
  });

  s.test('containers: addresses, --ip6, routes, /etc/hosts, AAAA and PTR answers, ping over IPv6; --ip6 errors', async (tgt) => {
    const b = base(tgt);
    const b6 = base6(tgt);
    await tgt.ok(['network', 'create', '--ipv6', '--subnet', `${b}.128/27`, '--subnet', `${b6}::/64`, 'v6']);
    const a = (await tgt.ok(['run', '-d', '--name', 'ca', '-h', 'cahost', ...NO_UPSTREAM, '--network', 'v6', 'busybox', 'sleep', '300'])).stdout.trim();
    await tgt.ok(['run', '-d', '--name', 'cb', ...NO_UPSTREAM, '--network', 'v6', '--ip6', `${b6}::99`, '--network-alias', 'bee', 'busybox', 'sleep', '300']);
    const na = JSON.parse((await tgt.ok(['inspect', '-f', '{{json .NetworkSettings.Networks.v6}}', 'ca'])).stdout);
    assert.equal(na.GlobalIPv6Address, `${b6}::2`);
    assert.equal(na.GlobalIPv6PrefixLen, 64);
    assert.equal(na.IPv6Gateway, `${b6}::1`);
    assert.equal(na.Gateway, `${b}.129`);
    assert.equal(na.IPAMConfig, null);
    const nb = JSON.parse((await tgt.ok(['inspect', '-f', '{{json .NetworkSettings.Networks.v6}}', 'cb'])).stdout);
    assert.equal(nb.GlobalIPv6Address, `${b6}::99`);
    assert.deepEqual(nb.IPAMConfig, { IPv6Address: `${b6}::99` });
    const containers = JSON.parse((await tgt.ok(['network', 'inspect', '-f', '{{json .Containers}}', 'v6'])).stdout);
    assert.equal(containers[a].IPv6Address, `${b6}::2/64`);
    assert.equal(containers[a].IPv4Address, `${na.IPAddress}/27`);

    const addr = (await tgt.ok(['exec', 'ca', 'ip', '-o', '-6', 'addr', 'show', 'eth0', 'scope', 'global'])).stdout;
    assert.match(addr, new RegExp(`inet6 ${re(b6)}::2/64 `));
    const routes = (await tgt.ok(['exec', 'ca', 'ip', '-6', 'route'])).stdout;
    assert.match(routes, new RegExp(`default via ${re(b6)}::1 dev eth0`));
    const hosts = lines((await tgt.ok(['exec', 'ca', 'cat', '/etc/hosts'])).stdout);
    assert.deepEqual(hosts.slice(-2), [`${na.IPAddress}\tcahost`, `${b6}::2\tcahost`]);

    const aaaa = await tgt.ok(['exec', 'ca', 'nslookup', '-type=AAAA', 'cb']);
    assert.match(aaaa.stdout, new RegExp(`Name:\\s+cb\\s+Address:\\s+${re(b6)}::99\\b`));
    const v4 = await tgt.ok(['exec', 'ca', 'nslookup', '-type=A', 'bee']);
    assert.match(v4.stdout, new RegExp(`Address:\\s+${re(nb.IPAddress)}\\b`));
    assert.doesNotMatch(v4.stdout, new RegExp(re(b6)));
    const ptr = await tgt.ok(['exec', 'ca', 'nslookup', `${b6}::99`]);
    assert.match(ptr.stdout, /ip6\.arpa\s+name = cb\.v6/);
    const ping = await tgt.ok(['exec', 'ca', 'ping', '-6', '-c', '1', '-W', '5', 'cb']);
    assert.match(ping.stdout, new RegExp(`from ${re(b6)}::99`));
    await tgt.ok(['exec', 'ca', 'ping', '-c', '1', '-W', '5', `${b6}::1`]);
    // The bridge answers on dockerd's link-local gateway address too; inspect shows none.
    await tgt.ok(['exec', 'ca', 'ping', '-c', '1', '-W', '5', 'fe80::1%eth0']);
    assert.equal(na.LinkLocalIPv6Address ?? '', '');
    assert.equal(JSON.parse((await tgt.ok(['inspect', '-f', '{{json .NetworkSettings.LinkLocalIPv6Address}}', 'ca'])).stdout), '');

    let r = await tgt.fails(['run', '--rm', '--network', 'v6', '--ip6', `${b6}:99::5`, 'busybox', 'true'], 125);
    assert.match(r.stderr, new RegExp(`Invalid address ${re(b6)}:99::5: It does not belong to any of this network's subnets`));
    r = await tgt.fails(['run', '--rm', '--network', 'v6', '--ip6', `${b6}::99`, 'busybox', 'true'], 125);
    assert.match(r.stderr, /Address already in use/);
    r = await tgt.fails(['run', '--rm', '--network', 'v6', '--ip6', '10.1.1.1', 'busybox', 'true'], 125);
    assert.match(r.stderr, /invalid IPv6 address: 10\.1\.1\.1/);
    assert.deepEqual(lines((await tgt.ok(['ps', '-a', '--format', '{{.Names}}'])).stdout).sort(), ['ca', 'cb']);
  });

  s.test('connect --ip6 to a second network: address and default route there; disconnect removes them', async (tgt) => {
    const b6 = base6(tgt);
    await tgt.ok(['network', 'create', 'plain4']);
    await tgt.ok(['network', 'create', '--ipv6', '--subnet', `${b6}:1::/64`, '--gateway', `${b6}:1::fe`, 'v6gw']);
    await tgt.ok(['run', '-d', '--name', 'cc', ...NO_UPSTREAM, '--network', 'plain4', 'busybox', 'sleep', '300']);
    await tgt.ok(['network', 'connect', '--ip6', `${b6}:1::77`, 'v6gw', 'cc']);
    const n = JSON.parse((await tgt.ok(['inspect', '-f', '{{json .NetworkSettings.Networks.v6gw}}', 'cc'])).stdout);
    assert.equal(n.GlobalIPv6Address, `${b6}:1::77`);
    assert.equal(n.IPv6Gateway, `${b6}:1::fe`);
    assert.deepEqual(n.IPAMConfig, { IPv6Address: `${b6}:1::77` });
    // The first network has no IPv6: the IPv6 default route goes through this one.
    assert.match((await tgt.ok(['exec', 'cc', 'ip', '-6', 'route'])).stdout, new RegExp(`default via ${re(b6)}:1::fe dev eth1`));
    await tgt.ok(['exec', 'cc', 'ping', '-c', '1', '-W', '5', `${b6}:1::fe`]);
    await tgt.ok(['network', 'disconnect', 'v6gw', 'cc']);
    assert.doesNotMatch((await tgt.ok(['exec', 'cc', 'ip', '-6', 'addr'])).stdout, new RegExp(re(b6)));
    // Reconnected without --ip6: the first free address.
    await tgt.ok(['network', 'connect', 'v6gw', 'cc']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.NetworkSettings.Networks.v6gw.GlobalIPv6Address}}', 'cc'])).stdout.trim(), `${b6}:1::1`);
  });
}, { network: true });
