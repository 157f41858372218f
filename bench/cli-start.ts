// Start-to-exit time of CLI processes against one private berthd:
// `berth version`, `berth ps`, beside a bare `node -e 0` (the floor for any
// Node CLI), bench/cli-floor.cjs (node reading a small script, making one
// request on the daemon's socket and printing the answer, with node:net and
// process.stdout, and again on libuv's pipe handle as berth does: the floor for a
// Node CLI that asks the daemon one thing) and the docker CLI's
// `docker version` / `docker ps` against the same daemon.
//
//   node_modules/.bin/node bench/cli-start.ts [--runs 30] [--no-write]
//
// Samples of the different commands alternate, so drift on this shared
// machine hits all of them alike. The berth CLI runs through bin/berth (the
// launcher users run) after scripts/build.sh, i.e. the compiled dist/.

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DOCKER_CLI, REPO_ROOT, run, startBerthd } from '../test/helpers/daemon.ts';
import { describeMachine, fmtMs, writeSection } from './lib/report.ts';
import { type Summary, summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: { runs: { type: 'string', default: '30' }, 'no-write': { type: 'boolean', default: false } },
});
const runs = Number(opts.runs);
const NODE = `${REPO_ROOT}/node_modules/node/bin/node`;
const BERTH = `${REPO_ROOT}/bin/berth`;

interface Case {
  label: string; cmd: string; args: string[]; env?: Record<string, string>;
  samples: number[]; summary?: Summary;
  /** CPU time (user + system, the launcher's children included) per sample, from perf stat's task-clock. */
  cpu: number[]; cpuSummary?: Summary;
}

/** One run under `perf stat -e task-clock`: the CPU milliseconds of the process and its children. */
async function cpuMs(c: Case, env: NodeJS.ProcessEnv): Promise<number> {
  const r = await run('perf', ['stat', '-x', ',', '-e', 'task-clock', '--', c.cmd, ...c.args], { env: { ...env, ...c.env } });
  const line = r.stderr.split('\n').find((l) => l.includes('task-clock'));
  if (r.code !== 0 || !line) throw new Error(`perf stat ${c.cmd} ${c.args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return Number(line.split(',')[0]);
}

async function main(): Promise<void> {
  await run('bash', [`${REPO_ROOT}/scripts/build.sh`], { timeout: 600_000 });
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const d = await startBerthd();
  const cases: Case[] = [
    { label: '`node -e 0`', cmd: NODE, args: ['-e', '0'], samples: [], cpu: [] },
    { label: '`node bench/cli-floor.cjs`', cmd: NODE, args: [`${REPO_ROOT}/bench/cli-floor.cjs`, '/containers/json'], samples: [], cpu: [] },
    // The same request the way berth makes it: libuv's pipe handle and a write to fd 1, no node:net or node:stream.
    { label: '`node bench/cli-floor.cjs ... pipe`', cmd: NODE, args: [`${REPO_ROOT}/bench/cli-floor.cjs`, '/containers/json', 'pipe'], samples: [], cpu: [] },
    { label: '`berth version`', cmd: BERTH, args: ['version'], samples: [], cpu: [] },
    { label: '`berth ps`', cmd: BERTH, args: ['ps'], samples: [], cpu: [] },
    // As installed (no .git) or in CI: the loader skips the check of the sources against the build.
    { label: '`berth ps` (BERTH_PREBUILT=1)', cmd: BERTH, args: ['ps'], env: { BERTH_PREBUILT: '1' }, samples: [], cpu: [] },
    { label: '`docker version`', cmd: DOCKER_CLI, args: ['version'], samples: [], cpu: [] },
    { label: '`docker ps`', cmd: DOCKER_CLI, args: ['ps'], samples: [], cpu: [] },
  ];
  const loadBefore = loadavg()[0];
  try {
    for (const c of cases) {
      const r = await run(c.cmd, c.args, { env: { ...d.env, ...c.env } });
      if (r.code !== 0) throw new Error(`${c.cmd} ${c.args.join(' ')} exited ${r.code}: ${r.stderr}`);
    }
    for (let i = 0; i < runs; i++) {
      for (const c of cases) c.samples.push((await run(c.cmd, c.args, { env: { ...d.env, ...c.env } })).ms);
    }
    // CPU time, in a second interleaved pass (perf's own start would blur the wall times): on a shared
    // machine it moves far less with the load than wall time does.
    if ((await run('perf', ['--version']).catch(() => ({ code: 1 }))).code === 0) {
      for (let i = 0; i < runs; i++) for (const c of cases) c.cpu.push(await cpuMs(c, d.env));
    }
  } finally {
    await d.cleanup();
  }
  const loadAfter = loadavg()[0];
  for (const c of cases) {
    c.summary = summarize(c.samples);
    if (c.cpu.length > 0) c.cpuSummary = summarize(c.cpu);
  }
  const floor = cases[0].summary!;
  const oneRequest = cases[1].summary!;
  const cpuFloor = cases[0].cpuSummary;
  const cpuCell = (c: Case) => (c.cpuSummary && cpuFloor ? `${fmtMs(c.cpuSummary.median)} | ${fmtMs(c.cpuSummary.median - cpuFloor.median)}` : 'n/a | n/a');
  for (const c of cases) {
    const s = c.summary!;
    console.log(`${c.label}: median ${fmtMs(s.median)}, min ${fmtMs(s.min)}, p90 ${fmtMs(s.p90)}; over node -e 0: median ${fmtMs(s.median - floor.median)}, ` +
      `min ${fmtMs(s.min - floor.min)}; over cli-floor: median ${fmtMs(s.median - oneRequest.median)}; CPU median, over node -e 0: ${cpuCell(c)}`);
  }
  console.log(`load average ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}`);
  if (opts['no-write']) return;
  const rows = cases.map((c) => {
    const s = c.summary!;
    return `| ${c.label} | ${fmtMs(s.median)} | ${fmtMs(s.min)} | ${fmtMs(s.p90)} | ${fmtMs(s.median - floor.median)} | ${fmtMs(s.min - floor.min)} | ${fmtMs(s.median - oneRequest.median)} | ${cpuCell(c)} |`;
  });
  writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'cli-start', [
    '## CLI start time',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/cli-start.ts\` (${runs} runs of each, ` +
      `interleaved; commit ${commit}) on ${machine.cpus} CPUs, Node ${machine.node}, docker CLI ${machine.dockerCli}, ` +
      `all against one private berthd; load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end.`,
    '',
    '| command | median | min | p90 | median over `node -e 0` | min over `node -e 0` | median over `cli-floor.cjs` | CPU median | CPU median over `node -e 0` |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...['`berth version`', '`berth ps`'].map((label) => {
      const c = cases.find((k) => k.label === label)!;
      const over = c.summary!.median - floor.median;
      const cpu = c.cpuSummary && cpuFloor && cases[1].cpuSummary
        ? ` In CPU time: ${fmtMs(c.cpuSummary.median - cpuFloor.median)} over \`node -e 0\`, ${fmtMs(c.cpuSummary.median - cases[1].cpuSummary.median)} over the floor script (itself ${fmtMs(cases[1].cpuSummary.median - cpuFloor.median)}).`
        : '';
      const pipeFloor = cases[2].summary!;
      return `${label}: ${fmtMs(over)} over \`node -e 0\` at the median; the target (within 15 ms) is ${over <= 15 ? 'met' : 'not met'}. ` +
        `${fmtMs(c.summary!.median - oneRequest.median)} over the one-request floor (\`bench/cli-floor.cjs\`, itself ${fmtMs(oneRequest.median - floor.median)} over \`node -e 0\`), ` +
        `${fmtMs(c.summary!.median - pipeFloor.median)} over the same request on the pipe handle (itself ${fmtMs(pipeFloor.median - floor.median)}).${cpu}`;
    }),
    '',
    'A sample is the wall time of one process from spawn to exit, its stdout a pipe. `berth` runs through `bin/berth` as users ' +
      'run it after `scripts/build.sh`: a POSIX sh launcher that execs Node (`--min-semi-space-size=2`) on `dist/berth.cjs`. ' +
      'That loader compiles one script for the command, `dist/cmd/<chunk>.js`: the core (main, dispatch, flags, the API client; ~73 KiB, the transpiled code without its indentation) ' +
      'and the command\'s own chunk (its module and what it reaches beyond the core; ps 38 KiB, version 23 KiB) in one function, with ' +
      'the one V8 code cache left by that command\'s last run (`dist/cache/<command>.v8`); a chunk beyond the command\'s own (the template engine, for a format that needs it) ' +
      'is compiled on first use from `dist/chunks/`, with a cache of its own, and a word that is not a command (help, a management group) runs the core alone (`dist/berth-cli.js`); `scripts/bundle-cli.ts` ' +
      'makes them. In a checkout (`.git` present, as here) the loader stats the sources its script lists on its first line ' +
      '(36 for ps: the core\'s 25 and its chunk\'s 11) and the build\'s stamp before compiling it, and runs the sources when one is newer than the build (the `BERTH_PREBUILT=1` row skips that, as an install does). The first GET goes out at the client\'s API version with no ' +
      '`/_ping` before it (an older daemon refuses it with 400 and gets the ping and the request again, as dockerd 20.10 was ' +
      'checked to answer). `version`\'s default template and plain `{{.Field}}` tables (ps\'s default) are printed without ' +
      'the Go template engine when every field is a string (unit tests compare both paths), and ps and version import the engine only for a format that needs it. ' +
      'In the bundle, modules are numbered rather than named by path and a module is evaluated when one of its exports is first read (the client\'s typed APIs are made on first use), ' +
      'so `berth ps` evaluates 21 modules; command descriptions are compiled only for help. V8 interns every string of the code it runs: ' +
      'these keep `berth ps` (~650 strings beyond a one-request Node script, from ~1,010) under the first growth of the isolate\'s string table, ' +
      'which cost ~63 page faults and a rehash at every start. JSON calls go through a small ' +
      'HTTP/1.1 client (`src/client/lite-http.ts`), and so does a quiet `berth build` of a folder (its answer read whole); `node:http` is loaded only for streams, uploads, hijacks ' +
      'and TLS. On a unix socket that client connects on libuv\'s pipe handle (`src/client/pipe-socket.ts`, through `process.binding`, with `node:net` as the fallback), and stdout and stderr ' +
      'are written to their descriptors until a command needs the streams (`fdOutput` in `src/cli/io.ts`), so `berth ps` loads neither `node:net` nor `node:stream`: ' +
      'those two were ~45M of the ~64M instructions `berth ps` cost over `node -e 0` (valgrind), and they are most of what the floor script costs. ' +
      '`test/unit/cli/start-cost.test.ts` keeps it so: one user script, and one compiled script with one code cache per command (the core and the command\'s chunk), caches ' +
      'taken, no `/_ping` against a current daemon, no TypeScript stripping, no `node:http`, `node:net` or `node:stream`, at most 2 built-ins beyond ' +
      '`node -e 0`, no command module or template engine in the core, nor the engine in ps\'s and version\'s chunks, no module named by path.',
    '',
    'Earlier rounds: 2026-12-04, `berth version` 266.9 ms and `berth ps` 263.2 ms median against `node -e 0` at 103.1 ms ' +
      '(+164 ms, +160 ms): two bash launchers, ~50 ES modules loaded one by one, `node:http` (~35 ms of CPU for two ' +
      'requests), `process.stdin` touched at start. 2026-12-06 01:39, one bundle with a code cache per command, a sh ' +
      'launcher, the lite HTTP client: +49.5 ms and +37.8 ms at a load of 0.5 (03:17). Tried and dropped then: a V8 startup ' +
      'snapshot (`node --build-snapshot`: `node:http` cannot be in one, and with the CLI\'s modules alone the 8 MB blob made ' +
      '`berth version` slower, since it replaces the snapshot built into node), `--v8-pool-size=0`, `--max-lazy`.',
  ].join('\n'));
  console.log('wrote docs/benchmarks.md');
}

await main();
