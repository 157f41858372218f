// Isolation and security flags of docker run: --privileged, --cap-add /
// --cap-drop, --security-opt seccomp=unconfined|<file> and
// no-new-privileges, and what a default container cannot see or signal.
// What the process sees is read from inside (/proc/self/status,
// /proc/self/mountinfo, /dev) and what it may do is tried (a dropped
// capability refuses its syscall). Checked against a private dockerd first
// (COMPAT_TARGET=dockerd).

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compatSuite, lines } from './target.ts';

/** Docker's default capability set as a CapEff mask. */
const DEFAULT_CAPS = '00000000a80425fb';
const hostBounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];

function status(text: string): Record<string, string> {
  return Object.fromEntries(lines(text).map((l) => l.split(/:\s*/, 2) as [string, string]));
}

const PROBE = 'grep -E "^(Cap|Seccomp:|NoNewPrivs:)" /proc/self/status';

compatSuite('security', (s) => {
  s.test('a default container: Docker\'s capabilities, seccomp filter on, masked and read-only /proc paths, few devices', async (tgt) => {
    const st = status((await tgt.ok(['run', '--rm', 'busybox', 'sh', '-c', PROBE])).stdout);
    assert.equal(st.CapEff, DEFAULT_CAPS);
    assert.equal(st.CapBnd, DEFAULT_CAPS);
    assert.equal(st.CapInh, '0000000000000000');
    assert.equal(st.Seccomp, '2');
    assert.equal(st.NoNewPrivs, '0');
    const mi = (await tgt.ok(['run', '--rm', 'busybox', 'cat', '/proc/self/mountinfo'])).stdout;
    const mountOf = (p: string) => lines(mi).find((l) => l.split(' ')[4] === p);
    // Masked paths that exist on this kernel (runc skips absent ones such as /proc/kcore here).
    for (const p of ['/proc/keys', '/proc/timer_list', '/sys/firmware']) assert.ok(mountOf(p), `${p} is masked`);
    assert.match(mountOf('/proc/acpi') ?? '', / ro[, ]/, '/proc/acpi is read-only');
    assert.match(mountOf('/proc/sys') ?? '', / ro[, ]/, '/proc/sys is read-only');
    const dev = lines((await tgt.ok(['run', '--rm', 'busybox', 'ls', '/dev'])).stdout);
    assert.ok(!dev.includes('kmsg') && !dev.includes('loop-control'), `no host devices: ${dev.join(' ')}`);
    for (const d of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'shm', 'mqueue']) assert.ok(dev.includes(d), `/dev/${d}`);
  });

  // dockerd 20.10 asks runc for every capability it knows, and this host's
  // bounding set lacks CAP_SYS_RESOURCE: its --privileged and --cap-add ALL
  // fail here ("unable to apply caps: operation not permitted"); berth grants
  // what the host can (src/runtime/capabilities.ts).
  s.test('--privileged: every capability, no seccomp, no masked paths, the host\'s devices', async (tgt) => {
    const st = status((await tgt.ok(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', PROBE])).stdout);
    assert.equal(st.CapEff, hostBounding, 'every capability the host can grant');
    assert.equal(st.CapBnd, hostBounding);
    assert.equal(st.Seccomp, '0');
    const mi = (await tgt.ok(['run', '--rm', '--privileged', 'busybox', 'cat', '/proc/self/mountinfo'])).stdout;
    const points = lines(mi).map((l) => l.split(' ')[4]);
    assert.ok(!points.includes('/proc/keys') && !points.includes('/sys/firmware') && !points.includes('/proc/sys'), `nothing masked or read-only under /proc: ${points.join(' ')}`);
    const dev = lines((await tgt.ok(['run', '--rm', '--privileged', 'busybox', 'ls', '/dev'])).stdout);
    assert.ok(dev.includes('kmsg') && dev.includes('loop-control'), `host devices: ${dev.join(' ')}`);
    // The device cgroup lets it use them: a loop device can be opened.
    await tgt.ok(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'head -c0 /dev/loop-control']);
  }, { only: 'berthd' });

  s.test('--cap-drop / --cap-add by name, with or without CAP_, and ALL; a dropped one refuses its syscall', async (tgt) => {
    const eff = async (...flags: string[]) => status((await tgt.ok(['run', '--rm', ...flags, 'busybox', 'sh', '-c', PROBE])).stdout).CapEff;
    assert.equal(await eff('--cap-drop', 'chown'), '00000000a80425fa');
    assert.equal(await eff('--cap-drop', 'CAP_CHOWN', '--cap-add', 'sys_admin'), '00000000a82425fa');
    assert.equal(await eff('--cap-drop', 'ALL', '--cap-add', 'Net_Bind_Service'), '0000000000000400');
    if (tgt.name === 'berthd') {
      // As Docker: adding ALL wins over dropping ALL (dockerd asks for every cap and fails here, see above).
      assert.equal(await eff('--cap-add', 'ALL', '--cap-drop', 'ALL'), hostBounding);
      assert.equal(await eff('--cap-add', 'ALL', '--cap-drop', 'sys_admin'), (BigInt(`0x${hostBounding}`) & ~(1n << 21n)).toString(16).padStart(16, '0'));
    }
    const chown = await tgt.docker(['run', '--rm', '--cap-drop', 'chown', 'busybox', 'sh', '-c', 'touch /f && chown 1 /f']);
    assert.notEqual(chown.code, 0);
    assert.match(chown.stderr, /Operation not permitted/);
    await tgt.ok(['run', '--rm', 'busybox', 'sh', '-c', 'touch /f && chown 1 /f']);
    const mknod = await tgt.docker(['run', '--rm', '--cap-drop', 'MKNOD', 'busybox', 'mknod', '/n', 'c', '1', '3']);
    assert.match(mknod.stderr, /Operation not permitted/);
    const bad = await tgt.fails(['create', '--cap-add', 'bogus', 'busybox', 'true'], 1);
    assert.match(bad.stderr, /unknown capability: "CAP_BOGUS"/);
    assert.equal((await tgt.ok(['ps', '-a', '-q'])).stdout, '');
  });

  s.test('--security-opt seccomp=unconfined, seccomp=<profile file>, and a file that is not JSON', async (tgt) => {
    const un = status((await tgt.ok(['run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'sh', '-c', PROBE])).stdout);
    assert.equal(un.Seccomp, '0');
    assert.equal(un.CapEff, DEFAULT_CAPS, 'capabilities stay Docker\'s');
    const dir = tgt.tmpDir('seccomp');
    const profile = join(dir, 'no-mkdir.json');
    writeFileSync(profile, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    }));
    const denied = await tgt.docker(['run', '--rm', '--security-opt', `seccomp=${profile}`, 'busybox', 'sh', '-c', `${PROBE}; mkdir /x`]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /mkdir.*Operation not permitted/);
    assert.equal(status(denied.stdout).Seccomp, '2');
    await tgt.ok(['run', '--rm', '--security-opt', `seccomp=${profile}`, 'busybox', 'touch', '/y']);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"defaultAction": ');
    const r = await tgt.docker(['create', '--security-opt', `seccomp=${broken}`, 'busybox', 'true']);
    assert.notEqual(r.code, 0, 'a profile that is not JSON is refused');
    assert.match(r.stderr, /seccomp|JSON|json/);
    assert.equal((await tgt.ok(['ps', '-a', '-q'])).stdout, '');
  });

  s.test('--security-opt no-new-privileges sets the no_new_privs bit of the process', async (tgt) => {
    const on = status((await tgt.ok(['run', '--rm', '--security-opt', 'no-new-privileges', 'busybox', 'sh', '-c', PROBE])).stdout);
    assert.equal(on.NoNewPrivs, '1');
    const colon = status((await tgt.ok(['run', '--rm', '--security-opt', 'no-new-privileges:true', 'busybox', 'sh', '-c', PROBE])).stdout);
    assert.equal(colon.NoNewPrivs, '1');
    const off = status((await tgt.ok(['run', '--rm', '--security-opt', 'no-new-privileges=false', 'busybox', 'sh', '-c', PROBE])).stdout);
    assert.equal(off.NoNewPrivs, '0');
  });

  s.test('a container cannot see or signal host processes or other containers unless asked', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'other', 'busybox', 'sh', '-c', 'echo secret > /dev/shm/m; sleep 1000']);
    const otherPid = (await tgt.ok(['inspect', '-f', '{{.State.Pid}}', 'other'])).stdout.trim();
    const me = String(process.pid);
    const r = await tgt.ok(['run', '--rm', 'busybox', 'sh', '-c',
      `ls /proc | grep -c "^[0-9]"; kill -0 ${otherPid} 2>&1 || echo no-signal-other; kill -0 ${me} 2>&1 || echo no-signal-host; cat /dev/shm/m 2>&1 || echo no-shm`]);
    const out = lines(r.stdout);
    assert.ok(Number(out[0]) <= 3, `only its own processes are visible: ${out[0]}`);
    assert.ok(out.includes('no-signal-other') && out.includes('no-signal-host') && out.includes('no-shm'), r.stdout);
    // Asked: the host's pid namespace shows (and lets root signal) the host's processes.
    const host = await tgt.ok(['run', '--rm', '--pid', 'host', 'busybox', 'sh', '-c', `kill -0 ${me} && kill -0 ${otherPid} && echo both`]);
    assert.equal(host.stdout.trim(), 'both');
  });
});
