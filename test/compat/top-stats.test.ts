// docker top and docker stats against a running container: ps columns and
// options, the container's processes only, stats figures that reflect the
// cgroup (memory limit, pids), --no-stream for several containers at once.

import assert from 'node:assert/strict';
import { compatSuite, lines } from './target.ts';

compatSuite('top and stats', (s) => {
  s.test('top lists exactly the container\'s processes, with ps options', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'busy', 'busybox', 'sh', '-c', 'sleep 1001 & sleep 1002']);
    let out = '';
    for (let i = 0; i < 50 && !out.includes('sleep 1001'); i++) out = (await tgt.ok(['top', 'busy'])).stdout;
    const rows = lines(out);
    assert.match(rows[0]!, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    assert.deepEqual(rows.slice(1).map((r) => r.replace(/.*\d\d:\d\d:\d\d\s+/, '')).sort(), ['sleep 1001', 'sleep 1002']);
    const pids = lines((await tgt.ok(['top', 'busy', '-o', 'pid,comm'])).stdout);
    assert.match(pids[0]!, /^PID\s+COMMAND$/);
    assert.equal(pids.length, 3);
    const r = await tgt.fails(['top', 'busy', '--bogus'], 1);
    assert.match(r.stderr, /unknown gnu long option/);
    await tgt.ok(['create', '--name', 'cold', 'busybox']);
    const cold = await tgt.fails(['top', 'cold'], 1);
    assert.match(cold.stderr, /Container [0-9a-f]{64} is not running/);
  });

  s.test('stats --no-stream: limits, pids and docker\'s columns, for several containers', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 's1', '--network', 'none', '-m', '64m', 'busybox', 'sh', '-c', 'sleep 1001 & sleep 1002']);
    await tgt.ok(['run', '-d', '--name', 's2', 'busybox', 'sleep', '1000']);
    const table = lines((await tgt.ok(['stats', '--no-stream'])).stdout);
    assert.match(table[0]!, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    assert.equal(table.length, 3);
    const f = await tgt.ok(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}} {{.CPUPerc}} {{.NetIO}}', 's1']);
    // NetIO: "0B / 0B" without a network, a few hundred bytes on a bridge (ARP, router solicitations).
    assert.match(f.stdout, /^s1 [\d.]+[KM]iB \/ 64MiB 2 \d+\.\d\d% [\d.]+k?B \/ [\d.]+k?B\n$/);
    const one = await tgt.ok(['stats', '--no-stream', '--format', '{{.PIDs}}', 's2']);
    assert.equal(one.stdout, '1\n');
    await tgt.ok(['create', '--name', 'cold', 'busybox']);
    const cold = await tgt.ok(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', 'cold']);
    assert.equal(cold.stdout, 'cold 0B / 0B 0\n');
  });
});
