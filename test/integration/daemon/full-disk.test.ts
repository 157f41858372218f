// A full disk: berthd on a small tmpfs data root, filled up. Every write
// (import, pull, build, create/run, commit, a container writing into a
// volume) fails with a clear error naming what could not be written and
// "no space left on device" (dockerd answers 500 with the same words; on a
// private dockerd with a 48 MiB tmpfs data root: import, pull, build,
// create, start and commit all answer 500 "write <path>: no space left on
// device"); the daemon keeps serving; nothing is corrupted (every blob
// matches its digest, the metadata database checks, no orphan); and once
// space is freed the same operations succeed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';
import { audit, type ContainerSummary } from '../../helpers/leftovers.ts';
import { readMounts } from '../../helpers/mounts.ts';
import { startBerthRegistry, type RunningRegistry } from '../../helpers/registry.ts';
import { call, tarOf, type ApiResult } from '../../../stress/kill9-workload.ts';
import { streamResult } from '../../../stress/kill9-ops.ts';
import { storageAudit } from '../../../stress/kill9-audit.ts';

const NOSPC = /no space left on device/;

/** Fills the filesystem of `dir` with one file until ENOSPC; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1 << 20);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  // Small writes take the last partial pages too.
  const small = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, small);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return path;
}

/** The error of a call: the JSON message of a failed answer, or the error line of a progress stream. */
function failure(r: ApiResult): string | null {
  if (r.status >= 400) {
    try { return `${r.status} ${JSON.parse(r.body).message as string}`; } catch { return `${r.status} ${r.body}`; }
  }
  const e = streamResult(r.body).error;
  return e === null ? null : `${r.status} (in the stream) ${e}`;
}

describe('a full disk', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  let reg: RunningRegistry;
  const s = () => d.socket;
  let bigRef = '';
  let volumeUser = '';
  let running = '';
  const created: string[] = [];

  before(async () => {
    reg = await startBerthRegistry();
    d = await startBerthd({
      prepare: (p) => {
        if (readMounts().some((m) => m.mountPoint === p.dataRoot)) return;
        mkdirSync(p.dataRoot, { recursive: true });
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m,mode=0711', 'tmpfs', p.dataRoot]);
      },
    });
    // An image only the registry has (pulled while full), a volume and a running container.
    bigRef = `${reg.host}/full/big`;
    const imp = await call(s(), 'POST', `/images/create?fromSrc=-&repo=${encodeURIComponent(bigRef)}&tag=latest`, await tarOf({ big: randomBytes(1 << 20).toString('base64') }));
    assert.equal(failure(imp), null);
    const push = await call(s(), 'POST', `/images/${encodeURIComponent(bigRef)}/push?tag=latest`);
    assert.equal(failure(push), null);
    assert.equal((await call(s(), 'DELETE', `/images/${encodeURIComponent(`${bigRef}:latest`)}`)).status, 200);
    assert.equal((await call(s(), 'POST', '/volumes/create', { Name: 'fullvol' })).status, 201);
    const c = await call(s(), 'POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { Binds: ['fullvol:/data'] } });
    assert.equal(c.status, 201, c.body);
    volumeUser = JSON.parse(c.body).Id;
    assert.equal((await call(s(), 'POST', `/containers/${volumeUser}/start`)).status, 204);
    const r = await call(s(), 'POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '1000'] });
    running = JSON.parse(r.body).Id;
    assert.equal((await call(s(), 'POST', `/containers/${running}/start`)).status, 204);
    // Created before the disk fills, started while it is full (and again once there is space).
    for (let i = 0; i < 2; i++) {
      const x = await call(s(), 'POST', '/containers/create', { Image: 'busybox', Cmd: ['true'] });
      assert.equal(x.status, 201, x.body);
      created.push(JSON.parse(x.body).Id);
    }
  });

  after(async () => {
    await d?.cleanup();
    await reg?.stop();
  });

  const ops: Record<string, () => Promise<ApiResult>> = {
    import: async () => call(s(), 'POST', '/images/create?fromSrc=-&repo=fullimp&tag=x', await tarOf({ f: randomBytes(1 << 19).toString('hex') })),
    pull: () => call(s(), 'POST', `/images/create?fromImage=${encodeURIComponent(bigRef)}&tag=latest`),
    build: async () => call(s(), 'POST', '/build?t=fullbuild:x&rm=1', await tarOf({
      Dockerfile: 'FROM busybox\nCOPY f /f\nRUN head -c 300000 /dev/urandom > /r\n', f: randomBytes(1 << 18).toString('hex'),
    })),
    run: async () => {
      const c = await call(s(), 'POST', '/containers/create', { Image: 'busybox', Cmd: ['sh', '-c', 'head -c 300000 /dev/urandom > /x'] });
      if (c.status !== 201) return { ...c, body: c.body.replace('{"message":"', '{"message":"create: ') };
      const id = JSON.parse(c.body).Id as string;
      const st = await call(s(), 'POST', `/containers/${id}/start`);
      if (st.status !== 204) return { ...st, body: st.body.replace('{"message":"', '{"message":"start: ') };
      const w = await call(s(), 'POST', `/containers/${id}/wait`);
      const code = JSON.parse(w.body).StatusCode as number;
      return code === 0 ? { status: 200, body: '' } : { status: 500, body: JSON.stringify({ message: `the container exited ${code}` }) };
    },
    commit: () => call(s(), 'POST', `/commit?container=${running}&repo=fullcommit&tag=x`, {}),
    start: async () => {
      const st = await call(s(), 'POST', `/containers/${created.shift()}/start`);
      return st.status === 204 ? { status: 200, body: '' } : st;
    },
  };

  /**
   * Containers against their processes, cgroups, runtime state and mounts: a
   * failed start left nothing running. Asked again for up to 10 s: a container
   * that just exited (start's `true`, run's, answered by /wait) has its bundle
   * removed by the exit handler moments later.
   */
  async function leftovers(): Promise<string[]> {
    const end = Date.now() + 10_000;
    for (;;) {
      const problems = await leftoversNow();
      if (problems.length === 0 || Date.now() > end) return problems;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function leftoversNow(): Promise<string[]> {
    const list: ContainerSummary[] = [];
    for (const c of JSON.parse((await call(s(), 'GET', '/containers/json?all=1')).body) as Array<{ Id: string }>) {
      const st = JSON.parse((await call(s(), 'GET', `/containers/${c.Id}/json`)).body).State;
      list.push({ id: c.Id, status: st.Status, pid: st.Pid });
    }
    // The small filesystem on the data root is the test's own mount.
    return audit(d, list, list.map((c) => c.id)).filter((p) => p !== `mount ${d.dataRoot} of a container not running`);
  }

  /** Writes into the volume from inside a container: exit code and output. */
  async function volumeWrite(): Promise<{ code: number; out: string }> {
    const e = await call(s(), 'POST', `/containers/${volumeUser}/exec`, { Cmd: ['dd', 'if=/dev/urandom', 'of=/data/f', 'bs=1k', 'count=100'], AttachStdout: true, AttachStderr: true });
    const id = JSON.parse(e.body).Id as string;
    const out = await call(s(), 'POST', `/exec/${id}/start`, { Detach: false });
    return { code: JSON.parse((await call(s(), 'GET', `/exec/${id}/json`)).body).ExitCode as number, out: out.body };
  }

  test('every write fails naming what and "no space left on device"; the daemon keeps serving; nothing is corrupted', async (t) => {
    // The running container writes into its writable layer so that its commit has something to write.
    const e = await call(s(), 'POST', `/containers/${running}/exec`, { Cmd: ['sh', '-c', 'head -c 200000 /dev/urandom > /w'], AttachStdout: true });
    await call(s(), 'POST', `/exec/${JSON.parse(e.body).Id}/start`, { Detach: false });
    const filler = fill(d.dataRoot);
    try {
      const errors: Record<string, string | null> = {};
      for (const [name, op] of Object.entries(ops)) {
        errors[name] = failure(await op());
        t.diagnostic(`${name}: ${errors[name]}`);
      }
      for (const [name, err] of Object.entries(errors)) {
        assert.ok(err, `${name} succeeded on a full disk`);
        assert.match(err, NOSPC, `${name}: ${err}`);
        // What could not be written, by its path.
        assert.match(err, / \/\S+: no space left on device/, `${name}: ${err}`);
      }
      // A container writing into its volume sees the error itself; the daemon is unharmed.
      const w = await volumeWrite();
      assert.notEqual(w.code, 0);
      assert.match(w.out, /No space left on device/);
      assert.equal((await call(s(), 'GET', '/_ping')).status, 200);
      assert.equal((await call(s(), 'GET', '/images/json')).status, 200);
      assert.equal((await call(s(), 'GET', '/containers/json?all=1')).status, 200);
      assert.deepEqual(storageAudit(d), []);
      assert.deepEqual(await leftovers(), []);
    } finally {
      rmSync(filler, { force: true });
    }
    // Space is back: the same operations succeed, and still nothing is corrupted or orphaned.
    assert.equal((await volumeWrite()).code, 0);
    for (const [name, op] of Object.entries(ops)) {
      const err = failure(await op());
      assert.equal(err, null, `${name} after space was freed: ${err}`);
    }
    assert.deepEqual(storageAudit(d), []);
    assert.deepEqual(await leftovers(), []);
    // And a restart finds everything in order.
    await d.restart();
    assert.deepEqual(storageAudit(d), []);
    for (const ref of ['fullimp:x', 'fullbuild:x', 'fullcommit:x', `${bigRef}:latest`]) {
      assert.equal((await call(s(), 'GET', `/images/${encodeURIComponent(ref)}/json`)).status, 200, ref);
    }
  });
});
