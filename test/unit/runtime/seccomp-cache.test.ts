import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OciSpec } from '../../../src/core/runtime.ts';
import { BPF_ANNOTATION, SeccompBpfCache } from '../../../src/runtime/seccomp-cache.ts';

const spec = (seccomp?: unknown, annotations?: Record<string, string>): OciSpec => ({
  ociVersion: '1.0.2', process: {}, root: { path: '/r' }, mounts: [], linux: seccomp ? { seccomp } : {}, ...(annotations ? { annotations } : {}),
});
const denyMkdir = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
const denyRmdir = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['rmdir'], action: 'SCMP_ACT_ERRNO' }] };

test('only crun, only with a profile, never over a program the caller gave or with a listener', () => {
  assert.equal(SeccompBpfCache.applies('/usr/bin/crun', spec(denyMkdir)), true);
  assert.equal(SeccompBpfCache.applies('/usr/sbin/runc', spec(denyMkdir)), false);
  assert.equal(SeccompBpfCache.applies('/opt/crun-wrapper', spec(denyMkdir)), false);
  assert.equal(SeccompBpfCache.applies('/usr/bin/crun', spec()), false);
  assert.equal(SeccompBpfCache.applies('/usr/bin/crun', spec(denyMkdir, { [BPF_ANNOTATION]: 'AAAA' })), false);
  assert.equal(SeccompBpfCache.applies('/usr/bin/crun', spec({ ...denyMkdir, listenerPath: '/run/l.sock' })), false);
});

test('a program learned for one profile is given to that profile only, and the binary is part of the key', async () => {
  const dir = mkdtempSync('/tmp/bpf-cache-');
  try {
    const bin = join(dir, 'crun');
    writeFileSync(bin, 'v1');
    const prog = join(dir, 'seccomp.bpf');
    writeFileSync(prog, Buffer.alloc(16, 7));
    const c = new SeccompBpfCache();
    const k1 = c.key(bin, spec(denyMkdir));
    const k2 = c.key(bin, spec(denyRmdir));
    assert.notEqual(k1, k2);
    assert.equal(c.withProgram(k1, spec(denyMkdir)), null, 'nothing before crun compiled it once');
    assert.equal(await c.learn(k1, prog), true);
    assert.equal(await c.learn(k1, prog), false, 'learned once');
    const s = c.withProgram(k1, spec(denyMkdir, { other: 'x' }));
    assert.equal(s?.annotations?.[BPF_ANNOTATION], Buffer.alloc(16, 7).toString('base64'));
    assert.equal(s?.annotations?.other, 'x');
    assert.deepEqual(s?.linux.seccomp, denyMkdir, 'the profile stays in the spec');
    assert.equal(c.withProgram(k2, spec(denyRmdir)), null);
    // An upgraded runtime binary (other size/mtime) no longer matches.
    writeFileSync(bin, 'version 2');
    utimesSync(bin, new Date(), new Date(Date.now() + 5000));
    assert.notEqual(c.key(bin, spec(denyMkdir)), k1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('what is not a BPF program is not kept; the cache is bounded, least recently used out first', async () => {
  const dir = mkdtempSync('/tmp/bpf-cache-');
  try {
    const bad = join(dir, 'bad');
    writeFileSync(bad, Buffer.alloc(13));
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    const good = join(dir, 'good');
    writeFileSync(good, Buffer.alloc(8));
    const c = new SeccompBpfCache(2);
    assert.equal(await c.learn('a', bad), false);
    assert.equal(await c.learn('a', empty), false);
    await assert.rejects(c.learn('a', join(dir, 'absent')), /ENOENT/);
    assert.equal(c.size, 0);
    await c.learn('a', good);
    await c.learn('b', good);
    assert.ok(c.withProgram('a', spec(denyMkdir)), 'a used: b is now the oldest');
    await c.learn('c', good);
    assert.equal(c.size, 2);
    assert.equal(c.withProgram('b', spec(denyMkdir)), null);
    assert.ok(c.withProgram('a', spec(denyMkdir)));
    assert.ok(c.withProgram('c', spec(denyMkdir)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
