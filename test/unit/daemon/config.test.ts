import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseDaemonArgs } from '../../../src/daemon/config.ts';
import { acquireDataRootLock } from '../../../src/daemon/lock.ts';

const dir = mkdtempSync(`${tmpdir()}/berth-cfg-`);
test.after(() => rmSync(dir, { recursive: true, force: true }));
const noFile = ['--config-file', `${dir}/none.json`];

test('defaults are dockerd-like under berth paths', () => {
  writeFileSync(`${dir}/empty.json`, '{}');
  const c = parseDaemonArgs(['--config-file', `${dir}/empty.json`], '0');
  assert.equal(c.host, '/run/berth/berth.sock');
  assert.equal(c.dataRoot, '/var/lib/berth');
  assert.equal(c.execRoot, '/run/berth');
  assert.equal(c.pidfile, '/run/berth/berthd.pid');
  assert.equal(c.logLevel, 'info');
  assert.equal(c.defaultRuntime, 'runc');
});

test('flags and config file keys', () => {
  writeFileSync(`${dir}/d.json`, JSON.stringify({ 'data-root': '/srv/b', 'log-level': 'debug', hosts: ['unix:///tmp/b.sock'] }));
  const c = parseDaemonArgs(['--config-file', `${dir}/d.json`, '--exec-root', '/tmp/x'], '0');
  assert.equal(c.dataRoot, '/srv/b');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.host, '/tmp/b.sock');
  assert.equal(c.execRoot, '/tmp/x');
  assert.equal(c.pidfile, '/tmp/x/berthd.pid');
});

test('bad configuration is named', () => {
  writeFileSync(`${dir}/both.json`, JSON.stringify({ 'data-root': '/a' }));
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/both.json`, '--data-root', '/b'], '0'), /specified both as a flag and in the configuration file: data-root/);
  writeFileSync(`${dir}/unknown.json`, JSON.stringify({ 'data-rot': '/a' }));
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/unknown.json`], '0'), /don't match any configuration option: data-rot/);
  writeFileSync(`${dir}/bad.json`, '{nope');
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/bad.json`], '0'), /unable to parse configuration file/);
  assert.throws(() => parseDaemonArgs([...noFile], '0'), /unable to read configuration file/);
  assert.throws(() => parseDaemonArgs(['-H', 'tcp://0.0.0.0:2375', '--config-file', `${dir}/empty.json`], '0'), /refusing to listen on tcp:\/\/0\.0\.0\.0:2375 without mutual TLS/);
  assert.throws(() => parseDaemonArgs(['-H', 'fd://', '--config-file', `${dir}/empty.json`], '0'), /protocol fd is not supported/);
  assert.throws(() => parseDaemonArgs(['--log-level', 'loud', '--config-file', `${dir}/empty.json`], '0'), /invalid log level: loud/);
});

test('listeners: -H repeatable, tcp only with --tlsverify and its three files, daemon.json hosts and tls keys', () => {
  const empty = ['--config-file', `${dir}/empty.json`];
  writeFileSync(`${dir}/empty.json`, '{}');
  const tlsFlags = ['--tlsverify', '--tlscacert', '/c/ca.pem', '--tlscert', '/c/cert.pem', '--tlskey', '/c/key.pem'];
  const c = parseDaemonArgs(['-H', 'unix:///tmp/a.sock', '-H', 'tcp://127.0.0.1:12376', '-H', 'tcp://:2399', ...tlsFlags, ...empty], '0');
  assert.equal(c.host, '/tmp/a.sock');
  assert.deepEqual(c.tcpHosts, [{ host: '127.0.0.1', port: 12376 }, { host: '127.0.0.1', port: 2399 }]);
  assert.deepEqual(c.tls, { ca: '/c/ca.pem', cert: '/c/cert.pem', key: '/c/key.pem' });
  const tcpOnly = parseDaemonArgs(['-H', 'tcp://[::1]', ...tlsFlags, ...empty], '0');
  assert.equal(tcpOnly.host, '');
  assert.deepEqual(tcpOnly.tcpHosts, [{ host: '::1', port: 2376 }]);
  assert.throws(() => parseDaemonArgs(['-H', 'tcp://127.0.0.1:2376', '--tls', '--tlscert', '/c', '--tlskey', '/k', ...empty], '0'), /without mutual TLS/);
  assert.throws(() => parseDaemonArgs(['-H', 'tcp://127.0.0.1:2376', '--tlsverify', '--tlscert', '/c', ...empty], '0'), /--tlsverify needs --tlscacert, --tlskey/);
  assert.throws(() => parseDaemonArgs(['-H', 'tcp://127.0.0.1:99999', ...tlsFlags, ...empty], '0'), /port from 1 to 65535/);
  assert.throws(() => parseDaemonArgs(['-H', 'unix:///a', '-H', 'unix:///b', ...empty], '0'), /one unix socket/);
  writeFileSync(`${dir}/tls.json`, JSON.stringify({ hosts: ['tcp://127.0.0.1:2376'], tlsverify: true, tlscacert: '/x/ca', tlscert: '/x/c', tlskey: '/x/k' }));
  const f = parseDaemonArgs(['--config-file', `${dir}/tls.json`], '0');
  assert.deepEqual([f.host, f.tcpHosts, f.tls], ['', [{ host: '127.0.0.1', port: 2376 }], { ca: '/x/ca', cert: '/x/c', key: '/x/k' }]);
  writeFileSync(`${dir}/tlsbad.json`, JSON.stringify({ tlsverify: 'yes' }));
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/tlsbad.json`], '0'), /"tlsverify" must be true or false/);
  assert.throws(() => parseDaemonArgs(['-H', 'unix:///a', '--config-file', `${dir}/tls.json`], '0'), /specified both as a flag and in the configuration file: hosts/);
});

test('data root lock: one holder at a time, named in the refusal; a leftover file is no lock', () => {
  const root = mkdtempSync(`${dir}/root-`);
  writeFileSync(`${root}/berthd.lock`, '999999999\n'); // what a killed daemon leaves: not a lock
  const release = acquireDataRootLock(root);
  assert.throws(() => acquireDataRootLock(root), new RegExp(`another berthd \\(pid ${process.pid}\\) is already using data root ${root}`));
  release();
  assert.ok(existsSync(`${root}/berthd.lock`));
  const again = acquireDataRootLock(root);
  again();
});

test('API limits: defaults, flags and daemon.json keys, bad values named', () => {
  writeFileSync(`${dir}/empty2.json`, '{}');
  const d = parseDaemonArgs(['--config-file', `${dir}/empty2.json`], '0');
  assert.deepEqual(d.apiLimits, { maxJsonBody: 16 * 1024 * 1024, maxJsonDepth: 512, headersTimeoutMs: 60_000, requestTimeoutMs: 0, maxHeaderSize: 16 * 1024 });
  writeFileSync(`${dir}/limits.json`, JSON.stringify({ 'api-max-json-body': '1MiB', 'api-request-timeout': '10m' }));
  const c = parseDaemonArgs(['--config-file', `${dir}/limits.json`, '--api-headers-timeout', '1500ms'], '0');
  assert.equal(c.apiLimits.maxJsonBody, 1024 * 1024);
  assert.equal(c.apiLimits.requestTimeoutMs, 600_000);
  assert.equal(c.apiLimits.headersTimeoutMs, 1500);
  assert.equal(parseDaemonArgs(['--config-file', `${dir}/empty2.json`, '--api-headers-timeout', '0'], '0').apiLimits.headersTimeoutMs, 0);
  assert.equal(parseDaemonArgs(['--config-file', `${dir}/empty2.json`, '--api-headers-timeout', '5'], '0').apiLimits.headersTimeoutMs, 5000);
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/empty2.json`, '--api-max-json-body', 'lots'], '0'), /invalid api-max-json-body "lots"/);
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/empty2.json`, '--api-request-timeout', '-1'], '0'), /invalid api-request-timeout "-1"/);
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/limits.json`, '--api-max-json-body', '2'], '0'), /both as a flag and in the configuration file: api-max-json-body/);
});

test('header size and layer limits: on by default, flags and daemon.json keys (strings or numbers), bad values named', () => {
  writeFileSync(`${dir}/empty3.json`, '{}');
  const d = parseDaemonArgs(['--config-file', `${dir}/empty3.json`], '0');
  assert.deepEqual(d.layerLimits, { maxBytes: 32 * 1024 ** 3, maxFiles: 1_000_000, maxRatio: 100 });
  writeFileSync(`${dir}/layers.json`, JSON.stringify({ 'max-layer-size': '2GiB', 'max-compression-ratio': 0, 'api-max-header-size': 65536 }));
  const c = parseDaemonArgs(['--config-file', `${dir}/layers.json`], '0');
  assert.deepEqual(c.layerLimits, { maxBytes: 2 * 1024 ** 3, maxFiles: 1_000_000, maxRatio: 0 });
  assert.equal(c.apiLimits.maxHeaderSize, 65536);
  const f = parseDaemonArgs(['--config-file', `${dir}/empty3.json`, '--max-layer-size', '512m', '--max-compression-ratio', '250', '--api-max-header-size', '32KiB'], '0');
  assert.deepEqual(f.layerLimits, { maxBytes: 512 * 1024 ** 2, maxFiles: 1_000_000, maxRatio: 250 });
  assert.equal(f.apiLimits.maxHeaderSize, 32 * 1024);
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/empty3.json`, '--max-layer-size', 'big'], '0'), /invalid max-layer-size "big"/);
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/empty3.json`, '--max-compression-ratio', '1'], '0'), /invalid max-compression-ratio "1": a number of at least 2/);
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/empty3.json`, '--max-compression-ratio', '-5'], '0'), /invalid max-compression-ratio "-5"/);
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/layers.json`, '--max-layer-size', '1g'], '0'), /both as a flag and in the configuration file: max-layer-size/);
});

test('insecure registries and mirrors, as lists in the file or repeated flags', () => {
  writeFileSync(`${dir}/reg.json`, JSON.stringify({ 'insecure-registries': ['10.0.0.0/8', 'reg.local:5000'], 'registry-mirrors': ['http://127.0.0.1:5001'] }));
  const c = parseDaemonArgs(['--config-file', `${dir}/reg.json`], '0');
  assert.deepEqual(c.insecureRegistries, ['10.0.0.0/8', 'reg.local:5000']);
  assert.deepEqual(c.registryMirrors, ['http://127.0.0.1:5001']);
  writeFileSync(`${dir}/empty2.json`, '{}');
  const f = parseDaemonArgs(['--config-file', `${dir}/empty2.json`, '--insecure-registry', 'a:1', '--insecure-registry', 'b:2'], '0');
  assert.deepEqual(f.insecureRegistries, ['a:1', 'b:2']);
  assert.deepEqual(f.registryMirrors, []);
  writeFileSync(`${dir}/badmirror.json`, JSON.stringify({ 'registry-mirrors': ['ftp://x'] }));
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/badmirror.json`], '0'), /invalid mirror: unsupported scheme "ftp"/);
  writeFileSync(`${dir}/notlist.json`, JSON.stringify({ 'insecure-registries': 'x' }));
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/notlist.json`], '0'), /"insecure-registries" must be a list of strings/);
});

test('detach keys: default empty (Docker\'s ctrl-p,ctrl-q), flag or daemon.json, bad ones refused', () => {
  writeFileSync(`${dir}/empty3.json`, '{}');
  assert.equal(parseDaemonArgs(['--config-file', `${dir}/empty3.json`], '0').detachKeys, '');
  assert.equal(parseDaemonArgs(['--config-file', `${dir}/empty3.json`, '--detach-keys', 'ctrl-x,x'], '0').detachKeys, 'ctrl-x,x');
  writeFileSync(`${dir}/keys.json`, JSON.stringify({ 'detach-keys': 'ctrl-a' }));
  assert.equal(parseDaemonArgs(['--config-file', `${dir}/keys.json`], '0').detachKeys, 'ctrl-a');
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/empty3.json`, '--detach-keys', 'ctrl-'], '0'), /invalid detach keys "ctrl-"/);
});

test('registry listener: flags and daemon.json keys, checked up front', () => {
  writeFileSync(`${dir}/empty-reg.json`, '{}');
  const none = parseDaemonArgs(['--config-file', `${dir}/empty-reg.json`], '0');
  assert.equal(none.registryListener, null);
  writeFileSync(`${dir}/htpasswd`, 'ci:$2y$04$abcdefghijklmnopqrstuuIh1yYpqGmZJ8BO3wJ8IbH0x0gNqRz5e\n');
  writeFileSync(`${dir}/reg.json`, JSON.stringify({ 'registry-listen': '127.0.0.1:5001', 'registry-htpasswd': `${dir}/htpasswd`, 'registry-token': true }));
  const c = parseDaemonArgs(['--config-file', `${dir}/reg.json`], '0');
  assert.equal(c.registryListener?.listen, '127.0.0.1:5001');
  assert.equal(c.registryListener?.readOnly, true);
  assert.equal(c.registryListener?.deleteEnabled, false);
  assert.equal(c.registryListener?.auth?.htpasswd, `${dir}/htpasswd`);
  assert.ok(c.registryListener?.auth?.token);
  const f = parseDaemonArgs(['--config-file', `${dir}/empty-reg.json`, '--registry-listen', ':5002'], '0');
  assert.equal(f.registryListener?.listen, ':5002');
  assert.equal(f.registryListener?.auth, undefined);
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/empty-reg.json`, '--registry-htpasswd', `${dir}/htpasswd`], '0'), /need --registry-listen/);
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/empty-reg.json`, '--registry-listen', 'nope'], '0'), /invalid listen address "nope"/);
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/reg.json`, '--registry-listen', ':1'], '0'), /both as a flag and in the configuration file: registry-listen/);
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/empty-reg.json`, '--registry-listen', ':5003', '--registry-tls-cert', `${dir}/nocert.pem`], '0'), /TLS needs both/);
  writeFileSync(`${dir}/regcfg.json`, JSON.stringify({ proxy: { remoteurl: 'http://127.0.0.1:1' } }));
  assert.throws(() => parseDaemonArgs(['--config-file', `${dir}/empty-reg.json`, '--registry-listen', ':5004', '--registry-config', `${dir}/regcfg.json`], '0'), /"proxy" does not apply/);
});
