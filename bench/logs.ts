// Container logs, berthd beside the reference dockerd: the output path
// (a container writing SIZE bytes as fast as it can) and the read path
// (`logs --since` near the end, `--tail 100000`, the whole log) on the log
// that write left.
//
//   node_modules/.bin/node bench/logs.ts [--size 1G] [--line 64] [--runs 3]
//        [--whole-runs 1] [--cli-runs 5] [--target both|berthd|dockerd] [--no-write] [--floor] [--cold]
//
// The container's command is
//   if [ -e /wrote ]; then echo end; else yes <line> | head -c SIZE; touch /wrote; fi
// Its first start writes the bulk and exits (timed: API start to the wait's
// answer); 1.5 s later a second start appends one "end" line, so the log
// ends with a gap of more than a second: `--since <end - 1 s>` must find
// that last line without reading the bulk. The reads go through the API
// (bench/lib/log-drain.ts), the answer drained; they alternate between the
// daemons, after one `cat` of each log file has put it in the page cache.
// Beside them, the same file read by `cat` (cache) and `dd iflag=direct`
// (the disk) is what "disk speed" means here. With --floor, the same
// writer is also timed with its output into /dev/null inside the container
// (no pipe to the logging path: the writer's own speed) and with the
// `none` log driver (the pipe is read, nothing is written), on each daemon,
// in alternating rounds after the main write. The floor of the whole read
// is the same bytes in frames of the size berthd sent, from a minimal Node
// server (bench/lib/frame-server.ts) to the same client, once per whole run.
// The docker CLI itself then reads the whole log from berthd and from that
// server, --cli-runs times each, alternating, its output into /dev/null (a
// Go client takes the bytes with less CPU than the bench's Node client).
// With --cold, the docker CLI's whole read from berthd is also timed from
// the disk: before each read the log file's own pages are dropped from the
// page cache, and in the same round `dd bs=2M` reads the file the same way;
// "at disk speed" is the whole log in about dd's time for its file.

import { spawn } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { apiRequest } from '../test/helpers/api.ts';
import {
  DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd,
} from '../test/helpers/daemon.ts';
import { type Drained, drainLogs } from './lib/log-drain.ts';
import { describeMachine, fmtMs, fmtRatio, writeSection } from './lib/report.ts';
import { median } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    size: { type: 'string', default: '1G' },
    line: { type: 'string', default: '64' },
    runs: { type: 'string', default: '3' },
    'whole-runs': { type: 'string', default: '1' },
    'cli-runs': { type: 'string', default: '5' },
    target: { type: 'string', default: 'both' },
    'no-write': { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
    cold: { type: 'boolean', default: false },
  },
});

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s.trim());
  if (!m) throw new Error(`--size: a number of bytes with an optional K, M or G, not ${s}`);
  return Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase());
}
const SIZE = parseSize(opts.size!);
const LINE = Number(opts.line);
if (!(LINE >= 2 && LINE <= 4096)) throw new Error('--line: 2 to 4096 bytes');
const runs = Number(opts.runs);
const wholeRuns = Number(opts['whole-runs']);
const cliRuns = Number(opts['cli-runs']);
if (!['both', 'berthd', 'dockerd'].includes(opts.target!)) throw new Error(`--target: both, berthd or dockerd, not ${opts.target}`);

// A line of LINE bytes with its "\n", text that compresses like a log would not (no runs).
const TEXT = 'the quick brown fox jumps over the lazy dog 0123456789 '.repeat(80).slice(0, LINE - 1);
const CMD = `if [ -e /wrote ]; then echo end; else yes '${TEXT}' | head -c ${SIZE}; touch /wrote; fi`;
const MB = 1e6;
const human = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`);
const fmtS = (ms: number | undefined) => (ms === undefined ? 'n/a' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : fmtMs(ms));
const rate = (bytes: number, ms: number) => `${(bytes / MB / (ms / 1000)).toFixed(0)} MB/s`;

interface Result {
  name: 'berthd' | 'dockerd';
  d: PrivateDaemon;
  version: string;
  id: string;
  writeMs: number;
  logPath: string;
  logBytes: number;
  since: string;
  catMs: number;
  ddMs?: number;
  sinceRuns: Drained[];
  tailRuns: Drained[];
  wholeRuns: Drained[];
  /** --cold: whole reads by the docker CLI with the file's pages dropped from the cache first (ms), and `dd` of the file the same way. */
  coldRuns: number[];
  coldDdMs: number[];
  /** Whole reads by the docker CLI itself (`docker logs ID >/dev/null`), ms; the floor server's beside them. */
  cliMs: number[];
  cliFloorMs: number[];
  /** --floor: write times of the writer into /dev/null and with the none driver. */
  devNullMs: number[];
  noneMs: number[];
}

async function api(d: PrivateDaemon, method: string, path: string, want: number): Promise<string> {
  const r = await apiRequest(d.socket, method, `/v1.41${path}`, { timeout: 3_600_000 });
  if (r.status !== want) throw new Error(`${method} ${path} on ${d.kind}: ${r.status} ${r.body}`);
  return r.body;
}

async function startAndWait(d: PrivateDaemon, id: string): Promise<number> {
  const t0 = performance.now();
  await api(d, 'POST', `/containers/${id}/start`, 204);
  const body = JSON.parse(await api(d, 'POST', `/containers/${id}/wait`, 200)) as { StatusCode: number };
  if (body.StatusCode !== 0) throw new Error(`the writer exited ${body.StatusCode} on ${d.kind}`);
  return performance.now() - t0;
}

async function prepare(d: PrivateDaemon): Promise<Result> {
  const version = (await run(DOCKER_CLI, ['version', '-f', '{{.Server.Version}}'], { env: d.env })).stdout.trim();
  const c = await run(DOCKER_CLI, ['create', '--name', 'logbench', '--network', 'none', 'busybox', 'sh', '-c', CMD], { env: d.env });
  if (c.code !== 0) throw new Error(`docker create on ${d.kind}: ${c.stderr}`);
  const id = c.stdout.trim();
  const writeMs = await startAndWait(d, id);
  console.log(`${d.kind}: wrote ${human(SIZE)} in ${fmtS(writeMs)} (${rate(SIZE, writeMs)})`);
  await new Promise((r) => setTimeout(r, 1500));
  await startAndWait(d, id);
  const logPath = (await run(DOCKER_CLI, ['inspect', '-f', '{{.LogPath}}', id], { env: d.env })).stdout.trim();
  const logBytes = statSync(logPath).size;
  // The "end" line's time, from the daemon itself; since is one second before it.
  const last = await api(d, 'GET', `/containers/${id}/logs?stdout=1&timestamps=1&tail=1`, 200);
  const stamp = /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z end/.exec(last);
  if (!stamp) throw new Error(`no "end" line at the end of the log on ${d.kind}: ${JSON.stringify(last.slice(-100))}`);
  const since = `${Date.parse(`${stamp[1]}Z`) / 1000 - 1}.${stamp[2]}`;
  const cat = await run('sh', ['-c', `cat '${logPath}' >/dev/null`], { timeout: 600_000 });
  return { name: d.kind, d, version, id, writeMs, logPath, logBytes, since, catMs: cat.ms, sinceRuns: [], tailRuns: [], wholeRuns: [], coldRuns: [], coldDdMs: [], cliMs: [], cliFloorMs: [], devNullMs: [], noneMs: [] };
}

/** One throw-away container running `cmd` with `logArgs`, timed from start to exit. */
async function timedWriter(d: PrivateDaemon, logArgs: string[], cmd: string): Promise<number> {
  const c = await run(DOCKER_CLI, ['create', '--network', 'none', ...logArgs, 'busybox', 'sh', '-c', cmd], { env: d.env });
  if (c.code !== 0) throw new Error(`docker create on ${d.kind}: ${c.stderr}`);
  const id = c.stdout.trim();
  try {
    return await startAndWait(d, id);
  } finally {
    await run(DOCKER_CLI, ['rm', '-f', id], { env: d.env });
  }
}

/**
 * The log file's pages dropped from the page cache (posix_fadvise DONTNEED through GNU dd's
 * `iflag=nocache count=0`, this file only: nothing else on the machine loses its cache), after
 * a sync so that none is dirty; checked with fincore, so a "cold" read is one from the disk.
 */
async function dropFromCache(path: string): Promise<void> {
  await run('sync', []);
  const d = await run('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
  if (d.code !== 0) throw new Error(`dropping ${path} from the page cache: ${d.stderr}`);
  const f = await run('fincore', ['-b', '-n', '-o', 'RES', path]);
  const resident = Number(f.stdout.trim());
  if (!(resident < 1 << 20)) throw new Error(`${path}: ${f.stdout.trim()} bytes still in the page cache after dropping it`);
}

/** One cold round on berthd: dd of the file from the disk (the floor), then the docker CLI's whole read from the disk, or the other way. */
async function coldRound(r: Result, i: number): Promise<void> {
  const dd = async () => {
    await dropFromCache(r.logPath);
    const t = await run('dd', [`if=${r.logPath}`, 'of=/dev/null', 'bs=2M', 'status=none'], { timeout: 600_000 });
    if (t.code !== 0) throw new Error(`dd of ${r.logPath}: ${t.stderr}`);
    r.coldDdMs.push(t.ms);
  };
  const logs = async () => {
    await dropFromCache(r.logPath);
    r.coldRuns.push(await cliRead(r.d.env, r.id, false));
  };
  if (i % 2 === 0) { await dd(); await logs(); } else { await logs(); await dd(); }
  const ms = r.coldRuns.at(-1)!;
  console.log(`${r.name}: from the disk: dd of the file ${fmtS(r.coldDdMs.at(-1))}, whole log by the docker CLI ${fmtS(ms)} ` +
    `(${rate(SIZE, ms)} of text, ${(ms / r.coldDdMs.at(-1)!).toFixed(2)}x dd's time)`);
}

async function floorRound(r: Result): Promise<void> {
  const write = `yes '${TEXT}' | head -c ${SIZE}`;
  r.devNullMs.push(await timedWriter(r.d, [], `${write} >/dev/null`));
  r.noneMs.push(await timedWriter(r.d, ['--log-driver', 'none'], write));
  console.log(`${r.name}: floor: into /dev/null ${rate(SIZE, r.devNullMs.at(-1)!)}, log driver none ${rate(SIZE, r.noneMs.at(-1)!)}`);
}

function check(r: Result, what: string, got: Drained, lines?: number, payload?: number): void {
  if (got.status !== 200) throw new Error(`${what} on ${r.name}: HTTP ${got.status}`);
  if (lines !== undefined && got.lines !== lines) throw new Error(`${what} on ${r.name}: ${got.lines} lines, not ${lines}`);
  if (payload !== undefined && got.payloadBytes !== payload) throw new Error(`${what} on ${r.name}: ${got.payloadBytes} bytes, not ${payload}`);
  if (!got.tail.endsWith('end\n')) throw new Error(`${what} on ${r.name}: does not end with the "end" line`);
}

/** One whole read by the docker CLI, its output into /dev/null (checked once by count first); ms. */
async function cliRead(env: NodeJS.ProcessEnv, id: string, check: boolean): Promise<number> {
  if (check) {
    const n = await run('sh', ['-c', `"$0" logs "$1" 2>&1 | wc -c`, DOCKER_CLI, id], { env, timeout: 600_000 });
    if (Number(n.stdout.trim()) !== SIZE + 4) throw new Error(`docker logs ${id}: ${n.stdout.trim()} bytes, not ${SIZE + 4}`);
  }
  const r = await run('sh', ['-c', `"$0" logs "$1" >/dev/null 2>&1`, DOCKER_CLI, id], { env, timeout: 600_000 });
  if (r.code !== 0) throw new Error(`docker logs ${id}: exit ${r.code}`);
  return r.ms;
}

/**
 * Whole reads of `payload` bytes in frames of `frame` from bench/lib/frame-server.ts (a process of its own),
 * by the bench's client, then `cli` rounds of the docker CLI's own read from it, alternating with berthd's (`b`).
 */
async function serverFloor(payload: number, frame: number, n: number, b: Result, cli: number): Promise<Drained[]> {
  const socket = `/tmp/berth-bench-frames-${process.pid}.sock`;
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', `${REPO_ROOT}/bench/lib/frame-server.ts`, socket, String(payload), String(frame), String(LINE)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve, reject) => { child.stdout.once('data', resolve); child.once('exit', (c) => reject(new Error(`frame server exited ${c}`))); });
    const out: Drained[] = [];
    for (let i = 0; i < n; i++) out.push(await drainLogs(socket, 'floor', {}));
    const floorEnv = { ...process.env, DOCKER_HOST: `unix://${socket}` };
    for (let i = 0; i < cli; i++) {
      const pair = [async () => b.cliMs.push(await cliRead(b.d.env, b.id, i === 0)), async () => b.cliFloorMs.push(await cliRead(floorEnv, 'floor', i === 0))];
      for (const f of i % 2 === 0 ? pair : pair.reverse()) await f();
      console.log(`docker logs (the CLI itself): berthd ${fmtS(b.cliMs.at(-1))}, floor server ${fmtS(b.cliFloorMs.at(-1))}`);
    }
    return out;
  } finally {
    child.kill();
    rmSync(socket, { force: true });
  }
}

async function main(): Promise<void> {
  const daemons: PrivateDaemon[] = [];
  const results: Result[] = [];
  const notes: string[] = [];
  let floorRuns: Drained[] = [];
  let floorFrame = 0;
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim() || 'unknown';
  try {
    if (opts.target !== 'dockerd') daemons.push(await startBerthd());
    if (opts.target !== 'berthd') {
      try {
        daemons.push(await startDockerd());
      } catch (e) {
        if (!(e instanceof DaemonUnavailable)) throw e;
        notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
      }
    }
    for (const d of daemons) results.push(await prepare(d));
    if (opts.floor) {
      for (let i = 0; i < 2; i++) for (const r of i % 2 === 0 ? results : [...results].reverse()) await floorRound(r);
    }
    const dd = results[0]!;
    const direct = await run('dd', [`if=${dd.logPath}`, 'of=/dev/null', 'bs=4M', 'iflag=direct'], { timeout: 600_000 });
    if (direct.code === 0) dd.ddMs = direct.ms;
    for (let i = 0; i < runs; i++) {
      for (const r of i % 2 === 0 ? results : [...results].reverse()) {
        const s = await drainLogs(r.d.socket, r.id, { since: r.since }, { countLines: true });
        check(r, 'logs --since', s, 1);
        r.sinceRuns.push(s);
        const t = await drainLogs(r.d.socket, r.id, { tail: '100000' }, { countLines: true });
        check(r, 'logs --tail 100000', t, 100000);
        r.tailRuns.push(t);
        console.log(`${r.name}: --since ${fmtS(s.ms)}, --tail 100000 ${fmtS(t.ms)}`);
      }
    }
    for (let i = 0; i < wholeRuns; i++) {
      for (const r of i % 2 === 0 ? results : [...results].reverse()) {
        const w = await drainLogs(r.d.socket, r.id, {});
        check(r, 'logs (all)', w, undefined, SIZE + 4);
        r.wholeRuns.push(w);
        console.log(`${r.name}: whole log ${human(w.payloadBytes)} in ${fmtS(w.ms)} (${rate(w.payloadBytes, w.ms)}, ${w.frames} frames)`);
      }
    }
    const berthdResult = results.find((r) => r.name === 'berthd');
    if (opts.cold && berthdResult) for (let i = 0; i < cliRuns; i++) await coldRound(berthdResult, i);
    const bw = results.find((r) => r.name === 'berthd')?.wholeRuns ?? [];
    if (bw.length > 0) {
      const frame = Math.round(bw[0]!.payloadBytes / bw[0]!.frames);
      floorRuns = await serverFloor(SIZE + 4, frame, wholeRuns, berthdResult!, cliRuns);
      floorFrame = frame;
      for (const f of floorRuns) console.log(`floor server: ${human(f.payloadBytes)} in ${fmtS(f.ms)} (${rate(f.payloadBytes, f.ms)}, ${f.frames} frames)`);
    }
    notes.push(`Load average at the end of the run: ${loadavg().map((l) => l.toFixed(1)).join(', ')} (1, 5, 15 min); ` +
      'the machine is shared with other work, which moves absolute figures between runs.');
  } finally {
    for (const d of daemons) {
      await run(DOCKER_CLI, ['rm', '-f', 'logbench'], { env: d.env }).catch(() => {});
      await d.cleanup().catch((e) => console.error(String(e)));
    }
  }
  const b = results.find((r) => r.name === 'berthd');
  const k = results.find((r) => r.name === 'dockerd');
  const med = (r: Result | undefined, f: (r: Result) => Drained[]) => (r && f(r).length ? median(f(r).map((x) => x.ms).sort((x, y) => x - y)) : undefined);
  const wr = (r: Result | undefined) => (r ? SIZE / MB / (r.writeMs / 1000) : undefined);
  const whole = (r: Result | undefined) => med(r, (x) => x.wholeRuns);
  const floorMs = (r: Result | undefined, f: (r: Result) => number[]) => (r && f(r).length ? median([...f(r)].sort((x, y) => x - y)) : undefined);
  const floorRate = (r: Result | undefined, f: (r: Result) => number[]) => { const ms = floorMs(r, f); return ms ? rate(SIZE, ms) : 'n/a'; };
  const floorShare = (r: Result | undefined) => { const ms = floorMs(r, (x) => x.devNullMs); return r && ms ? `${(ms / r.writeMs).toFixed(2)}x` : 'n/a'; };
  const rows: string[] = [
    `| container writes ${human(SIZE)} (\`yes\` | \`head -c\`), start to exit | ${fmtS(b?.writeMs)} | ${fmtS(k?.writeMs)} | ${fmtRatio(b?.writeMs, k?.writeMs)} | |`,
    `| output throughput | ${b ? rate(SIZE, b.writeMs) : 'n/a'} | ${k ? rate(SIZE, k.writeMs) : 'n/a'} | ${fmtRatio(wr(b), wr(k))} | at least 5x |`,
    ...(opts.floor ? [
      `| floor: the same writer into /dev/null in the container, median of 2 | ${floorRate(b, (x) => x.devNullMs)} | ${floorRate(k, (x) => x.devNullMs)} | | |`,
      `| floor: log driver \`none\` (the pipe read, nothing kept), median of 2 | ${floorRate(b, (x) => x.noneMs)} | ${floorRate(k, (x) => x.noneMs)} | | |`,
      `| output throughput / writer into /dev/null | ${floorShare(b)} | ${floorShare(k)} | | |`,
    ] : []),
    `| log file on disk | ${b ? human(b.logBytes) : 'n/a'} | ${k ? human(k.logBytes) : 'n/a'} | ${fmtRatio(b?.logBytes, k?.logBytes)} | |`,
    `| \`logs --since <end - 1 s>\` (1 line), median | ${fmtS(med(b, (x) => x.sinceRuns))} | ${fmtS(med(k, (x) => x.sinceRuns))} | ${fmtRatio(med(b, (x) => x.sinceRuns), med(k, (x) => x.sinceRuns))} | at most 100 ms |`,
    `| \`logs --tail 100000\`, median | ${fmtS(med(b, (x) => x.tailRuns))} | ${fmtS(med(k, (x) => x.tailRuns))} | ${fmtRatio(med(b, (x) => x.tailRuns), med(k, (x) => x.tailRuns))} | at most 0.5x |`,
    `| whole log to the client (${human(SIZE)} of text) | ${fmtS(whole(b))} | ${fmtS(whole(k))} | ${fmtRatio(whole(b), whole(k))} | |`,
    `| whole log, throughput | ${b && whole(b) ? rate(SIZE, whole(b)!) : 'n/a'} | ${k && whole(k) ? rate(SIZE, whole(k)!) : 'n/a'} | ${fmtRatio(whole(k), whole(b))} | disk speed |`,
    ...(floorRuns.length ? [`| floor: the same bytes from a minimal Node server (frames of ${(floorFrame / MB).toFixed(2)} MB), same client, median | ${rate(SIZE, median(floorRuns.map((x) => x.ms).sort((x, y) => x - y)))} | | | |`] : []),
    `| the log file read by \`cat\` (page cache) | ${b ? rate(b.logBytes, b.catMs) : 'n/a'} | ${k ? rate(k.logBytes, k.catMs) : 'n/a'} | | |`,
  ];
  if (b && b.cliMs.length) {
    const ms = median([...b.cliMs].sort((x, y) => x - y));
    const fl = median([...b.cliFloorMs].sort((x, y) => x - y));
    rows.push(
      `| whole log read by the docker CLI itself (\`docker logs\` into /dev/null), median of ${b.cliMs.length} | ${fmtS(ms)} (${rate(SIZE, ms)}) | | | |`,
      `| floor: the same CLI read from the minimal server (same bytes, same frames), median | ${fmtS(fl)} (${rate(SIZE, fl)}) | | ${(ms / fl).toFixed(2)}x (berthd / floor) | |`,
    );
  }
  if (b && b.coldRuns.length) {
    const ms = median([...b.coldRuns].sort((x, y) => x - y));
    const ddMs = median([...b.coldDdMs].sort((x, y) => x - y));
    const ratios = b.coldRuns.map((x, i) => x / b.coldDdMs[i]!).sort((x, y) => x - y);
    rows.push(
      `| whole log from the disk by the docker CLI (the file's pages dropped first), median | ${fmtS(ms)} (${rate(SIZE, ms)} of text) | | | |`,
      `| floor: the same file from the disk by \`dd bs=2M\` (pages dropped first), median | ${fmtS(ddMs)} (${rate(b.logBytes, ddMs)} of file) | | | |`,
      `| whole log from the disk / dd of its file, per round (${ratios.map((x) => x.toFixed(2)).join(', ')}), median | ${median(ratios).toFixed(2)}x | | | disk speed |`,
    );
  }
  const first = results[0];
  if (first?.ddMs) rows.push(`| ${first.name}'s log file read by \`dd iflag=direct\` (the disk) | ${rate(first.logBytes, first.ddMs)} | | | |`);
  for (const r of rows) console.log(r);
  for (const n of notes) console.log(n);
  if (opts['no-write']) return;
  writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'logs', [
    '## Container logs',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/logs.ts --size ${opts.size} --line ${LINE}${opts.floor ? ' --floor' : ''}\` ` +
      `(${runs} run${runs === 1 ? '' : 's'} of each query per daemon, ${wholeRuns} of the whole log; MB = 10^6 bytes). On a shared machine: compare the ratios.`,
    '',
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memGiB} GiB, ${machine.kernel}, Node ${machine.node}, docker CLI ${machine.dockerCli}.`,
    `Daemons: berthd ${b ? `${b.version} (commit ${commit})` : '(not measured)'}, log driver json-file (conmon's k8s-file on disk); ` +
      `dockerd ${k?.version ?? '(not measured)'} with its own containerd, log driver json-file.`,
    '',
    '| | berthd | dockerd | berthd/dockerd | target |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `How: on each private daemon one busybox container (\`--network none\`) runs \`yes '<${LINE - 1} chars>' | head -c ${SIZE}\`; ` +
      'the write is timed from the API start to the wait\'s answer (the container has exited). 1.5 s later the same container ' +
      'is started again and appends one `end` line, so `--since` one second before that line\'s time must answer with that line ' +
      'alone. Every read is one `GET /containers/{id}/logs` (stdout and stderr, multiplexed) over the daemon\'s socket, drained ' +
      'by a Node client that walks the frames; the answers are checked (1 line; 100,000 lines; every byte written plus `end`). ' +
      'The log files were read once with `cat` first, so the reads come from the page cache on both daemons; the `cat` and ' +
      '`dd iflag=direct` rows are the speed of the file itself, from the cache and from the disk; the floor row is the same ' +
      'bytes in frames of the size berthd sent, from memory, by a minimal node:http server in a process of its own (bench/lib/frame-server.ts), ' +
      'to the same client.' +
      (opts.floor ? ' The floor rows run the same writer again (two rounds, alternating daemons): into /dev/null inside the container, ' +
        'and with `--log-driver none`.' : ''),
    ...notes.map((n) => `\n${n}`),
  ].join('\n'));
  console.log('wrote docs/benchmarks.md');
}

await main();
