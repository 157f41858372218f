import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterResolvConf, hostsFile } from '../../../src/engine/containers/files.ts';
import { defaultHostConfig } from '../../../src/engine/containers/create.ts';

const rec = (h: Parameters<typeof defaultHostConfig>[0]) => ({ hostConfig: defaultHostConfig(h, 'runc') }) as any;

test('hosts: localhost entries and --add-host lines', () => {
  const text = hostsFile(rec({ extraHosts: ['db:10.0.0.5', 'broken'] }));
  assert.match(text, /^127\.0\.0\.1\tlocalhost\n/);
  assert.match(text, /\n10\.0\.0\.5\tdb\n$/);
  assert.ok(!text.includes('broken'));
});

test('resolv.conf: loopback nameservers are dropped off the host network, --dns replaces', () => {
  const host = 'nameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch example.org\n';
  assert.equal(filterResolvConf(host, 'none', rec({})), 'nameserver 192.0.2.1\nsearch example.org\n');
  assert.equal(filterResolvConf(host, 'host', rec({})), host);
  const custom = filterResolvConf(host, 'none', rec({ dns: ['192.0.2.9'], dnsSearch: ['a.test'], dnsOptions: ['ndots:2'] }));
  // Built afresh in dockerd's order (resolvconf.Build): search, nameservers, options.
  assert.equal(custom, 'search a.test\nnameserver 192.0.2.9\noptions ndots:2\n');
  assert.equal(filterResolvConf(`# a comment\ndomain x.test\n${host}options edns0\n`, 'none', rec({ dnsSearch: ['b.test'] })),
    'search b.test\nnameserver 192.0.2.1\noptions edns0\n');
});

test('resolv.conf with the embedded DNS: its server only, ndots:0 unless ndots was asked for', () => {
  const host = 'nameserver 192.0.2.1\noptions edns0\n';
  assert.equal(filterResolvConf(host, 'none', rec({}), ['10.0.0.1']), 'nameserver 10.0.0.1\noptions edns0 ndots:0\n');
  // What dockerd 20.10 wrote for --dns 127.0.0.9 --dns-search ex.test on a user network (its server 127.0.0.11).
  assert.equal(filterResolvConf('nameserver 192.0.2.1\nsearch example.org\n', 'none', rec({ dns: ['127.0.0.9'], dnsSearch: ['ex.test'] }), ['10.0.0.1']),
    'search ex.test\nnameserver 10.0.0.1\noptions ndots:0\n');
  assert.equal(filterResolvConf('nameserver 192.0.2.1\n', 'none', rec({}), ['10.0.0.1']), 'nameserver 10.0.0.1\noptions ndots:0\n');
  assert.equal(filterResolvConf(host, 'none', rec({ dnsOptions: ['ndots:3'] }), ['10.0.0.1']), 'nameserver 10.0.0.1\noptions ndots:3\n');
});
