import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupMounts, cgroupsPathFor, detectCgroups, removeCgroup } from '../../../src/runtime/cgroups.ts';

test('cgroup mounts come from mountinfo, cgroup and cgroup2 only', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cg-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const info = path.join(dir, 'mountinfo');
  fs.writeFileSync(info, [
    '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755',
    '31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw',
    '33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct',
    '34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid shared:9 master:3 - cgroup cgroup rw,memory',
  ].join('\n'));
  assert.deepEqual(cgroupMounts(info), ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/memory']);
});

test('removeCgroup removes the container dir in every hierarchy, children first, missing ok', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cg-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  fs.mkdirSync(path.join(a, 'berth/c1/child'), { recursive: true });
  fs.mkdirSync(path.join(b, 'berth'), { recursive: true });
  fs.mkdirSync(path.join(a, 'berth/c2'), { recursive: true });
  assert.deepEqual(removeCgroup(cgroupsPathFor('c1'), [a, b]), { busy: [] });
  assert.ok(!fs.existsSync(path.join(a, 'berth/c1')));
  assert.ok(fs.existsSync(path.join(a, 'berth/c2')), 'siblings stay');
  assert.throws(() => removeCgroup('/', [a]), /root cgroup/);
});

test('detectCgroups reads this host', () => {
  const info = detectCgroups();
  assert.ok(info.version === '1' || info.version === '2');
  if (info.version === '2') assert.equal(info.hybrid, false);
  if (info.hybrid) assert.ok(info.unifiedMount);
});
