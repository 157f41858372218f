// RUN --mount parsing (BuildKit's keys, defaults and errors) and the cache
// mounts' sharing modes (shared, locked, private) within one daemon.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { parseRunMount } from '../../../src/builder/run-mounts.ts';
import { CacheMounts } from '../../../src/builder/cache-mounts.ts';

test('defaults per type', () => {
  assert.deepEqual(parseRunMount('target=/src'), { type: 'bind', target: '/src', readonly: true, required: false, sharing: 'shared' });
  assert.equal(parseRunMount('type=bind,target=/src,rw').readonly, false);
  assert.equal(parseRunMount('type=bind,target=/src,readwrite=true').readonly, false);
  assert.equal(parseRunMount('type=cache,target=/c').readonly, false);
  assert.equal(parseRunMount('type=cache,target=/c,ro').readonly, true);
  assert.equal(parseRunMount('type=cache,target=/c,readonly=false').readonly, false);
  const c = parseRunMount('type=cache,id=go,target=/root/.cache,sharing=LOCKED,mode=0700,uid=1000,gid=100,from=base,source=/x');
  assert.deepEqual(c, { type: 'cache', target: '/root/.cache', id: 'go', readonly: false, required: false, sharing: 'locked', mode: 0o700, uid: 1000, gid: 100, from: 'base', source: '/x' });
  assert.deepEqual(parseRunMount('type=tmpfs,target=/t,size=64m'), { type: 'tmpfs', target: '/t', readonly: false, required: false, sharing: 'shared', size: 64 * 1024 * 1024 });
});

test('secrets: id from the target, target from the id, env instead of a file, source as the id', () => {
  assert.equal(parseRunMount('type=secret,id=tok').target, '/run/secrets/tok');
  assert.equal(parseRunMount('type=secret,target=/etc/key.pem').id, 'key.pem');
  const env = parseRunMount('type=secret,id=tok,env=TOKEN,required');
  assert.deepEqual([env.target, env.env, env.required, env.readonly], ['', 'TOKEN', true, true]);
  assert.equal(parseRunMount('type=secret,id=tok,env=TOKEN,target=/t').target, '/t');
  assert.equal(parseRunMount('type=secret,source=npmrc').id, 'npmrc');
  const m = parseRunMount('type=secret,id=k,mode=0440,uid=5,gid=6');
  assert.deepEqual([m.mode, m.uid, m.gid], [0o440, 5, 6]);
});

test('bad options are errors naming the option', () => {
  const bad: Array<[string, RegExp]> = [
    ['type=ssh2,target=/x', /unsupported mount type "ssh2"/],
    ['type=bind,target=/x,mode=0700', /mode not allowed for "bind" type mounts/],
    ['type=tmpfs,target=/x,uid=1', /uid not allowed for "tmpfs" type mounts/],
    ['type=bind,target=/x,sharing=locked', /invalid cache sharing set for bind mount/],
    ['type=cache,target=/x,sharing=sometimes', /unsupported sharing value "sometimes"/],
    ['type=cache,target=/x,mode=9', /invalid value 9 for mode/],
    ['type=cache,target=/x,uid=-1', /invalid value -1 for uid/],
    ['type=cache,target=/x,ro=maybe', /invalid value for ro: maybe/],
    ['type=cache,target=/x,required', /unexpected key 'required' for mount type 'cache'/],
    ['type=bind,target=/x,env=A', /unexpected key 'env' for mount type 'bind'/],
    ['type=cache,target=/x,size=1m', /unexpected key 'size' for mount type 'cache'/],
    ['type=cache,target=/x,colour=blue', /unexpected key 'colour' in 'colour=blue'/],
    ['type=secret,id=a,from=stage', /secret mount should not have a from/],
    ['type=secret,id=a,source=b', /both source and id can't be set/],
    ['type=secret', /one of source, target required/],
    ['type=cache', /mount target is required/],
    ['type=tmpfs,target=/t,size=lots', /invalid size: 'lots'/],
  ];
  for (const [spec, re] of bad) assert.throws(() => parseRunMount(spec), re, spec);
});

test('cache mounts: shared users share a directory, locked waits, private gets another', async () => {
  const root = mkdtempSync(`${tmpdir()}/berth-cm-`);
  try {
    const cm = new CacheMounts(root);
    let inits = 0;
    const spec = (sharing: 'shared' | 'locked' | 'private') => ({
      keyParts: ['/c'], sharing,
      init: (d: string) => { inits++; writeFileSync(`${d}/made`, 'x'); },
    });
    const a = await cm.acquire(spec('shared'));
    const b = await cm.acquire(spec('shared'));
    assert.equal(a.dir, b.dir);
    assert.equal(inits, 1, 'a cache is initialised once');
    assert.ok(existsSync(`${a.dir}/made`));
    // locked waits for both shared users to go.
    let lockedGot = false;
    const locked = cm.acquire(spec('locked')).then((h) => { lockedGot = true; return h; });
    await new Promise((r) => setImmediate(r));
    assert.equal(lockedGot, false);
    a.release();
    await new Promise((r) => setImmediate(r));
    assert.equal(lockedGot, false, 'still one user');
    // private while the cache is busy: a second directory of the same cache, itself kept.
    const p = await cm.acquire(spec('private'));
    assert.equal(p.dir, `${a.dir}-1`);
    assert.equal(inits, 2);
    b.release();
    const l = await locked;
    assert.equal(l.dir, a.dir);
    // A shared user waits for the locked one.
    let sharedGot = false;
    const shared = cm.acquire(spec('shared')).then((h) => { sharedGot = true; return h; });
    await new Promise((r) => setImmediate(r));
    assert.equal(sharedGot, false);
    l.release();
    (await shared).release();
    p.release();
    // A new private with nobody using the first one takes it.
    const p2 = await cm.acquire(spec('private'));
    assert.equal(p2.dir, a.dir);
    // prune skips what is in use and removes the rest.
    assert.deepEqual(cm.prune(), [`${a.dir.split('/').pop()}-1`]);
    p2.release();
    p2.release(); // a second release is a no-op
    assert.equal(cm.prune().length, 1);
    assert.equal(statSync(cm.dir).isDirectory(), true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('cache mounts: a failed init leaves nothing and releases the lock', async () => {
  const root = mkdtempSync(`${tmpdir()}/berth-cm-`);
  try {
    const cm = new CacheMounts(root);
    await assert.rejects(cm.acquire({ keyParts: ['k'], sharing: 'locked', init: () => { throw new Error('boom'); } }), /boom/);
    const h = await cm.acquire({ keyParts: ['k'], sharing: 'locked', init: () => {} });
    h.release();
    assert.deepEqual(cm.prune().length, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
