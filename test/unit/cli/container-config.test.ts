import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../../../src/cli/flags.ts';
import { containerFlags, runOnlyFlags } from '../../../src/cli/options/container-flags.ts';
import { buildCreateSpec, parseRestartPolicy, splitVolume } from '../../../src/cli/options/container-config.ts';
import type { CreateSpec } from '../../../src/cli/options/container-config.ts';

function spec(argv: string[], env: Record<string, string> = {}, cwd = '/work'): CreateSpec {
  const p = parseFlags([...containerFlags, ...runOnlyFlags], argv, false);
  return buildCreateSpec({ values: p.values, changed: p.changed, args: p.args, env, cwd });
}

test('a plain run: stdout/stderr attached, no command, docker defaults', () => {
  const { body, name, pull } = spec(['busybox']);
  assert.equal(body.Image, 'busybox');
  assert.equal(body.Cmd, null);
  assert.equal(body.Entrypoint, null);
  assert.deepEqual([body.AttachStdin, body.AttachStdout, body.AttachStderr], [false, true, true]);
  assert.deepEqual([body.Tty, body.OpenStdin, body.StdinOnce], [false, false, false]);
  assert.deepEqual(body.Env, []);
  assert.deepEqual(body.Labels, {});
  assert.equal(body.HostConfig.NetworkMode, 'default');
  assert.deepEqual(body.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.equal(body.HostConfig.AutoRemove, false);
  assert.equal(body.HostConfig.Binds, null);
  assert.equal(body.HostConfig.Init, undefined);
  assert.equal(body.StopTimeout, undefined);
  assert.equal(name, '');
  assert.equal(pull, 'missing');
});

test('the flags of a typical run map onto Config and HostConfig', () => {
  const { body, name } = spec([
    '--rm', '-it', '--name', 'web', '-e', 'A=1', '-e', 'HOME', '-w', '/srv', '-u', '1000:1000', '-h', 'box',
    '-l', 'k=v', '--network', 'none', '--privileged', '--cap-add', 'NET_ADMIN', '--cap-drop', 'ALL', '--read-only',
    '-v', '/tmp:/data:ro', '-v', './rel:/rel', '-v', '/anon', '-v', 'named:/n', '--stop-signal', 'SIGINT',
    '--stop-timeout', '5', '--init', '--entrypoint', '/bin/sh', '-m', '512m', '--cpus', '1.5', '--shm-size', '64m',
    '--pids-limit', '100', '--dns', '1.1.1.1', '--add-host', 'db=10.0.0.2', '--tmpfs', '/run:size=1m', '-p', '8080:80',
    '--expose', '9000-9001/udp', 'busybox', 'sh', '-c', 'echo hi',
  ], { HOME: '/root' });
  assert.equal(name, 'web');
  assert.deepEqual(body.Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(body.Entrypoint, ['/bin/sh']);
  assert.deepEqual(body.Env, ['A=1', 'HOME=/root']);
  assert.deepEqual([body.AttachStdin, body.Tty, body.OpenStdin, body.StdinOnce], [true, true, true, true]);
  assert.deepEqual([body.WorkingDir, body.User, body.Hostname, body.StopSignal, body.StopTimeout], ['/srv', '1000:1000', 'box', 'SIGINT', 5]);
  assert.deepEqual(body.Labels, { k: 'v' });
  assert.deepEqual(body.Volumes, { '/anon': {} });
  assert.deepEqual(body.ExposedPorts, { '80/tcp': {}, '9000/udp': {}, '9001/udp': {} });
  const h = body.HostConfig as Record<string, unknown>;
  assert.deepEqual(h.Binds, ['/tmp:/data:ro', '/work/rel:/rel', 'named:/n']);
  assert.equal(h.AutoRemove, true);
  assert.equal(h.NetworkMode, 'none');
  assert.equal(h.Privileged, true);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
  assert.deepEqual(h.CapDrop, ['ALL']);
  assert.equal(h.Init, true);
  assert.equal(h.Memory, 512 * 1024 * 1024);
  assert.equal(h.NanoCpus, 1.5e9);
  assert.equal(h.ShmSize, 64 * 1024 * 1024);
  assert.equal(h.PidsLimit, 100);
  assert.deepEqual(h.Dns, ['1.1.1.1']);
  assert.deepEqual(h.ExtraHosts, ['db:10.0.0.2']);
  assert.deepEqual(h.Tmpfs, { '/run': 'size=1m' });
  assert.deepEqual(h.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
});

test('-a selects streams; --entrypoint= resets; --init=false is sent', () => {
  const a = spec(['-a', 'STDERR', '--entrypoint=', '--init=false', 'img']).body;
  assert.deepEqual([a.AttachStdin, a.AttachStdout, a.AttachStderr], [false, false, true]);
  assert.deepEqual(a.Entrypoint, ['']);
  assert.equal(a.HostConfig.Init, false);
  const i = spec(['-i', '-a', 'stdout', 'img']).body;
  assert.deepEqual([i.AttachStdin, i.AttachStdout, i.AttachStderr, i.StdinOnce], [true, true, false, true]);
});

test('env files and label files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-create-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'e.env'), 'FROM_FILE=1\nPASSED\n# c\n');
  writeFileSync(join(dir, 'l.txt'), 'a=1\nb=2\n');
  const { body } = spec(['--env-file', join(dir, 'e.env'), '-e', 'X=2', '--label-file', join(dir, 'l.txt'), '-l', 'b=3', 'img'], { PASSED: 'yes' });
  assert.deepEqual(body.Env, ['FROM_FILE=1', 'PASSED=yes', 'X=2']);
  assert.deepEqual(body.Labels, { a: '1', b: '3' });
});

test('invalid combinations fail with docker\'s messages', () => {
  assert.throws(() => spec(['--rm', '--restart', 'always', 'img']), /conflicting options: cannot specify both --restart and --rm/);
  assert.throws(() => spec(['--pull', 'sometimes', 'img']), /invalid pull option: 'sometimes': must be one of "always", "missing" or "never"/);
  assert.throws(() => spec(['-p', '80:90-91', 'img']), /invalid ranges specified for container and host Ports: 90-91 and 80/);
  assert.throws(() => spec(['--security-opt', 'bogus', 'img']), /Invalid --security-opt: "bogus"/);
  assert.throws(() => parseFlags(containerFlags, ['-a', 'stdfoo', 'img'], false), /valid streams are STDIN, STDOUT and STDERR/);
  assert.throws(() => parseFlags(containerFlags, ['-m', 'lots', 'img'], false), /invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'/);
  assert.throws(() => parseFlags(containerFlags, ['-l', '=x', 'img'], false), /invalid label '=x': empty name/);
});

test('restart policies and volume specs', () => {
  assert.deepEqual(parseRestartPolicy('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual(parseRestartPolicy('always'), { Name: 'always', MaximumRetryCount: 0 });
  assert.throws(() => parseRestartPolicy(':3'), /no policy provided before colon/);
  assert.throws(() => parseRestartPolicy('on-failure:x'), /maximum retry count must be an integer/);
  assert.deepEqual(splitVolume('/data', '/w'), { volume: '/data' });
  assert.deepEqual(splitVolume('../up:/x:rw', '/w/sub'), { bind: '/w/up:/x:rw' });
  assert.throws(() => splitVolume('a:b:c:d', '/'), /too many colons/);
});
