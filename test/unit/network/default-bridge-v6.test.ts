// --ipv6 / --fixed-cidr-v6 (flags or daemon.json) make the default bridge
// dual-stack, as dockerd 20.10 does; checked on a private dockerd 20.10 on
// its own bridge: EnableIPv6 true, the IPv6 subnet shown without a gateway,
// --ipv6 alone refused at start with the words below.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseDaemonArgs } from '../../../src/daemon/config.ts';
import { builtinNetworks, networkConfig } from '../../../src/network/config.ts';

const dir = mkdtempSync(`${tmpdir()}/berth-v6-`);
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('--ipv6 --fixed-cidr-v6: the default bridge is dual-stack; daemon.json the same; both at once refused', () => {
  writeFileSync(`${dir}/empty.json`, '{}');
  const flags = parseDaemonArgs(['--config-file', `${dir}/empty.json`, '--ipv6', '--fixed-cidr-v6', 'fd00:77:0:0::5/64'], '0').network;
  writeFileSync(`${dir}/v6.json`, JSON.stringify({ ipv6: true, 'fixed-cidr-v6': 'fd00:77::/64' }));
  const file = parseDaemonArgs(['--config-file', `${dir}/v6.json`], '0').network;
  for (const o of [flags, file]) {
    const cfg = networkConfig(o);
    assert.equal(cfg.ipv6, true);
    assert.equal(cfg.fixedCidrV6, 'fd00:77::/64');
    const [bridge] = builtinNetworks(cfg, () => undefined);
    assert.equal(bridge!.name, 'bridge');
    assert.equal(bridge!.ipv6, true);
    assert.deepEqual(bridge!.ipam.config[1], { subnet: 'fd00:77::/64', gateway: 'fd00:77::1', implicitGateway: true });
  }
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/v6.json`, '--ipv6'], '0'),
    /the following directives are specified both as a flag and in the configuration file: ipv6/);
});

test('--ipv6 without --fixed-cidr-v6 is dockerd\'s start error; --fixed-cidr-v6 alone changes nothing', () => {
  assert.throws(() => networkConfig({ ipv6: true }),
    /^BerthError: IPv6 is enabled for the default bridge, but no subnet is configured\. Specify an IPv6 subnet using --fixed-cidr-v6$/);
  assert.throws(() => networkConfig({ ipv6: true, fixedCidrV6: 'fd00::1' }), /fixed-cidr-v6/);
  const cfg = networkConfig({ fixedCidrV6: 'fd00:77::/64' });
  assert.equal(cfg.ipv6, false);
  const [bridge] = builtinNetworks(cfg, () => undefined);
  assert.equal(bridge!.ipv6, false);
  assert.equal(bridge!.ipam.config.length, 1);
  // A restart without --ipv6 turns an existing record back to IPv4 only.
  const was = builtinNetworks(networkConfig({ ipv6: true, fixedCidrV6: 'fd00:77::/64' }), () => undefined)[0]!;
  const now = builtinNetworks(networkConfig({}), (n) => (n === 'bridge' ? was : undefined))[0]!;
  assert.equal(now.ipv6, false);
  assert.equal(now.ipam.config.length, 1);
});
