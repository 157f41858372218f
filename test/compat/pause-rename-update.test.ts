// docker pause/unpause, rename and update: state in inspect and ps, what
// is refused while paused, Docker's errors, limits applied to the running
// container's cgroup, and the events each emits.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { compatSuite, lines } from './target.ts';

/** A cgroup v1 file of the process `pid` (these hosts are hybrid: v1 holds the controllers). */
function cgroupFile(pid: string, ctrl: string, name: string): string {
  const cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  const path = cg.split('\n').find((l) => l.split(':')[1]?.split(',').includes(ctrl))?.split(':')[2];
  return fs.readFileSync(`/sys/fs/cgroup/${ctrl}${path}/${name}`, 'utf8').trim();
}

compatSuite('pause, rename, update', (s) => {
  s.test('pause and unpause: state, ps, refusals, stop of a paused container', async (tgt) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await tgt.ok(['run', '-d', '--name', 'pz', 'busybox', 'sleep', '1000']);
    await tgt.ok(['create', '--name', 'cold', 'busybox']);
    assert.match((await tgt.fails(['pause', 'cold'], 1)).stderr, /Container [0-9a-f]{64} is not running/);
    assert.match((await tgt.fails(['unpause', 'pz'], 1)).stderr, /Container [0-9a-f]{64} is not paused/);
    await tgt.ok(['pause', 'pz']);
    assert.match((await tgt.fails(['pause', 'pz'], 1)).stderr, /Container [0-9a-f]{64} is already paused/);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}', 'pz'])).stdout, 'paused true true\n');
    assert.match((await tgt.ok(['ps', '--format', '{{.Names}} {{.Status}} {{.State}}'])).stdout, /^pz Up .* \(Paused\) paused$/m);
    assert.deepEqual(lines((await tgt.ok(['ps', '-q', '--filter', 'status=paused'])).stdout).length, 1);
    const att = await tgt.fails(['attach', 'pz'], 1, { input: '' });
    assert.match(att.stderr, /You cannot attach to a paused container, unpause it first/);
    await tgt.ok(['unpause', 'pz']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'pz'])).stdout, 'running false\n');
    await tgt.ok(['pause', 'pz']);
    await tgt.ok(['stop', '-t', '1', 'pz']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}} {{.State.ExitCode}}', 'pz'])).stdout, 'exited false 137\n');
    const ev = await tgt.ok(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1),
      '--filter', 'container=pz', '--filter', 'event=pause', '--filter', 'event=unpause', '--format', '{{.Action}}']);
    // Stopping a paused container thaws it (so SIGKILL lands): dockerd reports that as an unpause.
    assert.deepEqual(lines(ev.stdout), ['pause', 'unpause', 'pause', 'unpause']);
  });

  s.test('a signal to a paused container resumes it so the signal lands; rm -f reports its kill', async (tgt) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const trap = (code: number, sig: string) => ['sh', '-c', `trap 'exit ${code}' ${sig}; sleep 1000 & wait`];
    await tgt.ok(['run', '-d', '--name', 'ps1', 'busybox', ...trap(3, 'TERM')]);
    await tgt.ok(['run', '-d', '--name', 'ps2', 'busybox', ...trap(4, 'USR1')]);
    await tgt.ok(['run', '-d', '--name', 'ps3', 'busybox', 'sleep', '1000']);
    await new Promise((r) => setTimeout(r, 500));
    await tgt.ok(['pause', 'ps1']);
    await tgt.ok(['pause', 'ps2']);
    const t0 = Date.now();
    await tgt.ok(['stop', '-t', '20', 'ps1']);
    assert.ok(Date.now() - t0 < 10_000, 'the stop signal was delivered, not the timeout\'s SIGKILL');
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'ps1'])).stdout, 'exited 3\n');
    await tgt.ok(['kill', '-s', 'USR1', 'ps2']);
    assert.equal((await tgt.ok(['wait', 'ps2'])).stdout, '4\n');
    await tgt.ok(['rm', '-f', 'ps3']);
    const ev = await tgt.ok(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1),
      '--filter', 'type=container', '--format', '{{.Actor.Attributes.name}} {{.Action}} {{.Actor.Attributes.signal}}{{.Actor.Attributes.exitCode}}']);
    const of = (n: string) => lines(ev.stdout).filter((l) => l.startsWith(`${n} `)).map((l) => l.replaceAll('<no value>', '').trim());
    assert.deepEqual(of('ps1'), ['ps1 create', 'ps1 start', 'ps1 pause', 'ps1 kill 15', 'ps1 unpause', 'ps1 die 3', 'ps1 stop']);
    assert.deepEqual(of('ps2'), ['ps2 create', 'ps2 start', 'ps2 pause', 'ps2 kill 10', 'ps2 unpause', 'ps2 die 4']);
    assert.deepEqual(of('ps3'), ['ps3 create', 'ps3 start', 'ps3 kill 9', 'ps3 die 137', 'ps3 destroy']);
  });

  s.test('rename: new name everywhere, rules and conflicts, rename event', async (tgt) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await tgt.ok(['create', '--name', 'first', 'busybox']);
    await tgt.ok(['create', '--name', 'other', 'busybox']);
    await tgt.ok(['rename', 'first', 'second']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.Name}}', 'second'])).stdout, '/second\n');
    assert.match((await tgt.fails(['inspect', 'first'], 1)).stderr, /No such (object|container): first/);
    let r = await tgt.fails(['rename', 'second', 'other'], 1);
    assert.match(r.stderr, /Error when allocating new name: Conflict. The container name "\/other" is already in use by container "[0-9a-f]{64}"/);
    r = await tgt.fails(['rename', 'second', 'b@d'], 1);
    assert.match(r.stderr, /Invalid container name \(\/b@d\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
    r = await tgt.fails(['rename', 'second', 'second'], 1);
    assert.match(r.stderr, /Renaming a container with the same name as its current name/);
    r = await tgt.fails(['rename', 'nosuch', 'x2'], 1);
    assert.match(r.stderr, /No such container: nosuch/);
    const ev = await tgt.ok(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1),
      '--filter', 'event=rename', '--format', '{{.Actor.Attributes.name}} {{.Actor.Attributes.oldName}}']);
    assert.equal(ev.stdout, 'second /first\n');
  });

  s.test('update: limits reach the live cgroup and inspect, minimums refused', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'up', '-m', '64m', 'busybox', 'sleep', '1000']);
    await tgt.ok(['update', '--memory', '32m', '--cpus', '0.5', '--pids-limit', '50', '--restart', 'on-failure:3', 'up']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'up'])).stdout,
      '33554432 500000000 50 on-failure:3\n');
    const f = await tgt.ok(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'up']);
    assert.match(f.stdout, /\/ 32MiB\n$/);
    let r = await tgt.fails(['update', '--memory', '1m', 'up'], 1);
    assert.match(r.stderr, /Minimum memory limit allowed is 6MB/);
    r = await tgt.fails(['update', '--restart', 'bogus', 'up'], 1);
    assert.match(r.stderr, /invalid restart policy/);
    r = await tgt.fails(['update', '--cpus', '99', 'up'], 1);
    assert.match(r.stderr, /Range of CPUs is from 0.01 to \d+\.00, as there are only \d+ CPUs available/);
    await tgt.ok(['run', '-d', '--rm', '--name', 'auto', 'busybox', 'sleep', '1000']);
    r = await tgt.fails(['update', '--restart', 'always', 'auto'], 1);
    assert.match(r.stderr, /Restart policy cannot be updated because AutoRemove is enabled for the container/);
    await tgt.ok(['create', '--name', 'cold', '-m', '32m', 'busybox']);
    await tgt.ok(['update', '--memory', '16m', 'cold']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.HostConfig.Memory}}', 'cold'])).stdout, '16777216\n');
  });

  s.test('update: swap, reservation, CFS period and quota, cpusets; the conflicts with what the container has', async (tgt, t) => {
    if (!fs.existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes')) return t.skip('no swap accounting on this host');
    const fail = async (args: string[], msg: RegExp) => assert.match((await tgt.fails(['update', ...args], 1)).stderr, msg);
    await tgt.ok(['run', '-d', '--name', 'mem', '-m', '64m', 'busybox', 'sleep', '1000']);
    await tgt.ok(['run', '-d', '--name', 'free', 'busybox', 'sleep', '1000']);
    await tgt.ok(['run', '-d', '--name', 'nano', '--cpus', '0.5', 'busybox', 'sleep', '1000']);
    await tgt.ok(['run', '-d', '--name', 'cfs', '--cpu-period', '50000', '--cpu-quota', '25000', 'busybox', 'sleep', '1000']);
    const mem = async (n: string) => (await tgt.ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', n])).stdout;
    assert.equal(await mem('mem'), '67108864 134217728\n', 'a memory limit gets twice as much memory+swap');
    assert.equal(await mem('free'), '0 0\n');
    // A new limit above the swap already set needs a swap with it; so does a first limit.
    assert.equal((await tgt.ok(['update', '-m', '32m', 'mem'])).stdout, 'mem\n');
    const conflict = /Cannot update container [0-9a-f]{64}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time/;
    await fail(['-m', '200m', 'mem'], conflict);
    await fail(['-m', '64m', 'free'], conflict);
    await tgt.ok(['update', '-m', '200m', '--memory-swap', '400m', 'mem']);
    assert.equal(await mem('mem'), '209715200 419430400\n');
    const pid = (await tgt.ok(['inspect', '-f', '{{.State.Pid}}', 'mem'])).stdout.trim();
    assert.deepEqual([cgroupFile(pid, 'memory', 'memory.limit_in_bytes'), cgroupFile(pid, 'memory', 'memory.memsw.limit_in_bytes')], ['209715200', '419430400']);
    await tgt.ok(['update', '--memory-swap', '-1', 'mem']);
    assert.equal(await mem('mem'), '209715200 -1\n');
    await tgt.ok(['update', '--memory-reservation', '16m', 'mem']);
    assert.equal(cgroupFile(pid, 'memory', 'memory.soft_limit_in_bytes'), String(16 * 1024 * 1024));
    await fail(['--memory-reservation', '1m', 'mem'], /Minimum memory reservation allowed is 6MB/);
    await tgt.ok(['update', '--cpuset-cpus', '1', '--cpuset-mems', '0', 'mem']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.HostConfig.CpusetCpus}} {{.HostConfig.CpusetMems}} {{.HostConfig.MemoryReservation}}', 'mem'])).stdout, '1 0 16777216\n');
    assert.equal(cgroupFile(pid, 'cpuset', 'cpuset.cpus'), '1');
    await fail(['--cpuset-cpus', '7', 'mem'], /Requested CPUs are not available - requested 7, available: 0-1/);
    await fail(['--cpuset-cpus', 'x', 'mem'], /Invalid value x for cpuset cpus: invalid format: x/);
    await fail(['--cpuset-mems', '3', 'mem'], /Requested memory nodes are not available - requested 3, available: 0/);
    // --cpus and a CFS period/quota exclude each other, also across updates.
    await fail(['--cpu-period', '50000', 'nano'], /Cannot update container [0-9a-f]{64}: Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set/);
    await fail(['--cpus', '1', 'cfs'], /Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set/);
    await fail(['--cpu-quota', '500', 'cfs'], /CPU cfs quota can not be less than 1ms \(i.e. 1000\)/);
    await fail(['--cpu-period', '100', 'cfs'], /CPU cfs period can not be less than 1ms \(i.e. 1000\) or larger than 1s \(i.e. 1000000\)/);
    await tgt.ok(['update', '--cpu-period', '20000', '--cpu-quota', '10000', 'cfs']);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.NanoCpus}}', 'cfs'])).stdout, '20000 10000 0\n');
    const cfsPid = (await tgt.ok(['inspect', '-f', '{{.State.Pid}}', 'cfs'])).stdout.trim();
    assert.deepEqual([cgroupFile(cfsPid, 'cpu', 'cpu.cfs_period_us'), cgroupFile(cfsPid, 'cpu', 'cpu.cfs_quota_us')], ['20000', '10000']);
    // A weight this host's block layer cannot apply: taken with dockerd's warning (after the name, on stdout), and dropped.
    if (!fs.existsSync('/sys/fs/cgroup/blkio/blkio.weight')) {
      const w = await tgt.ok(['update', '--blkio-weight', '300', 'mem']);
      assert.equal(w.stdout, 'mem\nYour kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.\n');
      assert.equal((await tgt.ok(['inspect', '-f', '{{.HostConfig.BlkioWeight}}', 'mem'])).stdout, '0\n');
    }
  });
});
