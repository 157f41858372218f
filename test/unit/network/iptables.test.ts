// The iptables-restore and ip6tables-restore input berthd writes: published
// ports (tcp, udp, sctp) DNATed in both families, with the rules dockerd
// 20.10 writes for them (--ipv6 --ip6tables: DNAT to [address]:port,
// hairpin MASQUERADE of the container's own /128), isolation and
// MASQUERADE per bridge.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRules, renderRules6, type BridgeRules, type PortRule } from '../../../src/network/iptables.ts';

const v4only: BridgeRules = { device: 'bth0', subnet: '10.213.7.0/24', internal: false, icc: true, masquerade: true };
const dual: BridgeRules = { device: 'br-dual', subnet: '10.214.7.0/27', internal: false, icc: true, masquerade: true, subnet6: 'fd42:214:107::/64' };
const lines = (s: string) => s.split('\n');

test('IPv4: tcp, udp and sctp ports get a DNAT and a hairpin rule each; a host IP narrows the DNAT', () => {
  const ports: PortRule[] = [
    { proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, ip: '10.213.7.2', port: 80, device: 'bth0' },
    { proto: 'udp', hostIp: '127.0.0.1', hostPort: 9090, ip: '10.213.7.2', port: 90, device: 'bth0' },
    { proto: 'sctp', hostIp: '', hostPort: 9100, ip: '10.213.7.3', port: 9100, device: 'bth0' },
  ];
  const l = lines(renderRules('T', [v4only], ports));
  for (const want of [
    '-A BERTH-DNAT-T -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.213.7.2:80',
    '-A BERTH-DNAT-T -d 127.0.0.1/32 -p udp -m udp --dport 9090 -j DNAT --to-destination 10.213.7.2:90',
    '-A BERTH-DNAT-T -p sctp -m sctp --dport 9100 -j DNAT --to-destination 10.213.7.3:9100',
    '-A BERTH-POST-T -s 10.213.7.3/32 -d 10.213.7.3/32 -p sctp -m sctp --dport 9100 -j MASQUERADE',
  ]) assert.ok(l.includes(want), `${want}\n---\n${l.join('\n')}`);
});

test('IPv6: DNAT to [address]:port in its own chain, hairpin /128, the bridges\' isolation and MASQUERADE; v4-only bridges absent', () => {
  const ports6: PortRule[] = [
    { proto: 'tcp', hostIp: '::', hostPort: 8080, ip: 'fd42:214:107::2', port: 80, device: 'br-dual' },
    { proto: 'udp', hostIp: 'fd42:214:107::1', hostPort: 9090, ip: 'fd42:214:107::2', port: 90, device: 'br-dual' },
  ];
  const out = renderRules6('T', [v4only, dual], ports6);
  const l = lines(out);
  for (const want of [
    ':BERTH-DNAT-T - [0:0]',
    '-A BERTH-DNAT-T -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd42:214:107::2]:80',
    '-A BERTH-DNAT-T -d fd42:214:107::1/128 -p udp -m udp --dport 9090 -j DNAT --to-destination [fd42:214:107::2]:90',
    '-A BERTH-POST-T -s fd42:214:107::2/128 -d fd42:214:107::2/128 -p tcp -m tcp --dport 80 -j MASQUERADE',
    '-A BERTH-POST-T -s fd42:214:107::/64 ! -o br-dual -j MASQUERADE',
    '-A BERTH-FWD-T -o br-dual -m conntrack --ctstate DNAT -j ACCEPT',
  ]) assert.ok(l.includes(want), `${want}\n---\n${out}`);
  assert.doesNotMatch(out, /bth0|10\.213\./);
  // No published port: the DNAT chain is there, empty (a removed container's rules go).
  assert.doesNotMatch(renderRules6('T', [dual]), /-A BERTH-DNAT-T/);
  assert.match(renderRules6('T', [dual]), /:BERTH-DNAT-T - \[0:0\]/);
});
