// A short run of the kill -9 loop (stress/kill9.ts runs the long one):
// berthd killed with SIGKILL at random moments under a mixed workload and
// restarted on the same roots, audited after every restart, and nothing
// left at the end. See stress/kill9-loop.ts for what is checked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skipUnlessRoot } from '../../helpers/daemon.ts';
import { kill9Loop } from '../../../stress/kill9-loop.ts';

test('kill -9 at random moments leaks nothing', { skip: skipUnlessRoot(), timeout: 240_000 }, async (t) => {
  const seed = Number(process.env.KILL9_SEED ?? 1107);
  const report = await kill9Loop({ kills: 3, seed, minRunMs: 400, maxRunMs: 2_000, workers: 3, log: (l) => t.diagnostic(l) });
  t.diagnostic(`seed ${seed}: ${report.kills} kills, ${report.containers} containers, ${report.ops} ops (${report.opsCut} cut), acks ${JSON.stringify(report.acks)}, restarts ${report.restartMs.join('/')} ms (boot ${report.bootMs.join('/')} ms)`);
  assert.equal(report.kills, 3);
  assert.ok(report.containers >= 3, `the workload created ${report.containers} containers`);
  assert.deepEqual(report.corruptions, []);
  assert.deepEqual(report.lost, []);
  assert.deepEqual(report.leaks, []);
  if (report.final.length) t.diagnostic(`daemon warnings: ${report.daemonWarnings.join('\n') || 'none'}`);
  assert.deepEqual(report.final, []);
});
