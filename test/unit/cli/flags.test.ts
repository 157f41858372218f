import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, flagUsages, parseFlags, parseGoInt } from '../../../src/cli/flags.ts';
import type { FlagSpec } from '../../../src/cli/flags.ts';

const specs: FlagSpec[] = [
  { name: 'detach', short: 'd', type: 'bool', usage: 'Detach' },
  { name: 'interactive', short: 'i', type: 'bool', usage: 'Interactive' },
  { name: 'tty', short: 't', type: 'bool', usage: 'TTY' },
  { name: 'env', short: 'e', type: 'list', usage: 'Env' },
  { name: 'publish', short: 'p', type: 'list', usage: 'Ports' },
  { name: 'name', type: 'string', usage: 'Name' },
  { name: 'last', short: 'n', type: 'int', default: -1, usage: 'Last' },
  { name: 'human', short: 'H', type: 'bool', default: true, usage: 'Human' },
  { name: 'time', type: 'int', usage: 'Old', deprecated: 'use --timeout instead' },
];

test('pflag forms: combined shorthands, attached values, =values, repeats', () => {
  const p = parseFlags(specs, ['-dit', '-eA=1', '-e', 'B=2', '--env=C=3', '-p80:80', '--name', 'web', '-n=5', 'img'], false);
  assert.equal(p.values.detach, true);
  assert.equal(p.values.interactive, true);
  assert.equal(p.values.tty, true);
  assert.deepEqual(p.values.env, ['A=1', 'B=2', 'C=3']);
  assert.deepEqual(p.values.publish, ['80:80']);
  assert.equal(p.values.name, 'web');
  assert.equal(p.values.last, 5);
  assert.deepEqual(p.args, ['img']);
  assert.deepEqual([...p.changed].sort(), ['detach', 'env', 'interactive', 'last', 'name', 'publish', 'tty']);
});

test('booleans take =true/=false; defaults apply when absent', () => {
  const p = parseFlags(specs, ['--human=false', '-d=0', '--tty=True']);
  assert.equal(p.values.human, false);
  assert.equal(p.values.detach, false);
  assert.equal(p.values.tty, true);
  assert.equal(parseFlags(specs, []).values.human, true);
  assert.equal(parseFlags(specs, []).values.last, -1);
});

test('non-interspersed commands stop at the first argument; "--" ends flags', () => {
  const p = parseFlags(specs, ['-d', 'busybox', 'ls', '-l', '--name', 'x'], false);
  assert.deepEqual(p.args, ['busybox', 'ls', '-l', '--name', 'x']);
  assert.equal(p.values.name, '');
  const q = parseFlags(specs, ['a', '-d', 'b', '--', '-t']);
  assert.deepEqual(q.args, ['a', 'b', '-t']);
  assert.equal(q.values.detach, true);
  assert.equal(q.values.tty, false);
});

test("pflag's error messages", () => {
  const err = (argv: string[]) => {
    try {
      parseFlags(specs, argv);
    } catch (e) {
      assert.ok(e instanceof FlagError);
      return e.message;
    }
    return assert.fail('expected a FlagError');
  };
  assert.equal(err(['--foo']), 'unknown flag: --foo');
  assert.equal(err(['-iz']), "unknown shorthand flag: 'z' in -z");
  assert.equal(err(['-e']), "flag needs an argument: 'e' in -e");
  assert.equal(err(['--name']), 'flag needs an argument: --name');
  assert.equal(err(['-n', 'abc']), 'invalid argument "abc" for "-n, --last" flag: strconv.ParseInt: parsing "abc": invalid syntax');
  assert.equal(err(['--detach=maybe']), 'invalid argument "maybe" for "-d, --detach" flag: strconv.ParseBool: parsing "maybe": invalid syntax');
});

test('help flags and deprecation notices', () => {
  assert.equal(parseFlags(specs, ['--help']).help, true);
  assert.equal(parseFlags(specs, ['-h']).help, true);
  assert.deepEqual(parseFlags(specs, ['--time', '3']).warnings, ['Flag --time has been deprecated, use --timeout instead']);
});

test('Go integer syntax', () => {
  assert.equal(parseGoInt('0x10'), 16);
  assert.equal(parseGoInt('010'), 8);
  assert.equal(parseGoInt('-1'), -1);
  assert.equal(parseGoInt('1_000'), 1000);
  assert.throws(() => parseGoInt('1.5'), /invalid syntax/);
});

test('usage lines are aligned like pflag, with non-zero defaults', () => {
  const text = flagUsages([
    { name: 'all', short: 'a', type: 'bool', usage: 'Show all' },
    { name: 'format', type: 'string', usage: 'Format' },
    { name: 'last', short: 'n', type: 'int', default: -1, usage: 'Show n last' },
    { name: 'hidden', type: 'bool', usage: 'x', hidden: true },
  ]);
  assert.equal(text, [
    '  -a, --all             Show all',
    '      --format string   Format',
    '  -n, --last int        Show n last (default -1)',
  ].join('\n'));
});
