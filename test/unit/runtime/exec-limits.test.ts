// The kernel limits checked at create (exec-limits.ts), runtime errors cut
// to a readable length (conmon-launch.ts), and the create timeout setting.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isCode } from '../../../src/core/errors.ts';
import { argMax, checkExecLimits } from '../../../src/runtime/exec-limits.ts';
import { createError, shortenQuoted } from '../../../src/runtime/conmon-launch.ts';
import { parseDaemonArgs } from '../../../src/daemon/config.ts';

const host = { RLIMIT_STACK: { soft: 8 * 1024 * 1024, hard: Infinity } };
const refused = (req: Parameters<typeof checkExecLimits>[0], re: RegExp) => assert.throws(() => checkExecLimits(req, host), (e: unknown) => isCode(e, 'invalid_argument') && re.test((e as Error).message));

test('commands the kernel can run pass', () => {
  checkExecLimits({ path: 'echo', args: ['z'.repeat(70_000)], env: ['A=b'] }, host);
  checkExecLimits({ path: '/' + 'd'.repeat(255) + '/x', args: [], env: [] }, host);
  checkExecLimits({ path: 'x', args: ['a'.repeat(131_071)], env: [] }, host);
});

test('names, paths, arguments and totals beyond the kernel limits are refused, naming the limit', () => {
  refused({ path: 'x'.repeat(256), args: [], env: [] }, /is 256 bytes; the kernel takes at most 255 per file name \(NAME_MAX\)/);
  refused({ path: '/a/' + 'é'.repeat(128), args: [], env: [] }, /is 256 bytes; .*NAME_MAX/);
  refused({ path: ('/' + 'd'.repeat(200)).repeat(21), args: [], env: [] }, /executable path is 4221 bytes; the kernel takes at most 4095 \(PATH_MAX\)/);
  refused({ path: 'echo', args: ['ok', 'a'.repeat(131_072)], env: [] }, /argument 2 \("a{40}\.\.\."\) is 131072 bytes; .* 131071 per argument \(MAX_ARG_STRLEN\)/);
  refused({ path: 'echo', args: [], env: ['A=' + 'v'.repeat(140_000)] }, /invalid environment variable "A=v{38}\.\.\.": it is 140002 bytes; .*MAX_ARG_STRLEN/);
  const many = Array.from({ length: 20 }, () => 'a'.repeat(110_000));
  refused({ path: 'echo', args: many, env: [] }, /take 2200\d{3} bytes; the kernel takes at most 2097152 \(ARG_MAX/);
});

test('ARG_MAX is a quarter of the stack limit, at most 6 MiB', () => {
  assert.equal(argMax(host), 2 * 1024 * 1024);
  assert.equal(argMax({ RLIMIT_STACK: { soft: Infinity, hard: Infinity } }), 6 * 1024 * 1024);
});

test('long values in runtime errors are cut, saying how long they were', () => {
  assert.equal(shortenQuoted(`exec: "${'x'.repeat(300)}": executable file not found in $PATH`),
    `exec: "${'x'.repeat(200)}... (300 characters)": executable file not found in $PATH`);
  assert.equal(shortenQuoted(`mkdir /${'w'.repeat(299)}: file name too long`), `mkdir /${'w'.repeat(199)}... (300 characters): file name too long`);
  assert.equal(shortenQuoted('exec: "short": not found'), 'exec: "short": not found');
  const e = createError(`chdir to cwd ("/${'w'.repeat(5000)}") set in config.json failed: file name too long`);
  assert.ok(isCode(e, 'invalid_argument'));
  assert.ok(e.message.length < 400, e.message);
});

test('runtime-create-timeout: flag or daemon.json, a duration of at least 1s, default 20s', () => {
  const dir = mkdtempSync(`${tmpdir()}/berth-cfg-`);
  try {
    writeFileSync(`${dir}/empty.json`, '{}');
    const file = ['--config-file', `${dir}/empty.json`];
    assert.equal(parseDaemonArgs(file, '0').runtimeCreateTimeoutMs, 20_000);
    assert.equal(parseDaemonArgs([...file, '--runtime-create-timeout', '1m'], '0').runtimeCreateTimeoutMs, 60_000);
    assert.equal(parseDaemonArgs([...file, '--runtime-create-timeout', '2500ms'], '0').runtimeCreateTimeoutMs, 2_500);
    writeFileSync(`${dir}/t.json`, JSON.stringify({ 'runtime-create-timeout': 5 }));
    assert.equal(parseDaemonArgs(['--config-file', `${dir}/t.json`], '0').runtimeCreateTimeoutMs, 5_000);
    assert.throws(() => parseDaemonArgs([...file, '--runtime-create-timeout', '10ms'], '0'), /invalid runtime-create-timeout "10ms": a duration of at least 1s/);
    assert.throws(() => parseDaemonArgs([...file, '--runtime-create-timeout', 'soon'], '0'), /invalid runtime-create-timeout "soon"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cgroup-parent: dockerd\'s option, normalized to an absolute cgroup path', () => {
  const dir = mkdtempSync(`${tmpdir()}/berth-cfg-`);
  try {
    writeFileSync(`${dir}/empty.json`, '{}');
    const file = ['--config-file', `${dir}/empty.json`];
    assert.equal(parseDaemonArgs(file, '0').cgroupParent, '/berth');
    assert.equal(parseDaemonArgs([...file, '--cgroup-parent', 'mine/ctrs/'], '0').cgroupParent, '/mine/ctrs');
    assert.throws(() => parseDaemonArgs([...file, '--cgroup-parent', '/a/../b'], '0'), /invalid cgroup-parent "\/a\/..\/b"/);
    assert.throws(() => parseDaemonArgs([...file, '--cgroup-parent', '/'], '0'), /invalid cgroup-parent/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
