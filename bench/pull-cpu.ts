// Where a pull's time and CPU go: a private berthd pulls the bench's big
// image (200 MB + 50 MB, random) from `berth registry serve`, and the same
// blobs are fetched alone (the floor, bench/lib/blob-fetch.ts) in the same
// round. Per pull: wall, berthd's CPU by thread (main, the unpacker's
// workers, libuv's pool, V8's helpers, from /proc/<pid>/task), and the
// registry's CPU. With --perf DIR, `perf record -g` of berthd during each
// pull.
//
//   node_modules/.bin/node bench/pull-cpu.ts [--runs 4] [--perf /tmp/dir]
//
// Prints only; the figures go into docs/benchmarks.md by hand.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DOCKER_CLI, type PrivateDaemon, run, startBerthd } from '../test/helpers/daemon.ts';
import { startBerthRegistry } from '../test/helpers/registry.ts';
import { makeImages } from './lib/bench-images.ts';
import { fetchLayers, readManifest } from './lib/blob-fetch.ts';
import { summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '4' }, perf: { type: 'string' } } });
const TICK = 100;

/** CPU seconds by thread name (threads of one kind summed). */
function threads(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'); } catch { continue; }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const kind = Number(tid) === pid ? 'main' : /^libuv-worker/.test(name) ? 'libuv pool' : /^V8 /.test(name) ? 'V8 helpers' : name;
    out.set(kind, (out.get(kind) ?? 0) + (Number(rest[11]) + Number(rest[12])) / TICK);
  }
  return out;
}

function cpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICK;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync('/tmp/bd-pull-');
  let d: PrivateDaemon | null = null;
  const reg = await startBerthRegistry({ root: mkdtempSync(`${tmp}/reg-`) });
  try {
    const [img] = await makeImages(`${tmp}/img`, ['big']);
    const daemon = d = await startBerthd();
    const docker = async (args: string[]) => {
      const r = await run(DOCKER_CLI, args, { env: daemon.env, timeout: 600_000 });
      if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
      return r.ms;
    };
    await docker(['load', '-q', '-i', img!.archive]);
    const name = `${reg.host}/b/big:v1`;
    await docker(['tag', img!.tag, name]);
    await docker(['push', name]);
    await docker(['rmi', name]);
    await docker(['rmi', img!.tag]);
    const m = await readManifest(reg.url, 'b/big', 'v1');
    const pid = daemon.pid!;
    const walls: number[] = [];
    const dls: number[] = [];
    console.log(`load at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (let i = 0; i < Number(opts.runs); i++) {
      const dir = mkdtempSync(`${tmp}/dl-`);
      const dl = await fetchLayers(reg.url, 'b/big', m, dir);
      rmSync(dir, { recursive: true, force: true });
      const perf = opts.perf ? spawn('perf', ['record', '-q', '-F', '499', '-g', '-p', String(pid), '-o', `${opts.perf}/pull-${i}.data`], { stdio: 'ignore' }) : null;
      if (perf) await new Promise((r) => setTimeout(r, 500));
      const t0 = threads(pid);
      const r0 = cpu(reg.pid);
      const ms = await docker(['pull', name]);
      const t1 = threads(pid);
      const r1 = cpu(reg.pid);
      if (perf) await new Promise((r) => { perf.once('close', r); perf.kill('SIGINT'); });
      await docker(['rmi', name]);
      walls.push(ms);
      dls.push(dl);
      const parts = [...t1].map(([k, v]) => [k, v - (t0.get(k) ?? 0)] as const).filter(([, v]) => v >= 0.01)
        .sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(2)}`);
      const total = [...t1.values()].reduce((a, b) => a + b, 0) - [...t0.values()].reduce((a, b) => a + b, 0);
      console.log(`pull ${(ms / 1000).toFixed(2)} s, download alone ${(dl / 1000).toFixed(2)} s (${(ms / dl).toFixed(2)}x); berthd CPU ${total.toFixed(2)} s: ${parts.join(', ')}; registry ${(r1 - r0).toFixed(2)} s; load ${loadavg()[0]!.toFixed(2)}`);
    }
    const w = summarize(walls).median;
    const dl = summarize(dls).median;
    console.log(`median pull ${(w / 1000).toFixed(2)} s, download alone ${(dl / 1000).toFixed(2)} s (${(w / dl).toFixed(2)}x)`);
    console.log(`load at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await d?.cleanup();
    await reg.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
