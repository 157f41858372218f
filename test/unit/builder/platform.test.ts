// Build platforms parsed as containerd's platforms.Parse does (what dockerd
// answers for /build?platform=).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlatform, platformString } from '../../../src/builder/platform.ts';
import { goArch } from '../../../src/images/records.ts';

test('one component: an OS with this machine\'s architecture, or an architecture on linux', () => {
  assert.deepEqual(parsePlatform('linux'), { os: 'linux', architecture: goArch() });
  assert.deepEqual(parsePlatform('windows'), { os: 'windows', architecture: goArch() });
  assert.deepEqual(parsePlatform('arm64'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatform('aarch64'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatform('armhf'), { os: 'linux', architecture: 'arm' });
  assert.throws(() => parsePlatform('bogus'), /"bogus": unknown operating system or architecture: invalid argument/);
});

test('os/arch and os/arch/variant, normalized', () => {
  assert.equal(platformString(parsePlatform('linux/x86_64')), 'linux/amd64');
  assert.equal(platformString(parsePlatform('Linux/AMD64')), 'linux/amd64');
  assert.equal(platformString(parsePlatform('linux/arm')), 'linux/arm');
  assert.equal(platformString(parsePlatform('linux/arm/v6')), 'linux/arm/v6');
  assert.equal(platformString(parsePlatform('linux/arm64/8')), 'linux/arm64/v8');
  assert.equal(platformString(parsePlatform('linux/whatever')), 'linux/whatever', 'two components are taken as given');
});

test('bad components and shapes are refused', () => {
  assert.throws(() => parsePlatform('linux/a.b'), /"a\.b" is an invalid component of "linux\/a\.b"/);
  assert.throws(() => parsePlatform('linux//arm'), /"" is an invalid component/);
  assert.throws(() => parsePlatform('linux/*'), /wildcards not yet supported/);
  assert.throws(() => parsePlatform('a/b/c/d'), /cannot parse platform specifier/);
});
