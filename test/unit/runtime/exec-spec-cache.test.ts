// ContainerSpecs: an exec's view of config.json, parsed once per version of the file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isCode } from '../../../src/core/errors.ts';
import { ContainerSpecs } from '../../../src/runtime/exec-spec.ts';

test('parsed once per version of config.json; a new start (a new file) is read again; a missing one is a 409', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-specs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.json');
  const write = (args: string[]) => {
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ process: { args }, root: { path: '/r' }, linux: { seccomp: { big: 'x'.repeat(1000) } } }));
    fs.renameSync(`${file}.tmp`, file);
  };
  write(['a']);
  const specs = new ContainerSpecs();
  const first = specs.get(dir, 'c1');
  assert.deepEqual(first, { process: { args: ['a'] }, root: { path: '/r' } }, 'only what an exec uses is kept');
  assert.equal(specs.get(dir, 'c1'), first, 'the same version is not parsed again');
  write(['b', 'longer']);
  assert.deepEqual(specs.get(dir, 'c1').process.args, ['b', 'longer']);
  fs.rmSync(file);
  assert.throws(() => specs.get(dir, 'c1'), (e) => isCode(e, 'conflict') && /Container c1 is not running/.test((e as Error).message));
});
