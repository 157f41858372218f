import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultHostConfig, effectiveNetworkMode, mergeConfig, newRecord, validateHostConfig } from '../../../src/engine/containers/create.ts';
import { validateName, generateName } from '../../../src/engine/containers/names.ts';
import { isCode } from '../../../src/core/errors.ts';
import { resolveArgs } from '../../../src/runtime/process.ts';
import type { ImageRecord } from '../../../src/core/image.ts';

const image: ImageRecord = {
  id: 'sha256:' + 'a'.repeat(64), manifestDigest: 'sha256:' + 'b'.repeat(64), created: '2026-01-01T00:00:00Z', size: 10,
  chainId: 'sha256:' + 'c'.repeat(64), tags: ['img:latest'], digests: [], parent: '',
  config: {
    architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] },
    config: { Env: ['PATH=/bin', 'A=image'], Cmd: ['sh'], Entrypoint: null, WorkingDir: '/srv', User: 'daemon', Labels: { from: 'image', x: '1' }, StopSignal: 'SIGQUIT' },
  },
};

test('merge: image supplies what the user left unset', () => {
  const c = mergeConfig({ image: 'img', env: ['A=user', 'B=2'], labels: { x: '2' } }, image, 'abc123');
  assert.deepEqual(c.env, ['A=user', 'B=2', 'PATH=/bin']);
  assert.deepEqual(c.cmd, ['sh']);
  assert.equal(c.entrypoint, null);
  assert.equal(c.workingDir, '/srv');
  assert.equal(c.user, 'daemon');
  assert.equal(c.hostname, 'abc123');
  assert.deepEqual(c.labels, { from: 'image', x: '2' });
  assert.equal(c.stopSignal, 'SIGQUIT');
});

test('merge: an entrypoint drops the image cmd; --entrypoint "" resets it', () => {
  const withEp = mergeConfig({ image: 'img', entrypoint: ['/bin/echo'] }, image, 'h');
  assert.deepEqual(withEp.entrypoint, ['/bin/echo']);
  assert.equal(withEp.cmd, null);
  const reset = mergeConfig({ image: 'img', entrypoint: [''], cmd: ['echo', 'hi'] }, image, 'h');
  assert.equal(reset.entrypoint, null);
  assert.deepEqual(resolveArgs({}, reset), { path: 'echo', args: ['hi'] });
  const user = mergeConfig({ image: 'img', cmd: ['ls', '-l'] }, image, 'h');
  assert.deepEqual(resolveArgs({}, user), { path: 'ls', args: ['-l'] });
});

test('merge: no command anywhere is "no command specified"', () => {
  const bare: ImageRecord = { ...image, config: { ...image.config, config: {} } };
  const c = mergeConfig({ image: 'img' }, bare, 'h');
  assert.throws(() => resolveArgs({}, c), (e) => isCode(e, 'invalid_argument') && /No command specified/.test((e as Error).message));
});

test('merge: relative workdir and bad env are refused naming the value', () => {
  assert.throws(() => mergeConfig({ image: 'img', workingDir: 'rel/dir' }, image, 'h'), /'rel\/dir' is invalid/);
  assert.throws(() => mergeConfig({ image: 'img', env: ['=x'] }, image, 'h'), /invalid environment variable: =x/);
});

test('host config: restart policy and binds are validated', () => {
  const ok = defaultHostConfig({}, 'runc');
  assert.equal(ok.runtime, 'runc');
  assert.equal(ok.shmSize, 64 * 1024 * 1024);
  validateHostConfig(ok);
  assert.throws(() => validateHostConfig(defaultHostConfig({ restartPolicy: { name: 'sometimes' as any, maximumRetryCount: 0 } }, 'runc')), /unknown policy 'sometimes'/);
  assert.throws(() => validateHostConfig(defaultHostConfig({ autoRemove: true, restartPolicy: { name: 'always', maximumRetryCount: 0 } }, 'runc')), /--restart and --rm/);
  assert.throws(() => validateHostConfig(defaultHostConfig({ binds: ['/src:rel'] }, 'runc')), /mount path must be absolute/);
  assert.throws(() => validateHostConfig(defaultHostConfig({ binds: ['/a:/b:xx'] }, 'runc')), /invalid mode: xx/);
});

test('network modes: none and host run; default falls back to none; others are named', () => {
  assert.equal(effectiveNetworkMode('host'), 'host');
  assert.equal(effectiveNetworkMode('default'), 'none');
  assert.equal(effectiveNetworkMode('bridge'), 'none');
  assert.throws(() => effectiveNetworkMode('mynet'), (e) => isCode(e, 'not_found') && /network mynet not found/.test((e as Error).message));
});

test('names: docker validation and generation', () => {
  assert.equal(validateName('/web-1'), 'web-1');
  assert.equal(validateName('a.b_c'), 'a.b_c');
  assert.throws(() => validateName('-bad'), /Invalid container name \(-bad\)/);
  assert.throws(() => validateName('x'), /Invalid container name \(x\)/);
  const taken = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const n = generateName((s) => taken.has(s));
    assert.match(n, /^[a-z]+_[a-z]+\d?$/);
    assert.ok(!taken.has(n));
    taken.add(n);
  }
});

test('record: binds become mounts, paths live in the container dir', () => {
  const hc = defaultHostConfig({ binds: ['/host:/ctr:ro'] }, 'runc');
  const rec = newRecord({ id: 'f'.repeat(64), name: 'n', image, config: mergeConfig({ image: 'img' }, image, 'h'), hostConfig: hc, driver: 'overlay', dir: '/d' });
  assert.deepEqual(rec.mounts, [{ type: 'bind', source: '/host', destination: '/ctr', mode: 'ro', rw: false, propagation: 'rprivate' }]);
  assert.equal(rec.logPath, '/d/ctr.log');
  assert.equal(rec.state.status, 'created');
  assert.equal(rec.path, 'sh');
});
