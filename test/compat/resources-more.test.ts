// The rest of docker run's resource and isolation flags, each seen where it
// lands: inspect, the container's cgroup files (cgroup v1 here; a v2-only
// host has the unified files instead and skips those checks), /proc and the
// process's own view. Checked against a private dockerd first
// (COMPAT_TARGET=dockerd).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { compatSuite, lines } from './target.ts';

const MiB = 1024 * 1024;
const V1 = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
// A block device for the throttles: loop0 (7:0) is on every machine of this kind.
const BLOCK = '/dev/loop0';

function cgroupFile(pid: string, ctrl: string, name: string): string {
  const cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  const path = cg.split('\n').find((l) => l.split(':')[1]?.split(',').includes(ctrl))?.split(':')[2];
  return fs.readFileSync(`/sys/fs/cgroup/${ctrl}${path}/${name}`, 'utf8').trim();
}

compatSuite('resources, the remaining flags', (s) => {
  s.test('swappiness, oom-kill-disable, --cpus, cpuset mems, blkio throttles, device cgroup rules and --shm-size', async (tgt, t) => {
    if (!fs.existsSync(BLOCK)) return t.skip(`${BLOCK} missing`);
    await tgt.ok(['run', '-d', '--name', 'more', '--memory', '64m', '--memory-swappiness', '10', '--oom-kill-disable',
      '--cpus', '0.5', '--cpuset-mems', '0', '--device-read-bps', `${BLOCK}:1mb`, '--device-write-iops', `${BLOCK}:100`,
      '--device-write-bps', `${BLOCK}:2mb`, '--device-read-iops', `${BLOCK}:50`,
      '--device-cgroup-rule', 'c 42:* rmw', '--shm-size', '16m', 'busybox', 'sleep', '1000']);
    const f = await tgt.ok(['inspect', '-f', [
      '{{.HostConfig.MemorySwappiness}} {{.HostConfig.OomKillDisable}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpusetMems}}',
      '{{.HostConfig.ShmSize}} {{json .HostConfig.DeviceCgroupRules}}',
      '{{json .HostConfig.BlkioDeviceReadBps}} {{json .HostConfig.BlkioDeviceWriteIOps}}'].join(' '), 'more']);
    assert.equal(f.stdout.trim(), `10 true 500000000 0 ${16 * MiB} ["c 42:* rmw"] [{"Path":"${BLOCK}","Rate":1048576}] [{"Path":"${BLOCK}","Rate":100}]`);
    const shm = (await tgt.ok(['exec', 'more', 'grep', ' /dev/shm ', '/proc/mounts'])).stdout;
    assert.match(shm, /size=16384k/);
    if (!V1) return;
    const pid = (await tgt.ok(['inspect', '-f', '{{.State.Pid}}', 'more'])).stdout.trim();
    assert.equal(cgroupFile(pid, 'memory', 'memory.swappiness'), '10');
    assert.match(cgroupFile(pid, 'memory', 'memory.oom_control'), /^oom_kill_disable 1$/m);
    assert.equal(cgroupFile(pid, 'cpu', 'cpu.cfs_quota_us'), String(Number(cgroupFile(pid, 'cpu', 'cpu.cfs_period_us')) / 2));
    assert.equal(cgroupFile(pid, 'cpuset', 'cpuset.mems'), '0');
    assert.equal(cgroupFile(pid, 'blkio', 'blkio.throttle.read_bps_device'), '7:0 1048576');
    assert.equal(cgroupFile(pid, 'blkio', 'blkio.throttle.write_bps_device'), '7:0 2097152');
    assert.equal(cgroupFile(pid, 'blkio', 'blkio.throttle.read_iops_device'), '7:0 50');
    assert.equal(cgroupFile(pid, 'blkio', 'blkio.throttle.write_iops_device'), '7:0 100');
    assert.ok(lines(cgroupFile(pid, 'devices', 'devices.list')).includes('c 42:* rwm'), 'the device cgroup rule is in devices.list');
  });

  s.test('--read-only with a --tmpfs, --user uid:gid, and the options that only need accepting', async (tgt) => {
    const ro = await tgt.ok(['run', '--rm', '--read-only', '--tmpfs', '/scratch', 'busybox', 'sh', '-c',
      'touch /x 2>/dev/null && echo root-writable; touch /scratch/y && echo tmpfs-writable']);
    assert.deepEqual(lines(ro.stdout), ['tmpfs-writable']);
    const roMount = await tgt.ok(['run', '--rm', '--read-only', 'busybox', 'sh', '-c', 'grep " / " /proc/mounts | cut -d" " -f4 | cut -d, -f1']);
    assert.equal(roMount.stdout.trim(), 'ro');
    const user = await tgt.ok(['run', '--rm', '--user', '1000:1001', 'busybox', 'sh', '-c', 'id -u; id -g; touch /tmp/z && stat -c "%u:%g" /tmp/z']);
    assert.deepEqual(lines(user.stdout), ['1000', '1001', '1000:1001']);
    // Accepted and without effect here: AppArmor is not on these hosts, isolation has one value on Linux, no remapping to leave.
    await tgt.ok(['run', '--rm', '--security-opt', 'apparmor=unconfined', '--isolation', 'default', '--userns', 'host', 'busybox', 'true']);
    const insp = await tgt.ok(['create', '--name', 'acc', '--userns', 'host', '--isolation', 'default', 'busybox', 'true']);
    void insp;
    assert.equal((await tgt.ok(['inspect', '-f', '{{.HostConfig.UsernsMode}}|{{.HostConfig.Isolation}}', 'acc'])).stdout.trim(), 'host|default');
  });

  s.test('bad values: --cpus above the machine, a sysctl that is not namespaced, an isolation Linux lacks', async (tgt) => {
    const n = os.availableParallelism();
    const cpus = await tgt.fails(['create', '--cpus', String(n + 1), 'busybox', 'true'], 1);
    assert.match(cpus.stderr, new RegExp(`Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`));
    const sysctl = await tgt.fails(['create', '--sysctl', 'vm.swappiness=1', 'busybox', 'true'], 125);
    assert.match(sysctl.stderr, /sysctl 'vm.swappiness=1' is not (whitelisted|allowed)/);
    const iso = await tgt.fails(['create', '--isolation', 'hyperv', 'busybox', 'true'], 1);
    assert.match(iso.stderr, /Invalid isolation: "hyperv" - linux only supports 'default'/);
    assert.equal((await tgt.ok(['ps', '-aq'])).stdout, '');
    // Not given: inspect shows it empty, as dockerd does (only a given 'default' is kept).
    const plain = (await tgt.ok(['create', 'busybox', 'true'])).stdout.trim();
    assert.equal((await tgt.ok(['inspect', '-f', '[{{.HostConfig.Isolation}}]', plain])).stdout.trim(), '[]');
  });
});
