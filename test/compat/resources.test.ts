// docker run's resource and isolation flags: the limit is visible inside the
// container (cgroup files, ulimit, /proc) and enforced (OOM kill, pids
// limit), and bad values are refused at create, naming the value. Checked
// against a private dockerd first (COMPAT_TARGET=dockerd).

import assert from 'node:assert/strict';
import { compatSuite, lines } from './target.ts';
import { mountsUnder } from '../helpers/mounts.ts';

const MiB = 1024 * 1024;
// These hosts are cgroup v1 with v2 beside it; a v2-only host has the unified files instead.
const V1 = '/sys/fs/cgroup/memory/memory.limit_in_bytes';

compatSuite('resources', (s) => {
  s.test('memory, cpu, pids and cpuset limits land in the container cgroup and in inspect', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'lim', '--memory', '64m', '--memory-reservation', '32m', '--memory-swap', '128m',
      '--cpu-period', '50000', '--cpu-quota', '25000', '--cpu-shares', '512', '--pids-limit', '50', '--cpuset-cpus', '0',
      '--oom-score-adj', '100', 'busybox', 'sleep', '1000']);
    const read = async (path: string) => (await tgt.ok(['exec', 'lim', 'cat', path])).stdout.trim();
    const f = await tgt.ok(['inspect', '-f',
      '{{.HostConfig.Memory}} {{.HostConfig.MemoryReservation}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpusetCpus}} {{.HostConfig.OomScoreAdj}}', 'lim']);
    assert.equal(f.stdout, `${64 * MiB} ${32 * MiB} ${128 * MiB} 50000 25000 512 50 0 100\n`);
    const pid = (await tgt.ok(['inspect', '-f', '{{.State.Pid}}', 'lim'])).stdout.trim();
    const cg = (await import('node:fs')).readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    const path = (ctrl: string) => cg.split('\n').find((l) => l.split(':')[1]?.split(',').includes(ctrl))?.split(':')[2];
    const fs = await import('node:fs');
    const file = (ctrl: string, name: string) => fs.readFileSync(`/sys/fs/cgroup/${ctrl}${path(ctrl)}/${name}`, 'utf8').trim();
    if (fs.existsSync(V1)) {
      assert.equal(file('memory', 'memory.limit_in_bytes'), String(64 * MiB));
      assert.equal(file('memory', 'memory.soft_limit_in_bytes'), String(32 * MiB));
      assert.equal(file('cpu', 'cpu.cfs_quota_us'), '25000');
      assert.equal(file('cpu', 'cpu.cfs_period_us'), '50000');
      assert.equal(file('cpu', 'cpu.shares'), '512');
      assert.equal(file('pids', 'pids.max'), '50');
      assert.equal(file('cpuset', 'cpuset.cpus'), '0');
    }
    assert.equal(fs.readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim(), '100');
    void read;
  });

  s.test('--ulimit is what the process gets; one above the host hard limit is refused at create', async (tgt) => {
    const r = await tgt.ok(['run', '--rm', '--ulimit', 'nofile=1000:2000', '--ulimit', 'nproc=500', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -u']);
    assert.deepEqual(lines(r.stdout), ['1000', '2000', '500']);
    const hard = Number(/Max open files\s+\S+\s+(\S+)/.exec((await import('node:fs')).readFileSync('/proc/self/limits', 'utf8'))![1]);
    if (tgt.name === 'berthd' && Number.isFinite(hard)) {
      const bad = await tgt.fails(['create', '--ulimit', `nofile=${hard + 1}:${hard + 1}`, 'busybox'], 1);
      assert.match(bad.stderr, /ulimit nofile=\d+:\d+: the hard limit is above this host's hard limit for RLIMIT_NOFILE/);
      assert.equal((await tgt.ok(['ps', '-aq'])).stdout, '');
    }
  });

  s.test('a memory hog is OOM-killed: exit 137, OOMKilled, an oom event', async (tgt) => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    // Allocates ~64 MiB in the shell (no swap: --memory-swap equal to --memory).
    await tgt.fails(['run', '--name', 'hog', '--memory', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c',
      'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived'], 137);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'hog'])).stdout, 'true 137\n');
    const ev = await tgt.ok(['events', '--since', since, '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'event=oom', '--format', '{{.Action}}']);
    assert.match(ev.stdout, /^oom$/m);
  });

  s.test('the pids limit stops a fork bomb', async (tgt) => {
    const r = await tgt.docker(['run', '--rm', '--pids-limit', '20', 'busybox', 'sh', '-c',
      'for i in $(seq 1 40); do sleep 5 & done 2>/dev/null; sleep 0.2; ls /proc | grep -c "^[0-9]"']);
    assert.ok(Number(r.stdout.trim()) <= 20, `at most 20 processes, saw ${r.stdout.trim()}`);
  });

  s.test('namespaced sysctls apply; a host-wide one is refused', async (tgt) => {
    const r = await tgt.ok(['run', '--rm', '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmni=1234', 'busybox', 'sh', '-c',
      'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni']);
    assert.deepEqual(lines(r.stdout), ['1', '1234']);
  });

  s.test('--pid host, --uts host, --ipc none and --cgroupns', async (tgt) => {
    const pidHost = await tgt.ok(['run', '--rm', '--pid', 'host', 'busybox', 'sh', '-c', 'test -d /proc/1 && cat /proc/1/comm']);
    assert.notEqual(pidHost.stdout.trim(), 'sh');
    const own = await tgt.ok(['run', '--rm', 'busybox', 'cat', '/proc/1/comm']);
    assert.equal(own.stdout.trim(), 'cat');
    const uts = await tgt.ok(['run', '--rm', '--uts', 'host', 'busybox', 'hostname']);
    assert.equal(uts.stdout.trim(), (await import('node:os')).hostname());
    const ipcNone = await tgt.ok(['run', '--rm', '--ipc', 'none', 'busybox', 'sh', '-c', 'grep -c " /dev/shm " /proc/mounts || true']);
    assert.equal(ipcNone.stdout.trim(), '0');
    const cgns = await tgt.ok(['run', '--rm', '--cgroupns', 'private', 'busybox', 'sh', '-c', 'grep -c ":/$" /proc/self/cgroup']);
    assert.ok(Number(cgns.stdout.trim()) > 0, 'a private cgroup namespace shows the container cgroup as /');
    const conflict = await tgt.fails(['create', '--uts', 'host', '--hostname', 'x', 'busybox'], 1);
    assert.match(conflict.stderr, /conflicting options: hostname and the UTS mode/);
  });

  s.test('--pid and --ipc container:<name> share the namespaces of a running container', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'host1', '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo shared > /dev/shm/marker; sleep 1000']);
    await tgt.ok(['run', '-d', '--name', 'private1', 'busybox', 'sleep', '1000']);
    const r = await tgt.ok(['run', '--rm', '--pid', 'container:host1', '--ipc', 'container:host1', 'busybox', 'sh', '-c', 'ps -o comm; cat /dev/shm/marker 2>/dev/null || true']);
    assert.ok(lines(r.stdout).includes('sleep'), r.stdout);
    assert.ok(lines(r.stdout).includes('shared'), `the donor's /dev/shm is shared: ${r.stdout}`);
    // Both ways, while both run: a joiner's file shows in the donor.
    await tgt.ok(['run', '-d', '--name', 'joiner1', '--ipc', 'container:host1', 'busybox', 'sh', '-c', 'echo back > /dev/shm/from-joiner; sleep 1000']);
    let back = '';
    for (let i = 0; i < 50 && back !== 'back'; i++) {
      back = (await tgt.docker(['exec', 'host1', 'cat', '/dev/shm/from-joiner'])).stdout.trim();
      if (back !== 'back') await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(back, 'back');
    const shmLine = (await tgt.ok(['exec', 'host1', 'grep', ' /dev/shm ', '/proc/mounts'])).stdout;
    assert.match(shmLine, /tmpfs .*size=65536k/);
    await tgt.ok(['rm', '-f', 'joiner1']);
    if (tgt.name === 'berthd') {
      // berthd's host tmpfs for the shareable /dev/shm goes when the donor stops.
      const shmMounts = () => mountsUnder(tgt.daemon.dataRoot).filter((m) => m.mountPoint.endsWith('/shm'));
      assert.equal(shmMounts().length, 1, 'one host tmpfs while host1 runs');
      await tgt.ok(['stop', '-t', '0', 'host1']);
      assert.deepEqual(shmMounts(), []);
    }
    const nonShareable = await tgt.fails(['run', '--rm', '--ipc', 'container:private1', 'busybox', 'true'], 125);
    assert.match(nonShareable.stderr, /can't join IPC of container [0-9a-f]{64}: non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/);
    await tgt.ok(['create', '--name', 'stopped1', 'busybox', 'true']);
    const bad = await tgt.fails(['run', '--rm', '--pid', 'container:stopped1', 'busybox', 'true'], 125);
    assert.match(bad.stderr, /container [0-9a-f]{64} is not running/);
  });

  s.test('--device adds the node and its cgroup rule; --group-add numbers and names', async (tgt) => {
    const r = await tgt.ok(['run', '--rm', '--device', '/dev/loop-control:/dev/lc', 'busybox', 'sh', '-c', 'ls -l /dev/lc | cut -c1']);
    assert.equal(r.stdout.trim(), 'c');
    const g = await tgt.ok(['run', '--rm', '--group-add', '1234', '--group-add', 'daemon', 'busybox', 'id', '-G']);
    const gids = g.stdout.trim().split(' ');
    assert.ok(gids.includes('1234') && gids.includes('1') && gids[0] === '0', g.stdout);
    const noGroup = await tgt.fails(['run', '--rm', '--group-add', 'nosuchgroup', 'busybox', 'true'], 125);
    assert.match(noGroup.stderr, /Unable to find group nosuchgroup: no matching entries in group file/);
  });

  s.test('bad values are refused at create with docker\'s message and nothing is created', async (tgt) => {
    const cases: Array<[string[], RegExp]> = [
      [['--memory', '4m'], /Minimum memory limit allowed is 6MB/],
      [['--memory', '64m', '--memory-swap', '32m'], /Minimum memoryswap limit should be larger than memory limit/],
      [['--cpuset-cpus', '99'], /Requested CPUs are not available - requested 99, available: 0-\d+/],
      [['--cpu-period', '100'], /CPU cfs period can not be less than 1ms/],
      [['--oom-score-adj', '5000'], /range for oom score adj is \[-1000, 1000\]/],
    ];
    // dockerd takes these at create and fails at start; berth names the value at create (clearer, nothing created).
    if (tgt.name === 'berthd') {
      cases.push(
        [['--device', '/dev/nosuchdevice'], /error gathering device information while adding custom device "\/dev\/nosuchdevice": no such file or directory/],
        [['--ipc', 'bogus'], /invalid IPC mode: bogus/],
      );
    }
    for (const [flags, msg] of cases) {
      const r = await tgt.fails(['create', ...flags, 'busybox', 'true'], 1);
      assert.match(r.stderr, msg, `${flags.join(' ')}: ${r.stderr}`);
    }
    const swappiness = await tgt.fails(['create', '--memory-swappiness', '101', 'busybox'], 125);
    assert.match(swappiness.stderr, /Valid memory swappiness range is 0-100/);
    assert.equal((await tgt.ok(['ps', '-aq'])).stdout, '');
  });
});
