import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarName, familiarString, parseAnyReference, parseNormalizedNamed, tagNameOnly, truncateId } from '../../../src/cli/options/reference.ts';

test('normalises names like distribution/reference', () => {
  const r = parseNormalizedNamed('busybox');
  assert.equal(r.name, 'docker.io/library/busybox');
  assert.equal(familiarName(r), 'busybox');
  assert.equal(familiarString(tagNameOnly(r)), 'busybox:latest');
  const u = parseNormalizedNamed('user/app:1.0');
  assert.equal(u.name, 'docker.io/user/app');
  assert.equal(u.tag, '1.0');
  const l = parseNormalizedNamed('localhost:5000/x/y@sha256:' + 'a'.repeat(64));
  assert.equal(l.domain, 'localhost:5000');
  assert.equal(familiarString(l), `localhost:5000/x/y@sha256:${'a'.repeat(64)}`);
  assert.equal(familiarName(parseNormalizedNamed('index.docker.io/library/alpine')), 'alpine');
});

test('rejects what docker rejects', () => {
  assert.throws(() => parseNormalizedNamed('Foo'), /invalid reference format: repository name \(library\/Foo\) must be lowercase/);
  assert.throws(() => parseNormalizedNamed('a'.repeat(64)), /cannot specify 64-byte hexadecimal strings/);
  assert.throws(() => parseNormalizedNamed('a:b:c'), /invalid reference format/);
  assert.deepEqual(parseAnyReference('b'.repeat(64)), { digest: `sha256:${'b'.repeat(64)}` });
});

test('TruncateID', () => {
  assert.equal(truncateId('sha256:0123456789abcdef'), '0123456789ab');
  assert.equal(truncateId('abc'), 'abc');
});
