// Container stats read from recorded cgroupfs trees: a pure cgroup v2 host
// (most users' machines; these hybrid hosts cannot give a v2 hierarchy any
// controller, so the v2 path is checked here against files as a v2 kernel
// writes them) and the v1 layout beside it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { cgroupPids, openCgroupCpu, readCgroupCpu, readCgroupRest, readCgroupStats } from '../../../src/runtime/cgroup-stats.ts';
import { StatFiles, openFileLimit } from '../../../src/runtime/stat-files.ts';
import { cgroupsPathFor, type CgroupInfo } from '../../../src/runtime/cgroups.ts';

const root = mkdtempSync(join(tmpdir(), 'berth-cgfs-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const id = 'c'.repeat(64);
const host = { system: 123_000_000_000, onlineCpus: 2 };
const now = '2026-12-04T21:00:00.000000000Z';
const v2: CgroupInfo = { version: '2', hybrid: false, unifiedMount: root, swapAccounting: true };
const v1: CgroupInfo = { version: '1', hybrid: true, unifiedMount: null, swapAccounting: true };

function tree(base: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const file = join(base, name);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
  }
}

test('cgroup v2: cpu.stat, memory.*, pids.*, io.stat of <root>/berth/<id>', () => {
  const dir = join(root, 'v2', cgroupsPathFor(id));
  tree(dir, {
    'cpu.stat': 'usage_usec 52345\nuser_usec 31000\nsystem_usec 21345\ncore_sched.force_idle_usec 0\nnr_periods 12\nnr_throttled 3\nthrottled_usec 4567\nnr_bursts 0\nburst_usec 0\n',
    'memory.current': '1052672\n',
    'memory.max': '67108864\n',
    'memory.stat': 'anon 315392\nfile 487424\nkernel 217088\nshmem 0\ninactive_file 4096\nactive_file 483328\npgfault 911\n',
    'pids.current': '2\n',
    'pids.max': '50\n',
    'io.stat': '254:0 rbytes=1234 wbytes=5678 rios=3 wios=4 dbytes=0 dios=0\n',
  });
  const s = readCgroupStats(id, host, now, v2, undefined, join(root, 'v2'))!;
  assert.deepEqual(s.cpu, {
    total: 52_345_000, kernel: 21_345_000, user: 31_000_000, ...host,
    throttling: { periods: 12, throttledPeriods: 3, throttledTime: 4_567_000 },
  });
  assert.equal(s.memory.usage, 1052672);
  assert.equal(s.memory.limit, Math.min(67108864, totalmem()));
  assert.equal(s.memory.stats.inactive_file, 4096);
  assert.equal(s.memory.stats.anon, 315392);
  assert.deepEqual(s.pids, { current: 2, limit: 50 });
  assert.deepEqual(s.blkio.serviceBytes, [{ major: 254, minor: 0, op: 'read', value: 1234 }, { major: 254, minor: 0, op: 'write', value: 5678 }]);
  assert.deepEqual(s.blkio.serviced, [{ major: 254, minor: 0, op: 'read', value: 3 }, { major: 254, minor: 0, op: 'write', value: 4 }]);
});

test('cgroup v2: "max" limits read as none (memory: the host\'s), a cgroup that is gone reads as null', () => {
  const other = 'd'.repeat(64);
  tree(join(root, 'v2max', cgroupsPathFor(other)), {
    'cpu.stat': 'usage_usec 1\nuser_usec 1\nsystem_usec 0\n',
    'memory.current': '4096\n', 'memory.max': 'max\n', 'pids.current': '1\n', 'pids.max': 'max\n', 'io.stat': '',
  });
  const s = readCgroupStats(other, host, now, v2, undefined, join(root, 'v2max'))!;
  assert.equal(s.memory.limit, totalmem());
  assert.deepEqual(s.pids, { current: 1 });
  assert.deepEqual(s.blkio, { serviceBytes: [], serviced: [] });
  assert.equal(readCgroupStats('e'.repeat(64), host, now, v2, undefined, join(root, 'v2max')), null);
});

test('cgroup v1: one directory per controller', () => {
  const base = join(root, 'v1');
  const rel = cgroupsPathFor(id);
  tree(base, {
    [`cpuacct${rel}/cpuacct.usage`]: '52345000\n',
    [`cpuacct${rel}/cpuacct.usage_percpu`]: '30000000 22345000 \n',
    [`cpuacct${rel}/cpuacct.stat`]: 'user 3\nsystem 2\n',
    [`cpu${rel}/cpu.stat`]: 'nr_periods 12\nnr_throttled 3\nthrottled_time 4567000\n',
    [`memory${rel}/memory.usage_in_bytes`]: '1052672\n',
    [`memory${rel}/memory.max_usage_in_bytes`]: '2097152\n',
    [`memory${rel}/memory.limit_in_bytes`]: '9223372036854771712\n',
    [`memory${rel}/memory.stat`]: 'cache 487424\nrss 315392\ntotal_inactive_file 4096\n',
    [`pids${rel}/pids.current`]: '2\n',
    [`pids${rel}/pids.max`]: 'max\n',
    [`blkio${rel}/blkio.io_service_bytes_recursive`]: '254:0 Read 1234\n254:0 Write 5678\n254:0 Total 6912\nTotal 6912\n',
    [`blkio${rel}/blkio.io_serviced_recursive`]: '254:0 Read 3\n254:0 Write 4\n',
  });
  const s = readCgroupStats(id, host, now, v1, undefined, base)!;
  assert.equal(s.cpu.total, 52_345_000);
  assert.deepEqual(s.cpu.perCpu, [30_000_000, 22_345_000]);
  assert.equal(s.cpu.user, 30_000_000);
  assert.equal(s.cpu.kernel, 20_000_000);
  assert.deepEqual(s.cpu.throttling, { periods: 12, throttledPeriods: 3, throttledTime: 4_567_000 });
  assert.equal(s.memory.limit, totalmem(), 'the v1 "unlimited" value reads as the host memory');
  assert.equal(s.memory.maxUsage, 2097152);
  assert.deepEqual(s.pids, { current: 2 });
  assert.deepEqual(s.blkio.serviceBytes.map((e) => `${e.op}=${e.value}`), ['Read=1234', 'Write=5678', 'Total=6912']);
});

test('the CPU figures alone: the same as in the whole read, from the CPU files only (v1: 4 of them, v2: cpu.stat)', () => {
  const base = join(root, 'v1');
  const files = new StatFiles(100);
  // Opened ahead of the sweep that reads them, which then opens nothing more.
  openCgroupCpu(id, files, v1, base);
  assert.equal(files.held, 4);
  const cpu = readCgroupCpu(id, host, now, v1, files, base)!;
  assert.deepEqual(Object.keys(cpu), ['read', 'cpu']);
  assert.deepEqual(cpu.cpu, readCgroupStats(id, host, now, v1, undefined, base)!.cpu);
  assert.equal(cpu.read, now);
  assert.equal(files.held, 4, 'cpuacct.usage, cpuacct.usage_percpu, cpuacct.stat, cpu.stat');
  const rest = readCgroupRest(id, v1, files, base);
  assert.deepEqual({ ...cpu, ...rest }, readCgroupStats(id, host, now, v1, undefined, base));
  assert.ok(files.held > 4);
  files.close();

  const v2files = new StatFiles(100);
  const c2 = readCgroupCpu(id, host, now, v2, v2files, join(root, 'v2'))!;
  assert.deepEqual(c2.cpu, readCgroupStats(id, host, now, v2, undefined, join(root, 'v2'))!.cpu);
  assert.equal(v2files.held, 1);
  v2files.close();
  assert.equal(readCgroupCpu('e'.repeat(64), host, now, v2, undefined, join(root, 'v2')), null);
});

test('a daemon --cgroup-parent is where stats and top look: <root>/<parent>/<id>, not /berth/<id>', () => {
  const base = join(root, 'parent');
  const rel = cgroupsPathFor(id, '/other-parent');
  tree(base, {
    [`${rel}/cpu.stat`]: 'usage_usec 7\nuser_usec 5\nsystem_usec 2\n',
    [`${rel}/memory.current`]: '8192\n', [`${rel}/memory.max`]: 'max\n',
    [`${rel}/pids.current`]: '3\n', [`${rel}/pids.max`]: 'max\n', [`${rel}/io.stat`]: '',
    [`${rel}/cgroup.procs`]: '41\n42\n43\n',
  });
  assert.equal(readCgroupStats(id, host, now, v2, undefined, base), null, 'nothing under the default parent');
  const s = readCgroupStats(id, host, now, v2, undefined, base, '/other-parent')!;
  assert.equal(s.cpu.total, 7_000);
  assert.deepEqual(s.pids, { current: 3 });
  assert.deepEqual(cgroupPids(id, v2, '/other-parent', base), [41, 42, 43]);
  assert.deepEqual(cgroupPids(id, v2, '/berth', base), []);
});

test('StatFiles keeps at most its limit of descriptors open and reads the rest one-off; retain gives them back', () => {
  const dir = join(root, 'statfiles');
  const files = Array.from({ length: 6 }, (_, i) => join(dir, `f${i}`));
  tree(dir, Object.fromEntries(files.map((f, i) => [f.slice(dir.length + 1), `v${i}`])));
  const sf = new StatFiles(4);
  for (const [i, f] of files.entries()) {
    sf.use(`c${i % 3}`);
    assert.equal(sf.read(f), `v${i}`);
  }
  assert.equal(sf.held, 4);
  // Cached or not, a second pass reads what the files say now.
  writeFileSync(files[0]!, 'new0');
  writeFileSync(files[5]!, 'new5');
  sf.use('c0');
  assert.equal(sf.read(files[0]!), 'new0');
  sf.use('c2');
  assert.equal(sf.read(files[5]!), 'new5');
  assert.equal(sf.read(join(dir, 'missing')), null);
  assert.equal(sf.held, 4);
  sf.retain(new Set(['c1']));
  assert.equal(sf.held, 1); // c1's f1 (its f4 came past the limit)
  sf.close();
  assert.equal(sf.held, 0);
});

test('openFileLimit reads this process\'s soft RLIMIT_NOFILE; StatFiles without a fixed cap keeps what the limit leaves free', () => {
  const n = openFileLimit();
  assert.ok(Number.isInteger(n) && n >= 64, String(n));
  const dir = join(root, 'fit');
  tree(dir, { a: '1', b: '2' });
  const sf = new StatFiles();
  sf.use('c');
  assert.equal(sf.read(join(dir, 'a')), '1');
  assert.equal(sf.held, 0, 'before fitToLimit nothing is kept');
  sf.fitToLimit();
  assert.equal(sf.read(join(dir, 'b')), '2');
  assert.equal(sf.held, 1);
  sf.close();
});
