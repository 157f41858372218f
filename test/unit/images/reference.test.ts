import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCode } from '../../../src/core/errors.ts';
import {
  familiarName, familiarString, globMatch, parseNormalized, parseWithDefaultTag, refString, validateTag,
} from '../../../src/images/reference.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  test('normalizes like Docker', () => {
    const cases: Array<[string, string, string]> = [
      ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
      ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
      ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
      ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
      ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
      ['user/app:v1', 'docker.io/user/app:v1', 'user/app:v1'],
      ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
      ['localhost:5000/a/b:t', 'localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
      ['registry.example.com/x/y/z', 'registry.example.com/x/y/z:latest', 'registry.example.com/x/y/z:latest'],
      ['[::1]:5000/app', '[::1]:5000/app:latest', '[::1]:5000/app:latest'],
      ['a-b__c.d/e', 'a-b__c.d/e:latest', 'a-b__c.d/e:latest'],
      [`busybox@${D}`, `docker.io/library/busybox@${D}`, `busybox@${D}`],
      [`busybox:1@${D}`, `docker.io/library/busybox:1@${D}`, `busybox:1@${D}`],
    ];
    for (const [input, full, familiar] of cases) {
      const r = parseWithDefaultTag(input);
      assert.equal(refString(r), full, input);
      assert.equal(familiarString(r), familiar, input);
    }
    assert.equal(familiarName(parseNormalized('docker.io/library/a/b')), 'library/a/b');
  });

  test('rejects what Docker rejects, with its messages', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /^invalid reference format$/],
      ['bad:tag:x', /^invalid reference format$/],
      ['a b', /^invalid reference format$/],
      ['-leading', /^invalid reference format$/],
      ['trailing-', /^invalid reference format$/],
      ['Busybox', /invalid reference format: repository name \(library\/Busybox\) must be lowercase/],
      ['user/App:1', /repository name \(user\/App\) must be lowercase/],
      ['a'.repeat(64), /cannot specify 64-byte hexadecimal strings/],
      [`${'x'.repeat(250)}/y`, /must not be more than 255 characters/],
      ['busybox:' + 't'.repeat(129), /^invalid reference format$/],
      ['busybox@sha256:abc', /^invalid reference format$/],
    ];
    for (const [input, msg] of bad) {
      assert.throws(() => parseNormalized(input), (e) => isCode(e, 'invalid_argument') && msg.test((e as Error).message), input);
    }
    // An uppercase registry host is fine; the path is not.
    assert.equal(refString(parseWithDefaultTag('Example.COM/app')), 'Example.COM/app:latest');
    assert.throws(() => validateTag('.bad'), /invalid tag format/);
    validateTag('v1.2-rc_3');
  });

  test('glob patterns match like Go path.Match', () => {
    assert.equal(globMatch('busy*', 'busybox'), true);
    assert.equal(globMatch('busy*', 'busybox:latest'), true);
    assert.equal(globMatch('*', 'user/app'), false, '* stops at a slash');
    assert.equal(globMatch('*/*', 'user/app'), true);
    assert.equal(globMatch('mybb:v?', 'mybb:v1'), true);
    assert.equal(globMatch('mybb:v[12]', 'mybb:v2'), true);
    assert.equal(globMatch('mybb:v[^12]', 'mybb:v2'), false);
    assert.equal(globMatch('a.b', 'axb'), false, 'dots are literal');
    assert.throws(() => globMatch('[abc', 'a'), /syntax error in pattern/);
  });
});
