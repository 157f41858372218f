// --userns-remap: a private berthd remapping to a user this suite creates
// (with its own /etc/subuid and /etc/subgid range, both removed at the end),
// driven with the docker CLI. What dockerd 20.10 showed for the same steps
// (checked with --userns-remap=default): container root is uid 0 inside,
// the range's first ID on the host; a file written in a bind mount is owned
// by it; a host 0600 root file is unreadable; the data lives under
// <data-root>/<uid>.<gid>; `--userns host` maps nothing; privileged and host
// namespaces need --userns host, with dockerd's messages.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startBerthd, run, runOk, DOCKER_CLI, skipUnlessRoot, type PrivateDaemon } from '../../helpers/daemon.ts';
import { addRemapUser, removeRemapUser } from '../../helpers/remap-user.ts';

const USER = `btremap${process.pid % 100000}`;

describe('userns-remap', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  let start = 0;
  let work = '';
  const docker = (args: string[]) => run(DOCKER_CLI, args, { env: d.env });
  const ok = async (args: string[]) => (await runOk(DOCKER_CLI, args, { env: d.env })).stdout;

  before(async () => {
    start = addRemapUser(USER);
    work = mkdtempSync('/tmp/bt-userns-');
    chmodSync(work, 0o755);
    d = await startBerthd({ args: ['--userns-remap', USER], prepare: (p) => chmodSync(p.dir, 0o711) });
  });

  after(async () => {
    await d?.cleanup();
    rmSync(work, { recursive: true, force: true });
    removeRemapUser(USER);
    assert.ok(!readFileSync('/etc/subuid', 'utf8').includes(`${USER}:`), 'subuid entry removed');
  });

  test('root in the container is the range start on the host; data under <data-root>/<uid>.<gid>', async () => {
    const out = (await ok(['run', '--rm', 'busybox', 'sh', '-c', 'id -u; cat /proc/self/uid_map /proc/self/gid_map; stat -c %u:%g / /etc/hosts'])).split('\n');
    assert.equal(out[0], '0');
    assert.deepEqual(out[1]!.trim().split(/\s+/), ['0', String(start), '65536']);
    assert.deepEqual(out[2]!.trim().split(/\s+/), ['0', String(start), '65536']);
    assert.deepEqual(out.slice(3, 5), ['0:0', '0:0']);
    const id = (await ok(['run', '-d', 'busybox', 'sleep', '300'])).trim();
    const pid = (await ok(['inspect', '-f', '{{.State.Pid}}', id])).trim();
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
    assert.equal(uid, String(start), 'the container process runs as the mapped uid on the host');
    // runc may not write net.* sysctls of berth's network namespace from inside the user namespace: a host hook does.
    const port = (await ok(['run', '--rm', '--sysctl', 'net.ipv4.tcp_syncookies=0', 'busybox', 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start', '/proc/sys/net/ipv4/tcp_syncookies'])).trim();
    assert.deepEqual(port.split('\n'), ['0', '0']);
    const hosts = (await ok(['inspect', '-f', '{{.HostsPath}}', id])).trim();
    assert.equal(`${statSync(hosts).uid}:${statSync(hosts).gid}`, `${start}:${start}`);
    await ok(['rm', '-f', id]);
    const info = (await ok(['info', '-f', '{{json .SecurityOptions}} {{.DockerRootDir}}'])).trim();
    assert.match(info, /"name=userns"/);
    assert.ok(info.endsWith(`${d.dataRoot}/${start}.${start}`), info);
    const root = statSync(`${d.dataRoot}/${start}.${start}`);
    assert.deepEqual([root.uid, root.gid, root.mode & 0o777], [0, start, 0o710]);
  });

  test('a bind mount: written files are owned by the mapped root, a host 0600 root file is unreadable', async () => {
    const dir = mkdtempSync(`${work}/bind-`);
    chmodSync(dir, 0o777);
    writeFileSync(`${work}/secret`, 'host secret\n', { mode: 0o600 });
    const r = await docker(['run', '--rm', '-v', `${dir}:/b`, '-v', `${work}/secret:/s`, 'busybox', 'sh', '-c', 'touch /b/f; cat /s']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Permission denied/);
    assert.doesNotMatch(r.stdout, /host secret/);
    const st = statSync(`${dir}/f`);
    assert.deepEqual([st.uid, st.gid], [start, start]);
    await ok(['volume', 'create', 'v1']);
    await ok(['run', '--rm', '-v', 'v1:/v', 'busybox', 'touch', '/v/x']);
    const mp = (await ok(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'v1'])).trim();
    assert.deepEqual([statSync(mp).uid, statSync(`${mp}/x`).uid], [start, start]);
    await ok(['volume', 'rm', 'v1']);
  });

  test('commit: the new layer carries container IDs, not the mapped host IDs', async () => {
    const id = (await ok(['run', '-d', 'busybox', 'sh', '-c', 'echo x > /made-inside; chown 1000:1001 /made-inside; touch /by-root; echo ready; sleep 300'])).trim();
    for (let i = 0; i < 100 && !(await ok(['logs', id])).includes('ready'); i++) await new Promise((r) => setTimeout(r, 100));
    await ok(['stop', '-t', '0', id]);
    await ok(['commit', id, 'remapped:commit']);
    const out = (await ok(['run', '--rm', 'remapped:commit', 'stat', '-c', '%u:%g', '/made-inside', '/by-root'])).trim().split('\n');
    assert.deepEqual(out, ['1000:1001', '0:0']);
    const saved = mkdtempSync(`${work}/save-`);
    await ok(['save', '-o', `${saved}/img.tar`, 'remapped:commit']);
    const list = execFileSync('sh', ['-c', `cd ${saved} && tar -xf img.tar && for l in $(find . -type f ! -name img.tar); do tar --numeric-owner -tvf $l 2>/dev/null || true; done`], { encoding: 'utf8' });
    assert.match(list, /1000\/1001 .* made-inside/);
    assert.match(list, / 0\/0 .* by-root/);
    await ok(['rm', '-f', id]);
    await ok(['rmi', 'remapped:commit']);
  });

  test('--userns host maps nothing; host namespaces and --privileged need it', async () => {
    const dir = mkdtempSync(`${work}/host-`);
    const out = (await ok(['run', '--rm', '--userns', 'host', '-v', `${dir}:/b`, 'busybox', 'sh', '-c', 'cat /proc/self/uid_map; touch /b/f'])).trim();
    assert.deepEqual(out.split(/\s+/), ['0', '0', '4294967295']);
    assert.equal(statSync(`${dir}/f`).uid, 0);
    const refused: Array<[string[], RegExp]> = [
      [['--privileged'], /privileged mode is incompatible with user namespaces/],
      [['--pid', 'host'], /cannot share the host PID namespace when user namespaces are enabled/],
      [['--network', 'host'], /cannot share the host's network namespace when user namespaces are enabled/],
    ];
    for (const [flags, msg] of refused) {
      const r = await docker(['run', '--rm', ...flags, 'busybox', 'true']);
      assert.equal(r.code, 125, flags.join(' '));
      assert.match(r.stderr, msg);
    }
    assert.equal((await ok(['run', '--rm', '--userns', 'host', '--privileged', 'busybox', 'id', '-u'])).trim(), '0');
    assert.equal((await ok(['ps', '-aq'])).trim(), '');
  });
});
