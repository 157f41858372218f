// Where a pull's time and CPU go: a private berthd pulls one of the bench's
// images (--image big: 200 MB + 50 MB, random, the default; rootfs: one
// layer of Debian files, 152 MB in 7,769 entries) from `berth registry
// serve`, and the same blobs are fetched alone (the floor,
// bench/lib/blob-fetch.ts) in the same round. `sync` runs before each timed
// step (as in bench/distribution.ts). Per pull: wall, berthd's CPU by thread
// (main, the unpacker's workers, libuv's pool, V8's helpers, from
// /proc/<pid>/task) and the time those threads waited for a CPU (schedstat's
// run-queue time), the registry's CPU, and berthd's minor page faults. With
// --perf DIR, `perf record -g` of berthd during each pull; with --strace DIR,
// `strace -c -f` of berthd during each pull (syscall counts and times; it
// slows the pull, so its walls are not figures). With --other CHECKOUT, a second
// private berthd from that checkout (its bin/berthd, or the berthd
// executable given) pulls the same image in each round too, the two taking
// turns first (A/B in the same run, same registry). --binary replaces this
// checkout's bin/berthd (e.g. a script running another build's dist).
//
//   node_modules/.bin/node bench/pull-cpu.ts [--runs 4] [--image big|rootfs] [--perf /tmp/dir] [--strace /tmp/dir]
//       [--other /path/to/checkout] [--binary path]
//
// Prints only; the figures go into docs/benchmarks.md by hand.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DOCKER_CLI, type PrivateDaemon, run, startBerthd } from '../test/helpers/daemon.ts';
import { startBerthRegistry } from '../test/helpers/registry.ts';
import { makeImages } from './lib/bench-images.ts';
import { fetchLayers, readManifest } from './lib/blob-fetch.ts';
import { summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '4' }, image: { type: 'string', default: 'big' }, perf: { type: 'string' },
    strace: { type: 'string' }, other: { type: 'string' }, binary: { type: 'string' },
  },
});
const kind = opts.image as 'big' | 'rootfs';
if (kind !== 'big' && kind !== 'rootfs') throw new Error(`--image big or rootfs, not ${opts.image}`);
const TICK = 100;

/** CPU seconds by thread name (threads of one kind summed), and seconds they waited on a run queue ("<kind> wait"). */
function threads(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    let sched: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      sched = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
    } catch { continue; }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const kind = Number(tid) === pid ? 'main' : /^libuv-worker/.test(name) ? 'libuv pool' : /^V8 /.test(name) ? 'V8 helpers' : name;
    out.set(kind, (out.get(kind) ?? 0) + (Number(rest[11]) + Number(rest[12])) / TICK);
    out.set(`${kind} wait`, (out.get(`${kind} wait`) ?? 0) + Number(sched.split(' ')[1]) / 1e9);
  }
  return out;
}

function minorFaults(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[7]);
}

function cpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICK;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync('/tmp/bd-pull-');
  const daemons: PrivateDaemon[] = [];
  const reg = await startBerthRegistry({ root: mkdtempSync(`${tmp}/reg-`) });
  try {
    const [img] = await makeImages(`${tmp}/img`, [kind]);
    const here = resolve(import.meta.dirname, '..');
    const checkouts = opts.other ? [here, resolve(opts.other)] : [here];
    const binaries = checkouts.map((c, k) => (k === 0 && opts.binary ? resolve(opts.binary) : statSync(c).isFile() ? c : `${c}/bin/berthd`));
    for (const binary of binaries) daemons.push(await startBerthd({ binary }));
    const docker = async (daemon: PrivateDaemon, args: string[]) => {
      const r = await run(DOCKER_CLI, args, { env: daemon.env, timeout: 600_000 });
      if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
      return r.ms;
    };
    const first = daemons[0]!;
    await docker(first, ['load', '-q', '-i', img!.archive]);
    const name = `${reg.host}/b/${kind}:v1`;
    await docker(first, ['tag', img!.tag, name]);
    await docker(first, ['push', name]);
    await docker(first, ['rmi', name]);
    await docker(first, ['rmi', img!.tag]);
    const m = await readManifest(reg.url, `b/${kind}`, 'v1');
    const walls = checkouts.map(() => [] as number[]);
    const cpus = checkouts.map(() => [] as number[]);
    const faultCounts = checkouts.map(() => [] as number[]);
    const dls: number[] = [];
    console.log(`load at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (let i = 0; i < Number(opts.runs); i++) {
      const dir = mkdtempSync(`${tmp}/dl-`);
      spawnSync('sync');
      const dl = await fetchLayers(reg.url, `b/${kind}`, m, dir);
      rmSync(dir, { recursive: true, force: true });
      dls.push(dl);
      const order = checkouts.map((_, k) => k);
      if (i % 2) order.reverse();
      for (const k of order) {
        const daemon = daemons[k]!;
        const pid = daemon.pid!;
        const perf = opts.perf ? spawn('perf', ['record', '-q', '-F', '499', '-g', '-p', String(pid), '-o', `${opts.perf}/pull-${k}-${i}.data`], { stdio: 'ignore' }) : null;
        const strace = opts.strace ? spawn('strace', ['-c', '-f', '-p', String(pid), '-o', `${opts.strace}/pull-${k}-${i}.txt`], { stdio: 'ignore' }) : null;
        if (perf || strace) await new Promise((r) => setTimeout(r, 500));
        spawnSync('sync');
        const t0 = threads(pid);
        const c0 = cpu(pid);
        const f0 = minorFaults(pid);
        const r0 = cpu(reg.pid);
        const ms = await docker(daemon, ['pull', name]);
        const t1 = threads(pid);
        const c1 = cpu(pid);
        const faults = minorFaults(pid) - f0;
        const r1 = cpu(reg.pid);
        if (perf) await new Promise((r) => { perf.once('close', r); perf.kill('SIGINT'); });
        if (strace) await new Promise((r) => { strace.once('close', r); strace.kill('SIGINT'); });
        await docker(daemon, ['rmi', name]);
        const deltas = [...t1].map(([what, v]) => [what, v - (t0.get(what) ?? 0)] as const).filter(([, v]) => v >= 0.01)
          .sort((a, b) => b[1] - a[1]);
        const parts = deltas.filter(([what]) => !what.endsWith(' wait')).map(([what, v]) => `${what} ${v.toFixed(2)}`);
        const waits = deltas.filter(([what]) => what.endsWith(' wait')).map(([what, v]) => `${what.slice(0, -5)} ${v.toFixed(2)}`);
        // The process's own count: a thread that exits during the pull (an idle unpacker) leaves /proc/<pid>/task with its CPU.
        const total = c1 - c0;
        walls[k]!.push(ms);
        cpus[k]!.push(total);
        faultCounts[k]!.push(faults);
        console.log(`${binaries[k]}: pull ${(ms / 1000).toFixed(2)} s, download alone ${(dl / 1000).toFixed(2)} s (${(ms / dl).toFixed(2)}x); berthd CPU ${total.toFixed(2)} s: ${parts.join(', ')}; waited for a CPU: ${waits.join(', ') || 'none'}; ${faults} minor faults; registry ${(r1 - r0).toFixed(2)} s; load ${loadavg()[0]!.toFixed(2)}`);
      }
    }
    const dl = summarize(dls).median;
    binaries.forEach((c, k) => {
      const w = summarize(walls[k]!).median;
      console.log(`${c}: median pull ${(w / 1000).toFixed(2)} s, download alone ${(dl / 1000).toFixed(2)} s (${(w / dl).toFixed(2)}x), berthd CPU ${summarize(cpus[k]!).median.toFixed(2)} s, `
        + `${summarize(faultCounts[k]!).median} minor faults`);
    });
    console.log(`load at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    for (const d of daemons) await d.cleanup();
    await reg.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
