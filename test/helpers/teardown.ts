// Tearing down what a private daemon left in and around its temp dir, once
// the daemon itself is stopped or dead: containers (through runc state under
// the dir), conmons and containerd shims (which name the dir on their command
// lines) with their descendants, then every mount under the dir.
// Used by PrivateDaemon.cleanup() and by sweep.ts after an interrupted run.

import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type MountEntry, mountsUnder, unmountUnder } from './mounts.ts';
import { killAll, procInfo, type ProcInfo, processesUnder } from './procs.ts';
import { run } from './run.ts';

const RUNC = '/usr/sbin/runc';
const CRUN = '/usr/bin/crun';

function selfAndAncestors(): Set<number> {
  const out = new Set<number>();
  for (let pid = process.pid; pid > 1 && !out.has(pid);) {
    out.add(pid);
    pid = procInfo(pid)?.ppid ?? 0;
  }
  return out;
}

export interface TeardownResult {
  problems: string[];
  /** Mounts that would not go: the dir must then not be deleted. */
  mounted: MountEntry[];
}

export async function teardownProcessesAndMounts(dir: string, execRoot: string): Promise<TeardownResult> {
  const problems: string[] = [];
  // runc delete --force kills the container and removes its cgroups and state;
  // killing conmon alone would leave both behind.
  // A root holds one runtime's state: runc's (state.json) or crun's; each
  // lists only its own, so both are asked.
  for (const root of runcRoots(dir, execRoot)) {
    for (const runtime of [RUNC, CRUN]) {
      if (!existsSync(runtime)) continue;
      const list = await run(runtime, ['--root', root, 'list', '-q'], { timeout: 20_000 }).catch(() => null);
      for (const id of list?.code === 0 ? list.stdout.split('\n').filter(Boolean) : []) {
        await run(runtime, ['--root', root, 'delete', '--force', id], { timeout: 20_000 }).catch(() => null);
      }
    }
  }
  // Never this process or its parents: sweep.ts names the dir on its own command line.
  const left = await killAll(processesUnder(dir, selfAndAncestors()));
  if (left.length > 0) problems.push(`processes survived SIGKILL: ${left.map(describe).join('; ')}`);
  const mounted = await unmountUnder(dir);
  if (mounted.length > 0) problems.push(`still mounted: ${mounted.map((m) => m.mountPoint).join(', ')}`);
  return { problems, mounted };
}

/**
 * runc state roots under dir: from `--root` flags of its processes (conmon
 * passes `--runtime-arg --root=X`) and from a shallow walk of the exec root
 * for `<root>/<id>/state.json`. Roots elsewhere are not ours to touch.
 */
export function runcRoots(dir: string, execRoot: string): string[] {
  const roots = new Set<string>();
  const inside = (p: string) => p.startsWith(`${dir}/`);
  for (const p of processesUnder(dir)) {
    p.argv.forEach((a, i) => {
      const m = /^--root=(.+)$/.exec(a);
      const value = m ? m[1] : a === '--root' ? p.argv[i + 1] : undefined;
      if (value && inside(value)) roots.add(value);
    });
  }
  const mountPoints = new Set(mountsUnder(dir).map((m) => m.mountPoint));
  const walk = (d: string, depth: number) => {
    if (depth > 4 || mountPoints.has(d)) return;
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries) {
      const sub = join(d, name);
      if (existsSync(join(sub, 'state.json'))) roots.add(d);
      else if (isDir(sub)) walk(sub, depth + 1);
    }
  };
  walk(execRoot, 0);
  return [...roots].filter((r) => existsSync(r));
}

function isDir(p: string): boolean {
  try {
    // lstat: never follow a symlink out of our dir.
    return lstatSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

function describe(p: ProcInfo): string {
  return `${p.pid} ${p.argv.join(' ').slice(0, 120)}`;
}
