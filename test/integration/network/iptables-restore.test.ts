// The rules berthd renders are taken by the real iptables-restore and
// ip6tables-restore (--noflush, as berthd runs them), tcp, udp and sctp
// alike, even where the kernel has no SCTP sockets (its conntrack and the
// sctp match are built in here). Each restore runs in a throwaway network
// namespace (unshare -n): no rule ever reaches the host's tables.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRules, renderRules6, type BridgeRules, type PortRule } from '../../../src/network/iptables.ts';
import { run, skipUnlessRoot } from '../../helpers/daemon.ts';

const bridges: BridgeRules[] = [{ device: 'bthr', subnet: '10.1.0.0/24', internal: false, icc: true, masquerade: true, subnet6: 'fd00:1::/64' }];
const port = (proto: PortRule['proto'], hostIp: string, hostPort: number, ip: string): PortRule => ({ proto, hostIp, hostPort, ip, port: hostPort, device: 'bthr' });

async function restoreAndSave(bin: 'iptables' | 'ip6tables', input: string): Promise<string[]> {
  const r = await run('unshare', ['-n', 'sh', '-c', `${bin}-restore -w --noflush && ${bin}-save -t nat`], { input });
  assert.equal(r.code, 0, `${bin}-restore: ${r.stderr}\n${input}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('-A BERTH-'));
}

test('iptables-restore takes the IPv4 rules: tcp, udp and sctp DNAT and hairpin', { skip: skipUnlessRoot() }, async () => {
  const saved = await restoreAndSave('iptables', renderRules('R', bridges, [
    port('tcp', '0.0.0.0', 8080, '10.1.0.2'), port('udp', '127.0.0.1', 5353, '10.1.0.2'), port('sctp', '', 9100, '10.1.0.3'),
  ]));
  for (const want of [
    '-A BERTH-DNAT-R -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.2:8080',
    '-A BERTH-DNAT-R -d 127.0.0.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.1.0.2:5353',
    '-A BERTH-DNAT-R -p sctp -m sctp --dport 9100 -j DNAT --to-destination 10.1.0.3:9100',
    '-A BERTH-POST-R -s 10.1.0.3/32 -d 10.1.0.3/32 -p sctp -m sctp --dport 9100 -j MASQUERADE',
  ]) assert.ok(saved.includes(want), `${want}\n---\n${saved.join('\n')}`);
});

test('ip6tables-restore takes the IPv6 rules: DNAT to [address]:port, hairpin /128', { skip: skipUnlessRoot() }, async () => {
  const saved = await restoreAndSave('ip6tables', renderRules6('R', bridges, [
    port('tcp', '::', 8080, 'fd00:1::2'), port('udp', 'fd00:1::1', 5353, 'fd00:1::2'), port('sctp', '::', 9100, 'fd00:1::3'),
  ]));
  for (const want of [
    '-A BERTH-DNAT-R -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:1::2]:8080',
    '-A BERTH-DNAT-R -d fd00:1::1/128 -p udp -m udp --dport 5353 -j DNAT --to-destination [fd00:1::2]:5353',
    '-A BERTH-DNAT-R -p sctp -m sctp --dport 9100 -j DNAT --to-destination [fd00:1::3]:9100',
    '-A BERTH-POST-R -s fd00:1::2/128 -d fd00:1::2/128 -p tcp -m tcp --dport 8080 -j MASQUERADE',
    '-A BERTH-POST-R -s fd00:1::/64 ! -o bthr -j MASQUERADE',
  ]) assert.ok(saved.includes(want), `${want}\n---\n${saved.join('\n')}`);
});
