// OCI runtimes: `runtimes` in daemon.json (path and runtimeArgs),
// `docker run --runtime`, `default-runtime`, and crun beside runc. Each
// configured runtime here is a small wrapper script that records its
// command line and then runs the real binary, so a test sees which runtime
// a container really went through, with which global options, on either
// engine. Checked against a private dockerd first (COMPAT_TARGET=dockerd).
//
// crun needs a hybrid cgroup host's hugetlb controller moved to v1
// (scripts/hybrid-hugetlb.sh); where it is not, the crun tests skip with
// berth's explanation.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { crunHostProblem } from '../../src/runtime/runtimes.ts';
import { compatSuite, type CompatTarget } from './target.ts';

const dir = mkdtempSync('/tmp/rtw-');
after(() => rmSync(dir, { recursive: true, force: true }));

function wrapper(name: string, binary: string): { path: string; calls: () => string[] } {
  const path = join(dir, name);
  const log = join(dir, `${name}.calls`);
  writeFileSync(path, `#!/bin/sh\necho "$*" >> ${log}\nexec ${binary} "$@"\n`);
  chmodSync(path, 0o755);
  return { path, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
}

const runcW = wrapper('runc-w', '/usr/sbin/runc');
const crunW = wrapper('crun-w', '/usr/bin/crun');
const crunMissing = !existsSync('/usr/bin/crun') ? 'crun is not installed (scripts/setup.sh installs it)' : crunHostProblem();

/** The create call of container `id` in a wrapper's log (runc/crun `create ... <id>`). */
const createdThrough = (calls: string[], id: string) => calls.some((c) => / create /.test(` ${c} `) && c.endsWith(id));

const runtimes = {
  'runc-w': { path: runcW.path, runtimeArgs: ['--debug'] },
  'crun-w': { path: crunW.path },
  crun: { path: '/usr/bin/crun' },
};

async function idOf(tgt: CompatTarget, name: string): Promise<string> {
  return (await tgt.ok(['inspect', '-f', '{{.Id}}', name])).stdout.trim();
}

compatSuite('runtimes', (s) => {
  s.test('docker info lists the configured runtimes with their path and runtimeArgs, runc the default', async (tgt) => {
    const info = JSON.parse((await tgt.ok(['info', '--format', '{{json .Runtimes}}'])).stdout) as Record<string, { path: string; runtimeArgs?: string[] }>;
    assert.ok(info.runc, 'runc is always there');
    assert.equal(info['runc-w']?.path, runcW.path);
    assert.deepEqual(info['runc-w']?.runtimeArgs, ['--debug']);
    assert.equal(info['crun-w']?.path, crunW.path);
    assert.equal((await tgt.ok(['info', '--format', '{{.DefaultRuntime}}'])).stdout.trim(), 'runc');
  });

  s.test('--runtime picks the binary, which gets its runtimeArgs; exec and stop go through it too', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'rw', '--network', 'none', '--runtime', 'runc-w', 'busybox', 'sleep', '1000']);
    const id = await idOf(tgt, 'rw');
    assert.equal((await tgt.ok(['inspect', '-f', '{{.HostConfig.Runtime}}', 'rw'])).stdout.trim(), 'runc-w');
    const calls = runcW.calls();
    assert.ok(createdThrough(calls, id), `runc-w created ${id}:\n${calls.join('\n')}`);
    assert.ok(calls.filter((c) => c.endsWith(id)).every((c) => c.split(' ').includes('--debug')), `every call has --debug:\n${calls.join('\n')}`);
    assert.equal((await tgt.ok(['exec', 'rw', 'echo', 'in'])).stdout, 'in\n');
    assert.ok(runcW.calls().some((c) => / exec /.test(` ${c} `)), 'exec went through runc-w');
    await tgt.ok(['stop', '-t', '1', 'rw']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Status}}', 'rw'])).stdout.trim(), 'exited');
  });

  s.test('crun runs a container: output, exit code, exec, stop', async (tgt, t) => {
    if (crunMissing) return t.skip(crunMissing);
    const r = await tgt.docker(['run', '--rm', '--network', 'none', '--runtime', 'crun', 'busybox', 'sh', '-c', 'echo from-crun; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'from-crun\n');
    await tgt.ok(['run', '-d', '--name', 'cw', '--network', 'none', '--runtime', 'crun-w', 'busybox', 'sleep', '1000']);
    assert.ok(createdThrough(crunW.calls(), await idOf(tgt, 'cw')), crunW.calls().join('\n'));
    assert.equal((await tgt.ok(['exec', 'cw', 'cat', '/proc/1/cmdline'])).stdout, 'sleep\u00001000\u0000');
    await tgt.ok(['stop', '-t', '1', 'cw']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.ExitCode}}', 'cw'])).stdout.trim(), '137');
  });

  s.test('an unknown runtime is refused at create, nothing created', async (tgt) => {
    const r = await tgt.fails(['create', '--network', 'none', '--runtime', 'nope', 'busybox', 'true'], 1);
    // dockerd 20.10: "Unknown runtime specified nope"; 23+: "unknown or invalid runtime name: nope".
    assert.match(r.stderr, /(unknown or invalid runtime name: nope|Unknown runtime specified nope)/i);
    assert.equal((await tgt.ok(['ps', '-a', '-q'])).stdout, '');
    const run = await tgt.fails(['run', '--rm', '--network', 'none', '--runtime', 'nope', 'busybox', 'true'], 125);
    assert.match(run.stderr, /runtime/i);
  });
}, { daemonConfig: { runtimes } });

compatSuite('runtimes: default-runtime', (s) => {
  s.test('containers without --runtime use the daemon\'s default-runtime', async (tgt, t) => {
    if (crunMissing) return t.skip(crunMissing);
    await tgt.ok(['run', '--name', 'dflt', '--network', 'none', 'busybox', 'true']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.HostConfig.Runtime}}', 'dflt'])).stdout.trim(), 'crun-w');
    assert.ok(createdThrough(crunW.calls(), await idOf(tgt, 'dflt')), crunW.calls().join('\n'));
    assert.equal((await tgt.ok(['info', '--format', '{{.DefaultRuntime}}'])).stdout.trim(), 'crun-w');
    // --runtime still overrides it.
    await tgt.ok(['run', '--name', 'over', '--network', 'none', '--runtime', 'runc-w', 'busybox', 'true']);
    assert.ok(createdThrough(runcW.calls(), await idOf(tgt, 'over')));
  });
}, { daemonConfig: { runtimes, 'default-runtime': 'crun-w' } });

