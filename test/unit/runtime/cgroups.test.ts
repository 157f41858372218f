import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupMounts, cgroupsPathFor, detectCgroups, releaseCgroupMemory, removeCgroup } from '../../../src/runtime/cgroups.ts';

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

test('releaseCgroupMemory: force_empty on v1, memory.reclaim of memory.current on v2, nothing elsewhere', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-release-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = (name: string, files: Record<string, string>) => {
    const d = path.join(root, name);
    fs.mkdirSync(d);
    for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(d, f), v);
    return d;
  };
  const v1 = dir('v1-memory', { 'memory.force_empty': '' });
  const v2 = dir('v2', { 'memory.current': '1228800\n', 'memory.reclaim': '' });
  const v2Empty = dir('v2-empty', { 'memory.current': '0\n', 'memory.reclaim': '' });
  const pids = dir('v1-pids', { 'pids.max': 'max\n' });
  await releaseCgroupMemory([v1, v2, v2Empty, pids, path.join(root, 'gone')]);
  assert.equal(fs.readFileSync(path.join(v1, 'memory.force_empty'), 'utf8'), '0');
  assert.equal(fs.readFileSync(path.join(v2, 'memory.reclaim'), 'utf8'), '1228800');
  assert.equal(fs.readFileSync(path.join(v2Empty, 'memory.reclaim'), 'utf8'), '');
  assert.deepEqual(fs.readdirSync(pids), ['pids.max']);
});
