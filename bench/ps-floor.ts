// `docker ps` with N containers running on berthd, against the docker CLI's
// own floor: the same CLI given berthd's very answer by a stand-in engine
// that does nothing but write the recorded bytes (lib/replay-engine.ts).
// What berthd costs over that floor is its share; the rest is the CLI
// decoding and formatting N entries, which no engine can take away.
//
//   bin/node24 --disable-warning=ExperimentalWarning bench/ps-floor.ts \
//     [--count 1000] [--runs 15] [--warmup 2] [--parallel 6] [--runtime crun] [--dockerd 3]
//     [--save-list FILE] [--no-write]
//
// N `busybox sleep` containers (`--network none`) are created and started
// through the API, --parallel at a time. Each client command then runs once
// through the stand-in while it passes requests on to berthd and records
// the answers (`/_ping`, the version's negotiation, the list at the
// client's API version), and from then on against berthd and against the
// replay, alternating: `docker ps`, `docker ps --format '{{.ID}}'`,
// `docker ps -q`, `docker ps -n 1` (one entry: the CLI's fixed part),
// `berth ps`, `berth ps -q`, `berth ps -n 1`, and bench/cli-floor.cjs (node
// printing the list's body: a Node client's floor), plus the list request
// alone (connect to last byte, no client process). With --dockerd M > 0 a
// private dockerd runs M of the same containers, and its /v1.41 list entry
// is compared with berthd's (fields, bytes per entry).

import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  BERTH, DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd,
} from '../test/helpers/daemon.ts';
import { apiRequest } from '../test/helpers/api.ts';
import { crunHostProblem } from '../src/runtime/runtimes.ts';
import { describeMachine, fmtMs, writeSection } from './lib/report.ts';
import { type Summary, summarize } from './lib/stats.ts';
import { type ReplayEngine, startReplayEngine } from './lib/replay-engine.ts';
import { compareListShapes, type ShapeReport } from './lib/list-shape.ts';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '2' },
    parallel: { type: 'string', default: '6' },
    runtime: { type: 'string', default: 'crun' },
    dockerd: { type: 'string', default: '3' },
    /** Write the docker CLI's recorded list body here (to study the clients' side without a daemon). */
    'save-list': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const N = Number(opts.count);
const RUNS = Number(opts.runs);
const WARMUP = Number(opts.warmup);
const PAR = Number(opts.parallel);
const DOCKERD_N = Number(opts.dockerd);
const NODE = `${REPO_ROOT}/node_modules/node/bin/node`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

interface Client {
  label: string;
  cmd: string;
  args: string[];
  /** Lines of output expected with N running. */
  lines: number | null;
}

const CLIENTS: Client[] = [
  { label: '`docker ps`', cmd: DOCKER_CLI, args: ['ps'], lines: N + 1 },
  { label: "`docker ps --format '{{.ID}}'`", cmd: DOCKER_CLI, args: ['ps', '--format', '{{.ID}}'], lines: N },
  { label: '`docker ps -q`', cmd: DOCKER_CLI, args: ['ps', '-q'], lines: N },
  { label: '`docker ps -n 1` (one entry: the CLI\'s fixed part)', cmd: DOCKER_CLI, args: ['ps', '-n', '1'], lines: 2 },
  { label: '`berth ps`', cmd: BERTH, args: ['ps'], lines: N + 1 },
  { label: '`berth ps -q`', cmd: BERTH, args: ['ps', '-q'], lines: N },
  { label: '`berth ps -n 1`', cmd: BERTH, args: ['ps', '-n', '1'], lines: 2 },
  { label: '`node bench/cli-floor.cjs /containers/json` (prints the body)', cmd: NODE, args: [`${REPO_ROOT}/bench/cli-floor.cjs`, '/containers/json'], lines: null },
];

async function createAndStart(d: PrivateDaemon, i: number, runtime: string): Promise<void> {
  const c = await apiRequest(d.socket, 'POST', `/containers/create?name=ps${i}`, {
    timeout: 120_000,
    body: { Image: 'busybox', Cmd: ['sleep', '1000000'], HostConfig: { NetworkMode: 'none', Runtime: runtime } },
  });
  if (c.status !== 201) throw new Error(`create ps${i}: ${c.status} ${c.body.trim()}`);
  const id = (JSON.parse(c.body) as { Id: string }).Id;
  const s = await apiRequest(d.socket, 'POST', `/containers/${id}/start`, { timeout: 120_000 });
  if (s.status !== 204) throw new Error(`start ps${i}: ${s.status} ${s.body.trim()}`);
}

/** n at a time over 0..count-1; the first failure stops the rest and is thrown. */
async function pool(count: number, n: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: Error | undefined;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < count && !failed) {
      const i = next++;
      await fn(i).catch((e: Error) => { failed ??= e; });
    }
  }));
  if (failed) throw failed;
}

async function timedClient(c: Client, env: NodeJS.ProcessEnv, where: string): Promise<number> {
  const r = await run(c.cmd, c.args, { env, timeout: 120_000 });
  if (r.code !== 0) throw new Error(`${c.label} against ${where} exited ${r.code}: ${r.stderr.trim().split('\n')[0]}`);
  const lines = r.stdout.split('\n').filter(Boolean).length;
  if (c.lines !== null && lines !== c.lines) throw new Error(`${c.label} against ${where}: ${lines} lines, expected ${c.lines}`);
  return r.ms;
}

/** One GET on a fresh connection, connect to last byte of the body (Content-Length); returns ms and the body's size. */
function timedGet(socket: string, target: string): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = connect(socket);
    const chunks: Buffer[] = [];
    let got = 0;
    let want = -1;
    let headLen = 0;
    s.on('error', reject);
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (want < 0) {
        const all = Buffer.concat(chunks);
        const end = all.indexOf('\r\n\r\n');
        if (end < 0) return;
        headLen = end + 4;
        want = Number(/content-length:\s*(\d+)/i.exec(all.toString('latin1', 0, end))?.[1] ?? NaN);
        if (Number.isNaN(want)) { s.destroy(); reject(new Error(`${target}: no Content-Length`)); return; }
      }
      if (got - headLen >= want) {
        const ms = performance.now() - t0;
        s.destroy();
        resolve({ ms, bytes: want });
      }
    });
    s.write(`GET ${target} HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n`);
  });
}

interface Row { label: string; berthd: number[]; floor: number[] }

function rowText(r: Row): string {
  const b = summarize(r.berthd);
  const f = summarize(r.floor);
  return `| ${r.label} | ${fmtMs(b.median)} | ${fmtMs(f.median)} | ${fmtMs(b.median - f.median)} | ${fmtMs(b.min)} | ${fmtMs(f.min)} | ${fmtMs(b.min - f.min)} |`;
}

async function main(): Promise<void> {
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const runtime = opts.runtime === 'crun' && crunHostProblem() ? 'runc' : opts.runtime!;
  const startedAt = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const loads: string[] = [`${load()} at the start`];
  const rows: Row[] = CLIENTS.map((c) => ({ label: c.label, berthd: [], floor: [] }));
  const api: Row = { label: 'the list request alone (connect to last byte, no client process)', berthd: [], floor: [] };
  let listKey: string | undefined;
  let bytes = 0;
  let recorded: string[] | undefined;
  let shapes: ShapeReport | undefined;
  let startMs: number | undefined;
  const notes: string[] = [];
  let d: PrivateDaemon | undefined;
  let stand: ReplayEngine | undefined;
  try {
    d = await startBerthd({ startTimeoutMs: 120_000 });
    const t0 = performance.now();
    await pool(N, PAR, (i) => createAndStart(d!, i, runtime));
    startMs = performance.now() - t0;
    console.error(`${N} running after ${(startMs / 1000).toFixed(1)} s; load ${load()}`);
    stand = await startReplayEngine(d.socket, d.env);
    // Record: each client once through the stand-in while it passes requests on.
    for (const c of CLIENTS) await timedClient(c, stand.env, 'the recording stand-in');
    stand.replay();
    recorded = [...stand.answers.keys()];
    // The docker CLI's (the first client's) list request.
    listKey = recorded.find((k) => k.startsWith('GET ') && k.includes('/containers/json'))!;
    const target = listKey.slice(4);
    if (opts['save-list']) {
      const answer = stand.answers.get(listKey)!;
      writeFileSync(opts['save-list'], answer.subarray(answer.indexOf('\r\n\r\n') + 4));
    }
    const targets: Array<[string, NodeJS.ProcessEnv, string]> = [['berthd', d.env, d.socket], ['stand-in', stand.env, stand.socket]];
    for (let i = 0; i < WARMUP; i++) for (const [where, env] of targets) for (const c of CLIENTS) await timedClient(c, env, where);
    loads.push(`${load()} when the timed rounds began`);
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 === 0 ? targets : [...targets].reverse();
      for (const [k, c] of CLIENTS.entries()) {
        for (const [where, env] of order) rows[k]![where === 'berthd' ? 'berthd' : 'floor'].push(await timedClient(c, env, where));
      }
      for (const [where, , socket] of order) {
        const g = await timedGet(socket, target);
        bytes = g.bytes;
        api[where === 'berthd' ? 'berthd' : 'floor'].push(g.ms);
      }
    }
    loads.push(`${load()} at the end of the rounds`);
    if (stand.misses.length) throw new Error(`the stand-in had no answer for: ${[...new Set(stand.misses)].join(', ')}`);
    if (DOCKERD_N > 0) {
      try {
        shapes = await compareListShapes(d, DOCKERD_N, () => startDockerd());
      } catch (e) {
        if (!(e instanceof DaemonUnavailable)) throw e;
        notes.push(`dockerd not compared: ${e.message.split('\n')[0]}`);
      }
    }
    // Remove all, 8 at a time (d.cleanup() would also take them down, without the API).
    const list = JSON.parse((await apiRequest(d.socket, 'GET', '/containers/json?all=1', { timeout: 120_000 })).body) as { Id: string }[];
    await pool(list.length, 8, async (i) => { await apiRequest(d!.socket, 'DELETE', `/containers/${list[i]!.Id}?force=1`, { timeout: 120_000 }); });
  } finally {
    await stand?.close().catch((e) => console.error(String(e)));
    await d?.cleanup().catch((e) => console.error(String(e)));
  }
  const ps = summarize(rows[0]!.berthd);
  const psFloor = summarize(rows[0]!.floor);
  const a: Summary = summarize(api.berthd);
  console.log(`docker ps: berthd ${fmtMs(ps.median)} (min ${fmtMs(ps.min)}), stand-in ${fmtMs(psFloor.median)} (min ${fmtMs(psFloor.min)}); API list ${fmtMs(a.median)}; loads ${loads.join('; ')}`);
  const out = [
    '## `ps` with 1,000 running, against the docker CLI\'s floor',
    '',
    `Measured ${startedAt} UTC by \`bench/ps-floor.ts --count ${N} --runs ${RUNS} --runtime ${runtime}\` (berthd commit ${commit}) on ${machine.cpus} CPUs, ${machine.memGiB} GiB, ` +
      `Node ${machine.node}, docker CLI ${machine.dockerCli}. ${N} running after ${(startMs / 1000).toFixed(1)} s. Load average (1, 5, 15 min): ${loads.join('; ')}.`,
    '',
    `The list the docker CLI asks for (\`${listKey}\`): ${bytes} bytes, ${(bytes / N).toFixed(0)} per container. Recorded: ${recorded.map((k) => `\`${k}\``).join(', ')}.`,
    '',
    `| ${RUNS} alternating runs | berthd median | stand-in median | berthd over it | berthd min | stand-in min | berthd over it (min) |`,
    '|---|---|---|---|---|---|---|',
    ...rows.map(rowText),
    rowText(api),
    '',
    ...(shapes ? [shapes.text, ''] : []),
    'How: a private berthd; the containers created and started through the API, `busybox sleep 1000000`, `--network none`. ' +
      'The stand-in (`bench/lib/replay-engine.ts`) first passes each client\'s requests to berthd and records every answer whole ' +
      '(status line, headers, body; `/_ping` and the list at the client\'s API version), then answers from the recording ' +
      'on its own unix socket, writing the bytes and nothing else. A sample is one client process, spawn to exit; each ' +
      'command runs against berthd and the stand-in back to back, the order swapped every round. The replayed Status ' +
      'texts are those of the recording moment. The list request alone is one GET on a fresh connection from this ' +
      'process, connect to the body\'s last byte.',
    ...notes.map((x) => `\n${x}`),
  ].join('\n');
  console.log(out);
  if (!opts['no-write']) writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'ps-floor', out);
}

await main();
