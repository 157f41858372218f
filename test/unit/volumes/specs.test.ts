// Mount requests parsed as dockerd parses them: -v binds, --mount objects,
// --tmpfs, --volumes-from; each bad value named in dockerd's words.

import assert from 'node:assert/strict';
import test from 'node:test';
import { parseBind, parseMountRequest, parseTmpfs, parseVolumesFrom } from '../../../src/volumes/specs.ts';
import { parseMountOptions } from '../../../src/volumes/mount-options.ts';
import { validateVolumeName, validateVolumeOptions } from '../../../src/volumes/names.ts';

test('-v: host path, named volume, anonymous volume, modes', () => {
  assert.deepEqual(parseBind('/h:/c:ro'), { kind: 'bind', source: '/h', target: '/c', rw: false, mode: 'ro', propagation: 'rprivate', createSource: true, nonRecursive: false });
  assert.equal((parseBind('/h:/c:rw,rshared') as { propagation: string }).propagation, 'rshared');
  const named = parseBind('data:/var/lib/x/');
  assert.equal(named.kind, 'volume');
  assert.deepEqual([named.target, (named as { name: string }).name, (named as { mode: string }).mode, named.rw], ['/var/lib/x', 'data', 'z', true]);
  assert.equal((parseBind('data:/d:nocopy') as { copyData: boolean }).copyData, false);
  const anon = parseBind('/only');
  assert.equal(anon.kind, 'volume');
  assert.equal((anon as { name: string }).name, '');
  assert.equal((anon as { mode: string }).mode, '');
});

test('-v: bad specs name the value', () => {
  assert.throws(() => parseBind('v1:rel'), /invalid volume specification: 'v1:rel': invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute/);
  assert.throws(() => parseBind('/h:rel'), /'\/h:rel': invalid mount config for type "bind": invalid mount path: 'rel'/);
  assert.throws(() => parseBind('/h:/'), /destination can't be '\/'/);
  assert.throws(() => parseBind('/a:/b:xx'), /invalid mode: xx/);
  assert.throws(() => parseBind('/a:/b:ro,ro'), /invalid mode: ro,ro/);
  assert.throws(() => parseBind('a::b'), /invalid volume specification: 'a::b'/);
  assert.throws(() => parseBind('v:/d:rshared'), /invalid mode: rshared/);
  assert.throws(() => parseBind('/anon:ro'), /invalid volume specification: '\/anon:ro'$/);
});

test('--mount: types, options and dockerd messages', () => {
  assert.throws(() => parseMountRequest({ type: 'bind', source: '/nonexistent-berth', target: '/x', readOnly: false }),
    /invalid mount config for type "bind": bind source path does not exist: \/nonexistent-berth/);
  assert.throws(() => parseMountRequest({ type: 'bind', source: 'rel', target: '/x', readOnly: false }), /invalid mount path: 'rel' mount path must be absolute/);
  assert.throws(() => parseMountRequest({ type: 'foo', source: '', target: '/x', readOnly: false }), /invalid mount config for type "foo": mount type unknown/);
  assert.throws(() => parseMountRequest({ type: 'tmpfs', source: 'x', target: '/x', readOnly: false }), /field Source must not be specified/);
  assert.throws(() => parseMountRequest({ type: 'volume', source: 'v', target: '/x', readOnly: false, bindOptions: { propagation: 'rshared' } }), /field BindOptions must not be specified/);
  const b = parseMountRequest({ type: 'bind', source: '/tmp', target: '/x', readOnly: true, bindOptions: { propagation: 'rslave' } });
  assert.deepEqual([b.kind, b.rw, (b as { propagation: string }).propagation, (b as { createSource: boolean }).createSource], ['bind', false, 'rslave', false]);
  const t = parseMountRequest({ type: 'tmpfs', source: '', target: '/t', readOnly: false, tmpfsOptions: { sizeBytes: 2 * 1024 * 1024, mode: 0o700 } });
  assert.equal((t as { data: string }).data, 'mode=700,size=2m');
  const odd = parseMountRequest({ type: 'tmpfs', source: '', target: '/t', readOnly: true, tmpfsOptions: { sizeBytes: 1000 } });
  assert.equal((odd as { data: string }).data, 'ro,size=1000');
  const v = parseMountRequest({ type: 'volume', source: 'v', target: '/v', readOnly: false, volumeOptions: { noCopy: true, driverConfig: { options: { type: 'tmpfs', device: 'tmpfs' } } } });
  assert.deepEqual([(v as { copyData: boolean }).copyData, (v as { driverOptions: object }).driverOptions], [false, { type: 'tmpfs', device: 'tmpfs' }]);
});

test('--tmpfs and --volumes-from', () => {
  assert.deepEqual(parseTmpfs('/run/', 'size=1m'), { kind: 'tmpfs', target: '/run', rw: true, data: 'size=1m', listed: false });
  assert.throws(() => parseTmpfs('run', ''), /mount path must be absolute/);
  assert.deepEqual(parseVolumesFrom('box:ro'), { container: 'box', mode: 'ro' });
  assert.deepEqual(parseVolumesFrom('box'), { container: 'box', mode: '' });
  assert.throws(() => parseVolumesFrom('box:xx'), /invalid mode: xx/);
});

test('volume names and local driver options', () => {
  validateVolumeName('ab');
  validateVolumeName('a.b_c-1');
  assert.throws(() => validateVolumeName('a'), /create a: volume name is too short/);
  assert.throws(() => validateVolumeName('foo/bar'), /create foo\/bar: "foo\/bar" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed/);
  assert.throws(() => validateVolumeName('-ab'), /includes invalid characters/);
  validateVolumeName('v'.repeat(255));
  assert.throws(() => validateVolumeName('v'.repeat(256)), /volume name is too long \(256 characters; at most 255\)/);
  assert.throws(() => validateVolumeName('v'.repeat(100_000)), (e: Error) => e.message.length < 200);
  validateVolumeOptions('v', {});
  validateVolumeOptions('v', { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
  assert.throws(() => validateVolumeOptions('v', { foo: 'bar' }), /create v: invalid option: "foo"/);
  assert.throws(() => validateVolumeOptions('v', { type: 'tmpfs' }), /create v: missing required option: "device"/);
});

test('mount options: flags and data apart', () => {
  const p = parseMountOptions('ro,bind,size=1m,nosuid,rshared');
  assert.equal(p.data, 'size=1m');
  assert.ok(p.flags & 0x1 && p.flags & 0x1000 && p.flags & 0x2);
  assert.ok(p.propagation & (1 << 20));
  assert.equal(parseMountOptions('ro,rw').flags & 0x1, 0);
});
