// `docker top`: the host's ps, filtered to the processes of the container's
// cgroup, as dockerd does it: `ps <args> -q <pids>` first, plain
// `ps <args>` when those options cannot be combined with -q; the header is
// the titles, the PID column picks the rows.

import { checkVerb } from '../../core/container-state.ts';
import { execFile } from 'node:child_process';
import type { ContainerRecord } from '../../core/container.ts';
import type { TopResult } from '../../core/stats.ts';
import { BerthError, invalid } from '../../core/errors.ts';

function ps(args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ps', args, { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => resolve({ ok: !err, stdout, stderr }));
  });
}

/** dockerd refuses `-o x=PID...` style renames of the PID column other than pid=. */
export function validatePsArgs(psArgs: string): void {
  const re = /\s+([^\s]*)=\s*(PID[^\s]*)/g;
  for (const m of psArgs.matchAll(re)) {
    if (m[1] !== 'pid') throw invalid(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

/** ps's output as titles and rows (the last column keeps its spaces), filtered to pids. */
export function parsePsOutput(output: string, pids: Set<number>): TopResult {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new BerthError('internal', "Couldn't find PID field in ps output");
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    const pid = Number(fields[pidIndex]);
    if (!pids.has(pid)) continue;
    const row = fields.slice(0, titles.length - 1);
    row.push(fields.slice(titles.length - 1).join(' '));
    processes.push(row);
  }
  return { titles, processes };
}

/** `pids`: the pids in the container's cgroup (ContainerStatsService.pids, which knows the cgroup parent). */
export async function top(rec: ContainerRecord, psArgs: string, pidsOf: (id: string) => number[]): Promise<TopResult> {
  checkVerb('top', rec);
  validatePsArgs(psArgs);
  const pids = pidsOf(rec.id);
  const args = (psArgs || '-ef').split(' ').filter((a) => a !== '');
  let r = await ps([...args, '-q', pids.join(',') || '0']);
  if (!r.ok) {
    // Some options (f among them) cannot go with -q: ask for everything and filter.
    r = await ps(args);
    if (!r.ok) throw new BerthError('internal', `ps: ${r.stderr.split('\n')[0] || 'failed'}`);
  }
  return parsePsOutput(r.stdout, new Set(pids));
}
