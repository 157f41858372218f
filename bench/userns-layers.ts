// --userns-remap: image layers through idmapped mounts against chowned once
// per image, berthd both ways beside dockerd --userns-remap (overlay2, which
// chowns), all three remapping to a user this benchmark creates and removes.
//
//   bin/node24 bench/userns-layers.ts [--rounds 3] [--runs 15] [--target all|berthd]
//        [--no-write]
//
// First container of a new image: `docker load` of a `docker save` archive,
// then `docker run --rm --network none <tag> true`, then `rmi` (the next round
// loads it anew); daemons alternate within each round. Then steady state:
// `run --rm --network none <tag> true` of the loaded image, alternating. Two
// images: many files in one layer (Debian's python/perl trees) and 20 layers
// (per-layer cost of the idmapped trees).

import { parseArgs } from 'node:util';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import {
  DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, runOk, startBerthd, startDockerd,
} from '../test/helpers/daemon.ts';
import { addRemapUser, removeRemapUser } from '../test/helpers/remap-user.ts';
import { makeImages, type BenchImage } from './lib/bench-images.ts';
import { describeMachine, fmtMs, fmtRatio, type Machine, writeSection } from './lib/report.ts';
import { summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    runs: { type: 'string', default: '15' },
    target: { type: 'string', default: 'all' },
    'no-write': { type: 'boolean', default: false },
  },
});
const rounds = Number(opts.rounds);
const runs = Number(opts.runs);
const USER = `btbench${process.pid % 100000}`;

interface Target { label: string; d: PrivateDaemon }
/** label -> image kind -> samples. */
type Samples = Map<string, Map<string, { load: number[]; first: number[]; run: number[] }>>;

async function timed(t: Target, args: string[]): Promise<number> {
  const r = await run(DOCKER_CLI, args, { env: t.d.env, timeout: 600_000 });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} against ${t.label} exited ${r.code}: ${r.stderr}`);
  return r.ms;
}

const loadAvg = async () => (await run('cat', ['/proc/loadavg'])).stdout.split(' ').slice(0, 3).join(' ');

async function main(): Promise<void> {
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim() || 'unknown';
  const notes: string[] = [];
  const targets: Target[] = [];
  const work = mkdtempSync('/tmp/bt-bench-userns-');
  const samples: Samples = new Map();
  const loads: string[] = [];
  let images: BenchImage[];
  addRemapUser(USER);
  try {
    images = await makeImages(work, ['rootfs', 'small'], { busybox: true });
    const remap = (mode: string) => startBerthd({ args: ['--userns-remap', USER], env: { BERTH_USERNS_IDMAP: mode }, prepare: (p) => chmodSync(p.dir, 0o711) });
    targets.push({ label: 'berthd idmapped', d: await remap('auto') });
    targets.push({ label: 'berthd chowned', d: await remap('off') });
    if (opts.target === 'all') {
      try {
        targets.push({ label: 'dockerd', d: await startDockerd({ usernsRemap: USER }) });
      } catch (e) {
        if (!(e instanceof DaemonUnavailable)) throw e;
        notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
      }
    }
    for (const t of targets) {
      const m = new Map<string, { load: number[]; first: number[]; run: number[] }>();
      for (const img of images) m.set(img.kind, { load: [], first: [], run: [] });
      samples.set(t.label, m);
    }
    loads.push(await loadAvg());
    for (const img of images) {
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? targets : [...targets].reverse();
        for (const t of order) {
          const s = samples.get(t.label)!.get(img.kind)!;
          s.load.push(await timed(t, ['load', '-q', '-i', img.archive]));
          s.first.push(await timed(t, ['run', '--rm', '--network', 'none', img.tag, 'true']));
          if (r < rounds - 1) await runOk(DOCKER_CLI, ['rmi', img.tag], { env: t.d.env });
        }
      }
      loads.push(await loadAvg());
      for (let i = 0; i < runs; i++) {
        const order = i % 2 === 0 ? targets : [...targets].reverse();
        for (const t of order) samples.get(t.label)!.get(img.kind)!.run.push(await timed(t, ['run', '--rm', '--network', 'none', img.tag, 'true']));
      }
      loads.push(await loadAvg());
    }
  } finally {
    for (const t of targets) await t.d.cleanup().catch((e) => console.error(String(e)));
    rmSync(work, { recursive: true, force: true });
    removeRemapUser(USER);
  }
  const body = section(targets.map((t) => t.label), images, samples, loads, notes, machine, commit);
  console.log(body);
  if (!opts['no-write']) writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'userns-layers', body);
}

function section(labels: string[], images: BenchImage[], samples: Samples, loads: string[], notes: string[], m: Machine, commit: string): string {
  const med = (xs: number[]) => (xs.length ? summarize(xs).median : undefined);
  const lines = [
    '## User namespaces: idmapped layers against chowned ones',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/userns-layers.ts\` (commit ${commit}), ` +
      `${rounds} loads and ${runs} runs per image and daemon, alternating; load average ${loads.join(' → ')}.`,
    '',
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memGiB} GiB, ${m.kernel}, Node ${m.node}, docker CLI ${m.dockerCli}.`,
    '',
    `| median | ${labels.join(' | ')} | idmapped/chowned |`,
    `|---|${labels.map(() => '---|').join('')}---|`,
  ];
  for (const img of images) {
    for (const [what, key] of [['`load`', 'load'], ['first `run --rm true`', 'first'], ['later `run --rm true`', 'run']] as const) {
      const vals = labels.map((l) => med(samples.get(l)?.get(img.kind)?.[key] ?? []));
      lines.push(`| ${img.kind}: ${what} | ${vals.map(fmtMs).join(' | ')} | ${fmtRatio(vals[0], vals[1])} |`);
    }
  }
  lines.push('', ...images.map((i) => `- ${i.kind}: ${i.label}, ${i.layers} layer(s), ${(i.tarBytes / 1e6).toFixed(0)} MB of layer tar.`));
  lines.push('', 'idmapped: layers unpacked once with the image\'s owners, each lower opened as an idmapped read-only tree at mount ' +
    '(docs/resources.md); chowned: `BERTH_USERNS_IDMAP=off`, layers unpacked with the owners shifted into the range. ' +
    'dockerd (overlay2) under `--userns-remap` unpacks shifted, like chowned.');
  lines.push(...notes.map((n) => `\n${n}`));
  return lines.join('\n');
}

await main();
