// `berth stats --no-stream` in-process against a fake daemon: every
// container's request goes out at once (as the docker CLI's do), each asks
// for one sample (stream=0), and the table shows docker's figures.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDaemon } from './fake-daemon.ts';
import { berth } from './helpers.ts';

const N = 20;
const ids = Array.from({ length: N }, (_, i) => `${i.toString(16).padStart(2, '0')}`.repeat(32));

function sample(i: number): unknown {
  return {
    read: '2025-06-01T12:00:01.000000000Z', preread: '2025-06-01T12:00:00.800000000Z', name: `/s${i}`, id: ids[i],
    cpu_stats: { cpu_usage: { total_usage: 400_000_000, percpu_usage: [200_000_000, 200_000_000] }, system_cpu_usage: 2_000_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 200_000_000 }, system_cpu_usage: 1_000_000_000, online_cpus: 2 },
    memory_stats: { usage: 8_392_704, limit: 2 * 2 ** 30, stats: { total_inactive_file: 4096 } },
    networks: { eth0: { rx_bytes: 1000, tx_bytes: 2000 } },
    blkio_stats: { io_service_bytes_recursive: [{ major: 8, minor: 0, op: 'Read', value: 1_000_000 }, { major: 8, minor: 0, op: 'Write', value: 0 }] },
    pids_stats: { current: 3 },
  };
}

test('stats --no-stream: one stream=0 request per container, all in flight at once, docker\'s columns', async (t) => {
  const d = new FakeDaemon();
  let inFlight = 0;
  let most = 0;
  const waiting: Array<() => void> = [];
  d.on('GET', /^\/events$/, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
  });
  d.on('GET', /^\/containers\/json$/, () => ({ json: ids.map((id, i) => ({ Id: id, Names: [`/s${i}`], State: 'running' })) }));
  d.on('GET', /^\/containers\/[0-9a-f]+\/stats$/, async (req) => {
    const i = ids.findIndex((id) => id.startsWith(req.path.split('/')[2]!));
    inFlight++;
    most = Math.max(most, inFlight);
    // Answer once every request has arrived (or after a second: a client that sends a few at a time).
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length === N) for (const w of waiting) w();
      setTimeout(resolve, 1000).unref();
    });
    inFlight--;
    return { json: sample(i) };
  });
  await d.start();
  t.after(() => d.stop());

  const r = await berth(['-H', d.host, 'stats', '--no-stream']);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  const stats = d.requests.filter((q) => q.path.endsWith('/stats'));
  assert.equal(stats.length, N);
  for (const q of stats) assert.equal(q.query.toString(), 'stream=0');
  assert.equal(most, N, 'every request in flight at once');
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O     BLOCK I/O   PIDS');
  assert.equal(lines.length, N + 1);
  for (const [i, line] of lines.slice(1).entries()) {
    assert.deepEqual(line.split(/ {2,}/), [ids[i]!.slice(0, 12), `s${i}`, '40.00%', '8MiB / 2GiB', '0.39%', '1kB / 2kB', '1MB / 0B', '3']);
  }
});
