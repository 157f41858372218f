// IPv6 arithmetic of dual-stack networks: parsing and RFC 5952 output,
// subnets, allocation, reverse names, and the pools a create request gets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bigToIp6, canonical6, contains6, ip6ToBig, overlaps6, parseCidr6, pickAddress6 } from '../../../src/network/ipam6.ts';
import { reverseAddress } from '../../../src/network/dns.ts';
import { networkPools } from '../../../src/network/pools.ts';
import { parseAddressPool } from '../../../src/network/ipam.ts';

const log = { warn() {}, info() {}, debug() {}, error() {}, child() { return log; } } as never;

test('addresses: parse and print in RFC 5952 form', () => {
  assert.equal(canonical6('FD42:0214:0078:0000:0000:0000:0000:0002'), 'fd42:214:78::2');
  assert.equal(canonical6('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(canonical6('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(canonical6('::'), '::');
  assert.equal(canonical6('::1'), '::1');
  assert.equal(canonical6('::ffff:10.0.0.1'), '::ffff:a00:1');
  assert.equal(bigToIp6(ip6ToBig('fe80::1')), 'fe80::1');
  assert.throws(() => ip6ToBig('10.0.0.1'), /invalid IPv6 address: 10\.0\.0\.1/);
  assert.throws(() => ip6ToBig('fd42:zz::1'), /invalid IPv6 address/);
});

test('subnets: host bits dropped, contains, overlaps; bad ones named', () => {
  const s = parseCidr6('fd42:1::5/64');
  assert.equal(bigToIp6(s.base), 'fd42:1::');
  assert.ok(contains6(s, ip6ToBig('fd42:1::ffff')));
  assert.ok(!contains6(s, ip6ToBig('fd42:2::1')));
  assert.ok(overlaps6(s, parseCidr6('fd42:1::/80')));
  assert.ok(!overlaps6(s, parseCidr6('fd42:1:0:1::/64')));
  assert.throws(() => parseCidr6('fd42:zz::/64'), /invalid subnet fd42:zz::\/64/);
  assert.throws(() => parseCidr6('fd42::/129'), /invalid subnet/);
});

test('allocation: first free after the subnet address; a range\'s own first address skipped as dockerd does', () => {
  const s = parseCidr6('fd42:1::/64');
  assert.equal(bigToIp6(pickAddress6(s, null, new Set([ip6ToBig('fd42:1::1')]))!), 'fd42:1::2');
  assert.equal(bigToIp6(pickAddress6(s, null, new Set([ip6ToBig('fd42:1::1'), ip6ToBig('fd42:1::2')]))!), 'fd42:1::3');
  assert.equal(bigToIp6(pickAddress6(s, parseCidr6('fd42:1::100/120'), new Set())!), 'fd42:1::101');
  const tiny = parseCidr6('fd42:1::/126');
  assert.equal(pickAddress6(tiny, null, new Set([1n, 2n, 3n].map((n) => tiny.base + n))), null);
});

test('reverse names: in-addr.arpa and ip6.arpa', () => {
  assert.equal(reverseAddress('2.0.9.10.in-addr.arpa'), '10.9.0.2');
  const nibbles = '9.9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.7.0.0.4.1.2.0.2.4.d.f';
  assert.equal(reverseAddress(`${nibbles}.ip6.arpa`), 'fd42:214:78::99');
  assert.equal(reverseAddress('example.com'), null);
});

test('pools: IPv4 first, one IPv6 subnet for --ipv6, dockerd\'s errors', () => {
  const ctx = { networks: [], pools: [parseAddressPool('base=10.251.0.0/16,size=24')], log };
  const p = networkPools([{ subnet: 'fd42:77::/64' }], true, ctx);
  assert.equal(p.length, 2);
  assert.equal(p[0]!.subnet.includes(':'), false);
  assert.deepEqual(p[1], { subnet: 'fd42:77::/64', gateway: 'fd42:77::1', implicitGateway: true });
  assert.deepEqual(networkPools([{ subnet: 'fd42:77::/64', gateway: 'fd42:77::fe', ipRange: 'fd42:77::100/120' }], true, ctx)[1],
    { subnet: 'fd42:77::/64', gateway: 'fd42:77::fe', ipRange: 'fd42:77::100/120' });
  assert.throws(() => networkPools([], true, ctx), /could not find an available, non-overlapping IPv6 address pool/);
  assert.throws(() => networkPools([{ subnet: 'fd42:77::/64' }, { subnet: 'fd42:78::/64' }], true, ctx), /bridge driver doesn't support multiple subnets/);
  assert.throws(() => networkPools([{ subnet: 'fd42:77::/64', gateway: 'fd42:78::1' }], true, ctx), /no matching subnet for gateway fd42:78::1/);
  assert.throws(() => networkPools([{ subnet: 'fd42:77::/64', ipRange: 'fd42:78::/120' }], true, ctx), /no matching subnet for range/);
  const other = networkPools([{ subnet: 'fd42:77::/64' }], true, ctx);
  const taken = { networks: [{ ipam: { config: other }, device: 'x' } as never], pools: ctx.pools, log };
  assert.throws(() => networkPools([{ subnet: 'fd42:77::/80' }], true, taken), /Pool overlaps with other one on this address space/);
  // Without --ipv6 the subnet is kept (dockerd shows it) but not used.
  assert.equal(networkPools([{ subnet: 'fd42:77::/64' }], false, ctx).length, 2);
});
