// berth's own CLI for pause, unpause, rename, top and update: docker's
// output (names echoed, top's table) against berthd.

import assert from 'node:assert/strict';
import { compatSuite, lines } from './target.ts';
import { BERTH, run } from '../helpers/daemon.ts';

compatSuite('berth CLI: pause, rename, top, update', (s) => {
  s.test('the commands print what docker prints and change what docker changes', async (tgt) => {
    const berth = (args: string[]) => run(BERTH, args, { env: tgt.daemon.env });
    await tgt.ok(['run', '-d', '--name', 'cli1', 'busybox', 'sh', '-c', 'sleep 1001 & sleep 1002']);
    let r = await berth(['pause', 'cli1']);
    assert.equal(r.stdout, 'cli1\n');
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Status}}', 'cli1'])).stdout, 'paused\n');
    r = await berth(['unpause', 'cli1', 'nosuch']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'cli1\n');
    assert.match(r.stderr, /No such container: nosuch/);
    let top = lines((await berth(['top', 'cli1'])).stdout);
    for (let i = 0; i < 30 && top.length < 3; i++) top = lines((await berth(['top', 'cli1'])).stdout);
    assert.match(top[0]!, /^UID {17}PID {17}PPID {16}C {19}STIME {15}TTY {17}TIME {16}CMD$/);
    assert.deepEqual(top.slice(1).map((l) => l.replace(/.*\d\d:\d\d:\d\d\s+/, '')).sort(), ['sleep 1001', 'sleep 1002']);
    assert.match(lines((await berth(['top', 'cli1', '-o', 'pid,comm'])).stdout)[0]!, /^PID\s+COMMAND$/);
    r = await berth(['rename', 'cli1', 'cli2']);
    assert.equal(r.code, 0);
    r = await berth(['rename', 'cli2', 'cli2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Renaming a container with the same name as its current name\nError: failed to rename container named cli2/);
    // No memory limit yet: like dockerd, a first one needs a swap limit with it.
    r = await berth(['update', '-m', '32m', 'cli2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time/);
    r = await berth(['update', '-m', '32m', '--memory-swap', '64m', '--memory-reservation', '16m', '--cpus', '0.5', '--cpuset-cpus', '0', '--restart', 'always', 'cli2']);
    assert.equal(r.stdout, 'cli2\n');
    assert.equal((await tgt.ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.MemoryReservation}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpusetCpus}} {{.HostConfig.RestartPolicy.Name}}', 'cli2'])).stdout,
      '33554432 67108864 16777216 500000000 0 always\n');
    r = await berth(['update', '-m', '1m', 'cli2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Minimum memory limit allowed is 6MB/);
  }, { only: 'berthd' });
});
