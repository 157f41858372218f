// Distribution: push and pull through berthd and a private dockerd to the
// same `berth registry serve` on loopback, and the registry server's own
// throughput beside the reference registry (Debian docker-registry).
//
//   node_modules/.bin/node bench/distribution.ts [--runs 3] [--target both|berthd|dockerd]
//       [--only all|pushpull|registry] [--images big,small,rootfs] [--seconds 8] [--no-write]
//
// Push/pull: the same `docker save` archive is loaded into both daemons
// (same image ID). Each run starts a fresh registry; per image and daemon:
// `docker push` (timed), the image removed, `docker pull` of what berthd
// pushed (timed: both daemons fetch the same bytes), `docker pull` again
// (the no-op), and the bare download of the same blobs (blob-fetch.ts).
// Registry: wrk with 1, 8 and 32 connections GETting a 64 MiB blob, a
// 64 KiB blob and a manifest by tag from each registry in turn.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd,
} from '../test/helpers/daemon.ts';
import { haveReferenceRegistry, type RunningRegistry, startBerthRegistry, startReferenceRegistry } from '../test/helpers/registry.ts';
import { type BenchImage, makeImages } from './lib/bench-images.ts';
import { fetchLayers, gunzipLayers, readManifest, untarLayers } from './lib/blob-fetch.ts';
import { curlParallel, type LoadResult, makeLoadPayload, seedRegistry, wrk, WRK } from './lib/registry-load.ts';
import { describeMachine, fmtRatio, writeSection } from './lib/report.ts';
import { summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    target: { type: 'string', default: 'both' },
    only: { type: 'string', default: 'all' },
    images: { type: 'string', default: 'big,small,rootfs' },
    seconds: { type: 'string', default: '8' },
    'no-write': { type: 'boolean', default: false },
  },
});
const runs = Number(opts.runs);
const kinds = opts.images.split(',') as Array<BenchImage['kind']>;

const samples = new Map<string, number[]>();
const add = (k: string, v: number) => samples.set(k, [...(samples.get(k) ?? []), v]);
const med = (k: string) => (samples.has(k) ? summarize(samples.get(k)!).median : undefined);
const fmtS = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
const fmtMBs = (bytes: number | undefined, ms: number | undefined) => (bytes === undefined || ms === undefined ? 'n/a' : `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`);

async function docker(d: PrivateDaemon, args: string[], timeout = 600_000): Promise<number> {
  const r = await run(DOCKER_CLI, args, { env: d.env, timeout });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} against ${d.kind} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.ms;
}

async function gone(d: PrivateDaemon, ref: string): Promise<boolean> {
  return (await run(DOCKER_CLI, ['image', 'inspect', ref], { env: d.env })).code !== 0;
}

/**
 * Writes back what earlier steps left dirty before a timed step. On ext4
 * (data=ordered) an fsync commits the journal and with it every file's
 * dirty data: berthd and the registry fsync blobs before they become
 * visible, dockerd does not sync its layers, so without this a berthd step
 * after a dockerd step paid for writing back dockerd's data (measured: push
 * 4.3 s after dockerd's steps, 0.65 s alone).
 */
function settle(): void {
  spawnSync('sync');
}

/** Bytes of each pushed image, by "<daemon>/<kind>". */
const pushedBytes = new Map<string, number>();

async function pushPullRound(daemons: PrivateDaemon[], images: BenchImage[], round: number, tmp: string): Promise<void> {
  const reg = await startBerthRegistry({ root: mkdtempSync(`${tmp}/reg-`) });
  const order = round % 2 === 0 ? daemons : [...daemons].reverse();
  const extract: Array<{ kind: string; dir: string }> = [];
  try {
    for (const img of images) {
      const repoOf = (d: PrivateDaemon) => `${d.kind}/${img.kind}`;
      for (const d of order) {
        const name = `${reg.host}/${repoOf(d)}:v1`;
        await docker(d, ['tag', img.tag, name]);
        settle();
        add(`push/${d.kind}/${img.kind}`, await docker(d, ['push', name]));
        pushedBytes.set(`${d.kind}/${img.kind}`, (await readManifest(reg.url, repoOf(d), 'v1')).bytes);
        await docker(d, ['rmi', name]);
      }
      // Both daemons pull the same blobs: what berthd pushed when it ran, else dockerd's.
      const src = daemons.find((d) => d.kind === 'berthd') ?? daemons[0]!;
      const srcName = `${reg.host}/${repoOf(src)}:v1`;
      const m = await readManifest(reg.url, repoOf(src), 'v1');
      pushedBytes.set(`pull/${img.kind}`, m.bytes);
      for (const d of order) {
        await docker(d, ['rmi', img.tag]);
        if (!(await gone(d, srcName)) || !(await gone(d, img.tag))) throw new Error(`${img.tag} still on ${d.kind} before the pull`);
        settle();
        add(`pull/${d.kind}/${img.kind}`, await docker(d, ['pull', srcName]));
        add(`noop/${d.kind}/${img.kind}`, await docker(d, ['pull', srcName]));
        await docker(d, ['tag', srcName, img.tag]);
        await docker(d, ['rmi', srcName]);
      }
      const dir = mkdtempSync(`${tmp}/dl-`);
      settle();
      add(`download/${img.kind}`, await fetchLayers(reg.url, repoOf(src), m, dir));
      add(`gunzip/${img.kind}`, await gunzipLayers(dir));
      extract.push({ kind: img.kind, dir });
    }
    // Extraction only after the last round: its thousands of files written and removed slowed the next
    // rounds' pulls of the Debian image (1.71-1.78 s against 1.08-1.17 s without it, 2026-12-07).
    for (const { kind, dir } of extract) {
      if (round === runs - 1) {
        settle();
        add(`untar/${kind}`, await untarLayers(dir));
      }
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await reg.stop();
  }
}

async function pushPull(notes: string[]): Promise<string[]> {
  const tmp = mkdtempSync('/tmp/bd-');
  const daemons: PrivateDaemon[] = [];
  try {
    console.log('making images...');
    const images = await makeImages(`${tmp}/img`, kinds);
    if (opts.target !== 'dockerd') daemons.push(await startBerthd());
    if (opts.target !== 'berthd') {
      try {
        daemons.push(await startDockerd({ seedBusybox: false }));
      } catch (e) {
        if (!(e instanceof DaemonUnavailable)) throw e;
        notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
      }
    }
    for (const d of daemons) for (const img of images) await docker(d, ['load', '-q', '-i', img.archive]);
    for (let i = 0; i < runs; i++) {
      console.log(`push/pull round ${i + 1} of ${runs}`);
      await pushPullRound(daemons, images, i, tmp);
    }
    const rows: string[] = [];
    for (const img of images) {
      const k = img.kind;
      const pb = pushedBytes.get(`berthd/${k}`);
      const pd = pushedBytes.get(`dockerd/${k}`);
      const pull = pushedBytes.get(`pull/${k}`);
      const dl = med(`download/${k}`);
      const bPull = med(`pull/berthd/${k}`);
      const dPull = med(`pull/dockerd/${k}`);
      rows.push(`| ${img.label} (${img.layers} layer${img.layers > 1 ? 's' : ''}) | push | ${fmtS(med(`push/berthd/${k}`))} (${fmtMBs(pb, med(`push/berthd/${k}`))}) | ${fmtS(med(`push/dockerd/${k}`))} (${fmtMBs(pd, med(`push/dockerd/${k}`))}) | ${fmtRatio(med(`push/berthd/${k}`), med(`push/dockerd/${k}`))} | | berth ${mb(pb)}, docker ${mb(pd)} sent |`);
      const gz = med(`gunzip/${k}`);
      const untar = med(`untar/${k}`);
      rows.push(`| | pull | ${fmtS(bPull)} (${fmtMBs(pull, bPull)}) | ${fmtS(dPull)} (${fmtMBs(pull, dPull)}) | ${fmtRatio(bPull, dPull)} | ${fmtRatio(bPull, dl)} / ${fmtRatio(dPull, dl)} | ${mb(pull)} fetched; download alone ${fmtS(dl)} (${fmtRatio(dl, dPull)} of dockerd's pull); decompression alone ${fmtS(gz)}; extraction alone (GNU tar) ${fmtS(untar)} |`);
      rows.push(`| | pull, already present | ${fmtS(med(`noop/berthd/${k}`))} | ${fmtS(med(`noop/dockerd/${k}`))} | ${fmtRatio(med(`noop/berthd/${k}`), med(`noop/dockerd/${k}`))} | | |`);
      console.log(rows.slice(-3).join('\n'));
    }
    return rows;
  } finally {
    for (const d of daemons) await d.cleanup().catch((e) => console.error(String(e)));
    rmSync(tmp, { recursive: true, force: true });
  }
}

const mb = (b: number | undefined) => (b === undefined ? 'n/a' : `${(b / 1e6).toFixed(1)} MB`);

/** Rounds per 64 MiB cell (curl transfers of 1 GiB each). */
const BIG_SAMPLES = 5;

interface LoadRow { what: string; clients: number; berth?: LoadResult; ref?: LoadResult }

async function registryLoad(notes: string[]): Promise<LoadRow[]> {
  if (!existsSync(WRK)) throw new Error(`${WRK} is not installed (apt-get install wrk; scripts/setup.sh --dev)`);
  const seconds = Number(opts.seconds);
  const servers: Array<{ key: 'berth' | 'ref'; reg: RunningRegistry }> = [];
  const rows: LoadRow[] = [];
  try {
    servers.push({ key: 'berth', reg: await startBerthRegistry() });
    if (haveReferenceRegistry()) servers.push({ key: 'ref', reg: await startReferenceRegistry() });
    else notes.push('The reference registry (docker-registry) is not installed: berth only.');
    const payload = makeLoadPayload();
    const data = await Promise.all(servers.map((s) => seedRegistry(s.reg.url, payload)));
    const d = data[0]!;
    const targets = [
      { what: '64 MiB blob GET', path: `/v2/${d.repo}/blobs/${d.large.digest}`, bytes: d.large.size, headers: [] as string[] },
      { what: '64 KiB blob GET', path: `/v2/${d.repo}/blobs/${d.small.digest}`, bytes: d.small.size, headers: [] },
      { what: 'manifest GET by tag', path: `/v2/${d.repo}/manifests/${d.tag}`, bytes: 0, headers: [`Accept: ${d.manifestType}`] },
    ];
    for (const s of servers) await wrk(`${s.reg.url}${targets[1]!.path}`, 8, 2, 0); // warm-up
    for (const t of targets) {
      for (const clients of [1, 8, 32]) {
        const row: LoadRow = { what: t.what, clients };
        // Big blobs: BIG_SAMPLES rounds, the registries' order swapped each round, the median round kept
        // (one sample of a few seconds swings 2x on a shared machine, and the first server of a pair was favoured).
        const big = t.bytes > 1 << 20;
        const got = new Map<string, LoadResult[]>();
        for (let i = 0; i < (big ? BIG_SAMPLES : 1); i++) {
          for (const s of i % 2 === 0 ? servers : [...servers].reverse()) {
            const url = `${s.reg.url}${t.path}`;
            const r = big
              ? await curlParallel(url, clients, Math.max(1, Math.ceil(16 / clients)), t.bytes)
              : await wrk(url, clients, seconds, t.bytes, t.headers);
            got.set(s.key, [...(got.get(s.key) ?? []), r]);
            console.log(`${s.key} ${t.what} x${clients}: ${r.rps.toFixed(0)} req/s, ${r.mbps.toFixed(0)} MB/s, p50 ${r.p50ms.toFixed(2)} ms, p99 ${r.p99ms.toFixed(2)} ms, errors ${r.errors}`);
          }
        }
        for (const s of servers) {
          const all = got.get(s.key)!.sort((a, b) => a.rps - b.rps);
          row[s.key] = all[Math.floor(all.length / 2)];
        }
        rows.push(row);
      }
    }
  } finally {
    for (const s of servers) await s.reg.stop();
  }
  return rows;
}

function loadCell(r: LoadResult | undefined, blob: boolean): string {
  if (!r) return 'n/a';
  const main = blob && r.mbps >= 100 ? `${r.mbps.toFixed(0)} MB/s (${r.rps.toFixed(1)} req/s)` : `${r.rps.toFixed(0)} req/s`;
  return `${main}, p50 ${r.p50ms.toFixed(1)} ms, p99 ${r.p99ms.toFixed(1)} ms${r.errors ? `, ${r.errors} errors` : ''}`;
}

const loadAvg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function main(): Promise<void> {
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const machineLine = `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memGiB} GiB, ${machine.kernel}, Node ${machine.node}, docker CLI ${machine.dockerCli}.`;
  if (opts.only === 'all' || opts.only === 'pushpull') {
    const notes: string[] = [];
    const rows = await pushPull(notes);
    const body = [
      '## Push and pull',
      '',
      `Measured ${when} UTC by \`bench/distribution.ts\` (median of ${runs} runs; commit ${commit}).`,
      '',
      machineLine,
      '',
      '| image | operation | docker CLI -> berthd | docker CLI -> dockerd | berthd / dockerd | pull / download alone (berthd / dockerd) | bytes |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
      'How: private daemons (dockerd with its own containerd); one `docker save` archive loaded into both, so both push ' +
        'the same image; a fresh `berth registry serve` on 127.0.0.1 per run. Each sample is one docker CLI process, ' +
        'spawn to exit. Both daemons pull the blobs berthd pushed (after removing the image), so they fetch the same ' +
        'bytes; "download alone" fetches those blobs from the same registry, 3 at a time, into files, and ' +
        '"decompression alone" then gunzips those files with Node\'s zlib, 3 at a time, into nothing: the two floors ' +
        'of a pull (no pull can take less than either); "extraction alone" is GNU tar extracting the same files into a ' +
        'scratch directory (GNU tar reads gzip itself), what writing the layer\'s files costs with the standard tool ' +
        '(once, after the last round: it slowed the pulls of the rounds after it). ' +
        '`sync` runs before every timed step, so that neither daemon ' +
        'pays for writing back what the other (or the set-up) left dirty: on ext4 an fsync (berthd and the registry ' +
        'fsync blobs; dockerd does not) commits every file\'s dirty data. MB/s is the ' +
        'compressed bytes sent or fetched over the wall time. dockerd gzips every layer while it pushes; berth keeps ' +
        'layers compressed (as fetched, or compressed once at load/build) and ships those bytes.',
      '',
      'Targets (issue 8): push at most 0.3x of Docker\'s, pull at most 0.5x, and a pull at most 1.2x the time to ' +
        'download the same bytes alone.',
      ...notes.map((n) => `\n${n}`),
    ].join('\n');
    if (!opts['no-write']) writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'distribution', body);
  }
  if (opts.only === 'all' || opts.only === 'registry') {
    const notes: string[] = [];
    const loadBefore = loadAvg();
    const rows = await registryLoad(notes);
    const body = [
      '## Registry server throughput',
      '',
      `Measured ${when} UTC by \`bench/distribution.ts\` (commit ${commit}; load average ${loadBefore} at the start, ${loadAvg()} at the end).`,
      '',
      machineLine,
      '',
      '| GET | clients | `berth registry serve` | reference registry (docker-registry) | berth / reference (req/s) |',
      '|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.what} | ${r.clients} | ${loadCell(r.berth, r.what.includes('blob'))} | ${loadCell(r.ref, r.what.includes('blob'))} | ${fmtRatio(r.berth?.rps, r.ref?.rps)} |`),
      '',
      'How: both registries on 127.0.0.1 with their own roots (filesystem storage), seeded over the protocol with the ' +
        `same blobs and manifest. 64 KiB and manifest GETs: \`wrk -c N\` (2 threads, ${opts.seconds} s) GETs one URL over ` +
        'keep-alive connections, the registries taking turns. 64 MiB GETs: `curl --parallel` with N transfers, 16 GETs ' +
        `(1 GiB) in all, timed to the last byte; ${BIG_SAMPLES} rounds, the order of the registries swapped each round, ` +
        'the median round shown. MB/s is payload (requests x blob size). The clients share the 2 CPUs with the server ' +
        'they measure.',
      '',
      'Targets (issue 8): at least as fast as the reference registry for 64 MiB blobs, and at least 1.5x its requests ' +
        'per second for 64 KiB blobs and manifest GETs by tag.',
      ...notes.map((n) => `\n${n}`),
    ].join('\n');
    if (!opts['no-write']) writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'registry-throughput', body);
  }
}

await main();
