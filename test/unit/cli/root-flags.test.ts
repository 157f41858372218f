import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRootFlags } from '../../../src/cli/root-flags.ts';
import { berth } from './helpers.ts';

test('global flags in every spelling, stopping at the command', () => {
  assert.deepEqual(parseRootFlags(['-H', 'unix:///a', '--host=unix:///b', '-Hunix:///c', '--host', 'd', 'ps', '-a', '-H', 'x']), {
    hosts: ['unix:///a', 'unix:///b', 'unix:///c', 'd'], debug: false, version: false, help: false, tls: {}, rest: ['ps', '-a', '-H', 'x'],
  });
  const r = parseRootFlags(['-Dl', 'debug', '--log-level=warn', '-v']);
  assert.equal(r.debug, true);
  assert.equal(r.logLevel, 'warn');
  assert.equal(r.version, true);
  assert.deepEqual(parseRootFlags(['--', '-x']).rest, ['-x']);
});

test('unknown and incomplete global flags are named', () => {
  assert.throws(() => parseRootFlags(['--foo', 'ps']), /^RootFlagError: unknown flag: --foo$/);
  assert.throws(() => parseRootFlags(['-Dx']), /unknown shorthand flag: 'x' in -x/);
  assert.throws(() => parseRootFlags(['-H']), /flag needs an argument: 'H' in -H/);
  assert.throws(() => parseRootFlags(['--host']), /flag needs an argument: --host/);
});

test('dispatch: commands, groups, aliases, unknown names', async () => {
  const run = async (args: string[]) => {
    const r = await berth(args);
    return { code: r.code, out: r.stdout, err: r.stderr };
  };
  assert.deepEqual(await run(['-v']), { code: 0, out: 'berth version 0.1.0\n', err: '' });
  const unknown = await run(['nosuch']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /^berth: unknown command: berth nosuch\n/);
  const bad = await run(['--nope']);
  assert.equal(bad.code, 125);
  assert.match(bad.err, /^unknown flag: --nope\n/);
  const groupUnknown = await run(['image', 'nosuch']);
  assert.equal(groupUnknown.code, 1);
  assert.match(groupUnknown.err, /unknown command: berth image nosuch/);
  const help = await run(['container', 'ls', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: {2}berth container ls \[OPTIONS\]/);
  assert.match(help.out, /Aliases:\n {2}berth container ls, berth container list, berth container ps/);
  const twoHosts = await run(['-H', 'unix:///a', '-H', 'unix:///b', 'ps']);
  assert.equal(twoHosts.code, 1);
  assert.match(twoHosts.err, /Specify only one -H/);
});
