// The daemon's runtime table: daemon.json `runtimes`, --add-runtime,
// default-runtime, and the explanation given on a hybrid host crun refuses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseDaemonArgs } from '../../../src/daemon/config.ts';
import { crunProblemFor, isCrun, isRunc, parseAddRuntime, runtimeTable } from '../../../src/runtime/runtimes.ts';

const dir = mkdtempSync(`${tmpdir()}/berth-rt-`);
test.after(() => rmSync(dir, { recursive: true, force: true }));
const bin = `${dir}/my-runtime`;
writeFileSync(bin, '#!/bin/sh\n');
chmodSync(bin, 0o755);

function config(json: unknown, ...flags: string[]) {
  writeFileSync(`${dir}/d.json`, JSON.stringify(json));
  return parseDaemonArgs(['--config-file', `${dir}/d.json`, ...flags], '0');
}

test('daemon.json runtimes: path and runtimeArgs; --add-runtime beside them', () => {
  const c = config({ runtimes: { mine: { path: bin, runtimeArgs: ['--debug'] } }, 'default-runtime': 'mine' }, '--add-runtime', `other=${bin}`);
  assert.deepEqual(c.runtimes, { mine: { path: bin, args: ['--debug'] }, other: { path: bin, args: [] } });
  assert.equal(c.defaultRuntime, 'mine');
  const table = runtimeTable(c.runtimes, c.defaultRuntime);
  assert.deepEqual(table.mine, { path: bin, args: ['--debug'] });
  assert.ok(table.runc, 'runc is always in the table');
});

test('dockerd\'s reserved names and bad entries are refused, naming the problem', () => {
  assert.throws(() => config({ runtimes: { runc: { path: bin } } }), /runtime name 'runc' is reserved/);
  assert.throws(() => config({ runtimes: { 'io.containerd.runc.v2': { path: bin } } }), /is reserved/);
  assert.throws(() => config({}, '--add-runtime', 'runc=/usr/bin/crun'), /invalid argument "runc=\/usr\/bin\/crun" for "--add-runtime" flag: runtime name 'runc' is reserved/);
  assert.throws(() => config({}, '--add-runtime', 'noequals'), /use name=path/);
  assert.throws(() => config({ runtimes: { x: {} } }), /runtime x needs a "path"/);
  assert.throws(() => config({ runtimes: { x: { path: bin, runtimeArgs: '--debug' } } }), /"runtimeArgs" must be a list of strings/);
  assert.throws(() => config({ runtimes: { x: { path: bin, runtimeType: 'io.containerd.runsc.v1' } } }), /unsupported option\(s\) runtimeType/);
  assert.throws(() => config({ runtimes: ['crun'] }), /"runtimes" must be an object/);
  assert.throws(() => config({ runtimes: { x: { path: bin } } }, '--add-runtime', `x=${bin}`), /runtime x is specified both as a flag/);
  assert.deepEqual(parseAddRuntime(`a=${bin}`), ['a', { path: bin, args: [] }]);
});

test('a default runtime that does not exist, or a missing binary, stops the daemon with dockerd\'s words', () => {
  assert.throws(() => runtimeTable({}, 'nope'), /specified default runtime 'nope' does not exist/);
  assert.throws(() => runtimeTable({ x: { path: `${dir}/absent`, args: [] } }, 'runc'), /runtime x: OCI runtime binary .*absent not found/);
  // A bare name resolves through PATH, as dockerd's does.
  const t = runtimeTable({ sh: { path: 'sh', args: [] } }, 'runc');
  assert.match(t.sh!.path, /\/sh$/);
});

test('runc\'s fifo start only for runc; crun recognised by its binary', () => {
  assert.equal(isRunc({ path: '/usr/sbin/runc', args: [] }), true);
  assert.equal(isRunc({ path: '/opt/wrap/runc-w', args: [] }), false);
  assert.equal(isCrun({ path: '/usr/bin/crun', args: [] }), true);
});

test('a hybrid host whose cgroup2 holds hugetlb gets the fix; other controllers get a general answer', () => {
  assert.equal(crunProblemFor([]), null);
  assert.match(crunProblemFor(['hugetlb'])!, /hybrid cgroup host .*\(hugetlb\).*scripts\/hybrid-hugetlb\.sh .*mount -t cgroup -o hugetlb cgroup \/sys\/fs\/cgroup\/hugetlb.*--runtime runc/);
  assert.match(crunProblemFor(['hugetlb', 'rdma'])!, /\(hugetlb, rdma\).*move those controllers/);
});
