// Removes what interrupted test or benchmark runs left behind: private daemon
// dirs (/tmp/bt-*, /tmp/dkr-*) whose daemon is dead, with their conmons,
// shims, containers, mounts and (dockerd) cgroup parent.
//
//   node_modules/.bin/node test/helpers/sweep.ts              # stale dirs (idle > 30 min)
//   node_modules/.bin/node test/helpers/sweep.ts --idle 0     # every dir whose daemon is dead
//   node_modules/.bin/node test/helpers/sweep.ts /tmp/bt-AbC123
//
// A dir is left alone while its daemon (pidfile) runs, or while its daemon
// log changed within --idle minutes: a test may be between a kill -9 and the
// restart of its daemon.

import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { removeCgroupParent } from './dockerd.ts';
import { argvNames, procInfo } from './procs.ts';
import { teardownProcessesAndMounts } from './teardown.ts';

const { values, positionals } = parseArgs({ options: { idle: { type: 'string', default: '30' } }, allowPositionals: true });
const idleMs = Number(values.idle) * 60_000;
const PATTERN = /^\/tmp\/(bt|dkr)-[A-Za-z0-9]{6}$/;

function daemonAlive(dir: string): boolean {
  for (const name of ['berthd.pid', 'dockerd.pid']) {
    try {
      const pid = Number(readFileSync(join(dir, name), 'utf8').trim());
      const info = pid > 0 ? procInfo(pid) : null;
      if (info && argvNames(info.argv, dir)) return true;
    } catch {}
  }
  return false;
}

function lastActivity(dir: string): number {
  const times = ['berthd.log', 'dockerd.log', '.'].map((f) => statSync(join(dir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0);
  return Math.max(...times);
}

const dirs = positionals.length > 0 ? positionals : readdirSync('/tmp').map((n) => `/tmp/${n}`).filter((p) => PATTERN.test(p));
for (const dir of dirs) {
  if (!PATTERN.test(dir)) {
    console.error(`${dir}: not a private daemon dir (/tmp/bt-XXXXXX or /tmp/dkr-XXXXXX), left alone`);
    continue;
  }
  if (!existsSync(dir)) continue;
  if (daemonAlive(dir)) {
    console.log(`${dir}: daemon running, left alone`);
    continue;
  }
  if (positionals.length === 0 && Date.now() - lastActivity(dir) < idleMs) {
    console.log(`${dir}: active within ${values.idle} min, left alone`);
    continue;
  }
  const { problems, mounted } = await teardownProcessesAndMounts(dir, join(dir, 'exec'));
  if (basename(dir).startsWith('dkr-')) {
    try {
      removeCgroupParent(basename(dir));
    } catch (e) {
      problems.push(String(e));
    }
  }
  if (mounted.length === 0) rmSync(dir, { recursive: true, force: true });
  console.log(`${dir}: ${problems.length === 0 ? 'removed' : `problems:\n  ${problems.join('\n  ')}`}`);
}
