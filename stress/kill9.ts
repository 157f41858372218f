// berthd killed with SIGKILL at random moments under a mixed workload, and
// audited after every restart (see kill9-loop.ts for what is checked).
//
//   bin/node24 stress/kill9.ts [--kills 20] [--seed N] [--min-ms 500] [--max-ms 4000] [--workers 3]
//
// Needs root (mounts, cgroups, runc). Prints one line per kill and a JSON
// report at the end; exits 1 when anything leaked. A short run of the same
// loop is in test/integration/daemon/kill9.test.ts.

import { parseArgs } from 'node:util';
import { kill9Loop } from './kill9-loop.ts';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '20' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    'min-ms': { type: 'string', default: '500' },
    'max-ms': { type: 'string', default: '4000' },
    workers: { type: 'string', default: '3' },
  },
});

const report = await kill9Loop({
  kills: Number(values.kills), seed: Number(values.seed), minRunMs: Number(values['min-ms']),
  maxRunMs: Number(values['max-ms']), workers: Number(values.workers), log: (l) => console.log(l),
});
const sorted = [...report.restartMs].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
console.log(JSON.stringify({ ...report, restartMedianMs: median, restartMaxMs: sorted.at(-1) ?? 0 }, null, 2));
process.exitCode = report.leaks.length === 0 && report.final.length === 0 ? 0 : 1;
