// crun and berthd's cache of compiled seccomp programs (src/runtime/seccomp-cache.ts):
// the first container of a profile is compiled by crun, later ones get crun's
// program in the run.oci.seccomp_bpf_data annotation, and each profile keeps
// its own program: a container never runs under another profile's filter.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { type PrivateDaemon, skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { json, raw } from '../../helpers/hostile-paths.ts';
import { crunHostProblem } from '../../../src/runtime/runtimes.ts';
import { BPF_ANNOTATION } from '../../../src/runtime/seccomp-cache.ts';

const crunMissing = !existsSync('/usr/bin/crun') ? 'crun is not installed (scripts/setup.sh installs it)' : crunHostProblem();
const deny = (...names: string[]) => JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names, action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] });
const PROBE = 'mkdir /x; echo mkdir=$?; rmdir /x; echo rmdir=$?; grep ^Seccomp: /proc/self/status';

describe('crun reuses the seccomp program it compiled for the same profile', { skip: skipUnlessRoot() || crunMissing || undefined }, () => {
  let d: PrivateDaemon;
  before(async () => { d = await startBerthd(); });
  after(async () => { await d?.cleanup(); });

  /** Runs the probe under crun with the profile; its output and whether berthd gave crun a ready program. */
  async function probe(securityOpt: string[]): Promise<{ out: string; annotated: boolean }> {
    const c = await raw(d.socket, 'POST', '/containers/create', json({
      Image: 'busybox', Cmd: ['sh', '-c', PROBE], HostConfig: { NetworkMode: 'none', Runtime: 'crun', SecurityOpt: securityOpt },
    }), { 'content-type': 'application/json' });
    assert.equal(c.status, 201, c.body.toString());
    const id = (JSON.parse(c.body.toString()) as { Id: string }).Id;
    assert.equal((await raw(d.socket, 'POST', `/containers/${id}/start`)).status, 204);
    const cfg = JSON.parse(readFileSync(`${d.execRoot}/containers/${id}/config.json`, 'utf8')) as { annotations?: Record<string, string> };
    const w = await raw(d.socket, 'POST', `/containers/${id}/wait`);
    assert.equal(w.status, 200);
    const logs = await raw(d.socket, 'GET', `/containers/${id}/logs?stdout=1&stderr=1`);
    assert.equal((await raw(d.socket, 'DELETE', `/containers/${id}`)).status, 204);
    // The multiplexed stream's frames: an 8-byte header (stream, 0, 0, 0, big-endian size), then the payload.
    let out = '';
    for (let at = 0; at + 8 <= logs.body.length; at += 8 + logs.body.readUInt32BE(at + 4)) out += logs.body.subarray(at + 8, at + 8 + logs.body.readUInt32BE(at + 4)).toString();
    return { out, annotated: !!cfg.annotations?.[BPF_ANNOTATION] };
  }

  test('a profile denying mkdir: compiled by crun once, then given ready, enforced both times', async () => {
    const first = await probe([`seccomp=${deny('mkdir', 'mkdirat')}`]);
    assert.equal(first.annotated, false, 'the first container of a profile is compiled by crun');
    assert.match(first.out, /mkdir=1/);
    await new Promise((r) => setTimeout(r, 200)); // the program is read from crun's state after create
    const second = await probe([`seccomp=${deny('mkdir', 'mkdirat')}`]);
    assert.equal(second.annotated, true, 'the same profile gets the compiled program');
    assert.match(second.out, /mkdir=1/);
    assert.match(second.out, /Seccomp:\s+2/);
  });

  test('another profile never gets the first profile\'s program', async () => {
    const first = await probe([`seccomp=${deny('rmdir')}`]);
    assert.equal(first.annotated, false);
    assert.match(first.out, /mkdir=0/);
    assert.match(first.out, /rmdir=1/);
    await new Promise((r) => setTimeout(r, 200));
    const second = await probe([`seccomp=${deny('rmdir')}`]);
    assert.equal(second.annotated, true);
    assert.match(second.out, /mkdir=0/, 'not the mkdir-denying program');
    assert.match(second.out, /rmdir=1/);
  });

  test('the default profile is cached too; unconfined gets no program', async () => {
    await probe([]);
    await new Promise((r) => setTimeout(r, 200));
    const cached = await probe([]);
    assert.equal(cached.annotated, true);
    assert.match(cached.out, /mkdir=0/);
    assert.match(cached.out, /Seccomp:\s+2/);
    const unconfined = await probe(['seccomp=unconfined']);
    assert.equal(unconfined.annotated, false);
    assert.match(unconfined.out, /Seccomp:\s+0/);
  });
});
