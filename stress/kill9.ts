// berthd killed with SIGKILL at random moments under a mixed workload, and
// audited after every restart (see kill9-loop.ts for what is checked).
//
//   bin/node24 stress/kill9.ts [--kills 20] [--seed N] [--min-ms 500] [--max-ms 4000] [--workers 3] [--no-registry] [--keep-log FILE]
//
// Needs root (mounts, cgroups, runc). Prints one line per kill and a JSON
// report at the end; exits 1 when anything was corrupted, lost or leaked. A short run of the same
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
    'no-registry': { type: 'boolean', default: false },
    'keep-log': { type: 'string' },
  },
});

// Ctrl-C or SIGTERM: finish the current audit, then remove everything as a normal end does.
const abort = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (abort.signal.aborted) process.exit(130); // a second signal: give up on the clean-up
    console.log(`${sig}: stopping after this round, then cleaning up (again to quit at once)`);
    abort.abort();
  });
}

const report = await kill9Loop({
  signal: abort.signal,
  kills: Number(values.kills), seed: Number(values.seed), minRunMs: Number(values['min-ms']),
  maxRunMs: Number(values['max-ms']), workers: Number(values.workers), registry: !values['no-registry'], keepLog: values['keep-log'], log: (l) => console.log(l),
});
const sorted = [...report.restartMs].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
const restored = [...report.restoredMs].sort((a, b) => a - b);
console.log(JSON.stringify({ ...report, restartMedianMs: median, restartMaxMs: sorted.at(-1) ?? 0,
  restoredMedianMs: restored[Math.floor(restored.length / 2)] ?? 0, restoredMaxMs: restored.at(-1) ?? 0 }, null, 2));
const found = report.corruptions.length + report.lost.length + report.leaks.length + report.final.length;
console.log(`${report.kills} kills, ${report.ops} operations (${report.opsCut} cut), ${Object.values(report.acks).reduce((a, b) => a + b, 0)} acknowledged: ` +
  `${report.corruptions.length} corruptions, ${report.lost.length} lost, ${report.leaks.length} leaks, ${report.final.length} left at the end`);
process.exitCode = found === 0 ? 0 : 1;
