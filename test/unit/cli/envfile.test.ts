import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandEnvValue, kvToMap, parseKeyValueFile, parseKeyValueText, readEnv, readLabels } from '../../../src/cli/options/envfile.ts';

test('env file lines: comments, blank lines, leading space, values kept verbatim', () => {
  const text = '\uFEFF# comment\n\n  A=1\nB= spaced value \nC=\nD=x=y\r\nEMPTY_LOOKUP\nHOME\n';
  const lookup = (k: string) => ({ HOME: '/root' } as Record<string, string>)[k];
  assert.deepEqual(parseKeyValueText(text, lookup), ['A=1', 'B= spaced value ', 'C=', 'D=x=y', 'HOME=/root']);
});

test('without a lookup (label files) bare keys are dropped', () => {
  assert.deepEqual(parseKeyValueText('a=b\nbare\n'), ['a=b']);
});

test('bad lines are errors naming the problem and the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-envfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.throws(() => parseKeyValueText('=x\n'), /no variable name on line '=x'/);
  assert.throws(() => parseKeyValueText('MY VAR=x\n'), /variable 'MY VAR' contains whitespaces/);
  const bad = join(dir, 'bad.env');
  writeFileSync(bad, Buffer.from([0x41, 0x3d, 0xff, 0x0a]));
  assert.throws(() => parseKeyValueFile(bad), new RegExp(`invalid env file \\(${bad}\\): invalid utf8 bytes at line 1: \\[65 61 255\\]`));
  assert.throws(() => parseKeyValueFile(join(dir, 'missing.env')), /open .*missing.env: no such file or directory/);
});

test('env files come first, then -e values; bare -e KEY takes the environment', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-envfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'a.env');
  writeFileSync(f, 'X=1\nUSER\n');
  const env = { USER: 'alice', TERM: 'xterm' };
  assert.deepEqual(readEnv([f], ['Y=2', expandEnvValue('TERM', env), expandEnvValue('UNSET', env)], env), ['X=1', 'USER=alice', 'Y=2', 'TERM=xterm', 'UNSET']);
  assert.throws(() => expandEnvValue('=v', env), /invalid environment variable: =v/);
  writeFileSync(f, 'a=1\nb\n');
  assert.deepEqual(kvToMap(readLabels([f], ['c=3', 'd'])), { a: '1', c: '3', d: '' });
});
