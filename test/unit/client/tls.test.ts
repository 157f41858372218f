import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolveClientTls } from '../../../src/client/tls.ts';
import { parseRootFlags } from '../../../src/cli/root-flags.ts';
import { parseHost } from '../../../src/client/host.ts';

test('client TLS as the docker CLI resolves it: flags, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, missing defaults skipped', (t) => {
  const dir = mkdtempSync(`${tmpdir()}/berth-tls-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(`${dir}/${f}`, f);
  assert.equal(resolveClientTls({}, {}), undefined);
  const env = resolveClientTls({}, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir })!;
  assert.deepEqual([env.verify, String(env.ca), String(env.cert), String(env.key)], [true, 'ca.pem', 'cert.pem', 'key.pem']);
  // --tls alone: no check of the daemon's certificate; defaults that do not exist are left out.
  const bare = resolveClientTls({ tls: true }, { HOME: `${dir}/nohome` })!;
  assert.deepEqual(bare, { verify: false, ca: undefined, cert: undefined, key: undefined });
  assert.throws(() => resolveClientTls({ tlsverify: true, tlscacert: `${dir}/missing.pem` }, {}), /Could not read CA certificate ".*missing\.pem"/);
  assert.throws(() => resolveClientTls({ tls: true, tlscert: `${dir}/cert.pem` }, { HOME: `${dir}/nohome` }), /both --tlscert and --tlskey/);
  assert.equal(resolveClientTls({ tlsverify: false }, { DOCKER_TLS_VERIFY: '1' }), undefined);
});

test('root TLS flags and the TLS default port', () => {
  const r = parseRootFlags(['--tlsverify', '--tlscacert', '/c/ca.pem', '--tlscert=/c/cert.pem', '--tlskey', '/c/key.pem', '-H', 'tcp://h', 'ps']);
  assert.deepEqual(r.tls, { tlsverify: true, tlscacert: '/c/ca.pem', tlscert: '/c/cert.pem', tlskey: '/c/key.pem' });
  assert.deepEqual(r.rest, ['ps']);
  assert.deepEqual(parseRootFlags(['--tls=false', 'ps']).tls, { tls: false });
  assert.throws(() => parseRootFlags(['--tlsverify=maybe', 'ps']), /invalid argument "maybe" for "--tlsverify"/);
  assert.equal(parseHost('tcp://h', true).port, 2376);
  assert.equal(parseHost('tcp://h').port, 2375);
});
