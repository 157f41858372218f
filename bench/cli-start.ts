// Start-to-exit time of CLI processes against one private berthd:
// `berth version`, `berth ps`, beside a bare `node -e 0` (the floor for any
// Node CLI) and the docker CLI's `docker version` / `docker ps` against the
// same daemon.
//
//   node_modules/.bin/node bench/cli-start.ts [--runs 30] [--no-write]
//
// Samples of the different commands alternate, so drift on this shared
// machine hits all of them alike. The berth CLI runs through bin/berth (the
// launcher users run) after scripts/build.sh, i.e. the compiled dist/.

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

interface Case { label: string; cmd: string; args: string[]; samples: number[]; summary?: Summary }

async function main(): Promise<void> {
  await run('bash', [`${REPO_ROOT}/scripts/build.sh`]);
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const d = await startBerthd();
  const cases: Case[] = [
    { label: '`node -e 0`', cmd: NODE, args: ['-e', '0'], samples: [] },
    { label: '`berth version`', cmd: BERTH, args: ['version'], samples: [] },
    { label: '`berth ps`', cmd: BERTH, args: ['ps'], samples: [] },
    { label: '`docker version`', cmd: DOCKER_CLI, args: ['version'], samples: [] },
    { label: '`docker ps`', cmd: DOCKER_CLI, args: ['ps'], samples: [] },
  ];
  try {
    for (const c of cases) {
      const r = await run(c.cmd, c.args, { env: d.env });
      if (r.code !== 0) throw new Error(`${c.cmd} ${c.args.join(' ')} exited ${r.code}: ${r.stderr}`);
    }
    for (let i = 0; i < runs; i++) {
      for (const c of cases) c.samples.push((await run(c.cmd, c.args, { env: d.env })).ms);
    }
  } finally {
    await d.cleanup();
  }
  for (const c of cases) c.summary = summarize(c.samples);
  const floor = cases[0].summary!;
  for (const c of cases) {
    const s = c.summary!;
    console.log(`${c.label}: median ${fmtMs(s.median)}, min ${fmtMs(s.min)}, p90 ${fmtMs(s.p90)}; over node -e 0: median ${fmtMs(s.median - floor.median)}, min ${fmtMs(s.min - floor.min)}`);
  }
  if (opts['no-write']) return;
  const rows = cases.map((c) => {
    const s = c.summary!;
    return `| ${c.label} | ${fmtMs(s.median)} | ${fmtMs(s.min)} | ${fmtMs(s.p90)} | ${fmtMs(s.median - floor.median)} | ${fmtMs(s.min - floor.min)} |`;
  });
  writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'cli-start', [
    '## CLI start time',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/cli-start.ts\` (${runs} runs of each, ` +
      `interleaved; commit ${commit}) on ${machine.cpus} CPUs, Node ${machine.node}, docker CLI ${machine.dockerCli}, ` +
      'all against one private berthd.',
    '',
    '| command | median | min | p90 | median over `node -e 0` | min over `node -e 0` |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    'A sample is the wall time of one process from spawn to exit. `berth` runs through `bin/berth` on the compiled ' +
      '`dist/`. Done so far: the launcher finds the project\'s Node without starting another process (that cost ' +
      '~130 ms); only the command that runs is imported (commands/index.ts); the root flags are parsed by hand ' +
      'rather than through commander (~30 ms of CPU); node:http is loaded with require() (its ESM namespace pulls ' +
      'in http2, zlib and undici: ~60 ms); V8\'s compile cache is on. The target (within 15 ms of `node -e 0`) is ' +
      'not met: the two bash launchers (bin/berth, bin/berth-launch, with their readlink/dirname forks and a ' +
      '`find` over src/ for staleness) cost ~50 ms, and loading the client and command plus two round trips ' +
      '(`/_ping`, then the request) ~100 ms. Next: one launcher with no forks and no staleness walk for an ' +
      'installed build, and a single bundled CLI file.',
  ].join('\n'));
  console.log('wrote docs/benchmarks.md');
}

await main();
