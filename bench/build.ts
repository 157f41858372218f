// Image builds, berthd beside the reference dockerd (classic builder):
//
//   node_modules/.bin/node bench/build.ts [--runs 3] [--target both|berthd|dockerd] [--no-write]
//       [--baseline <checkout>/bin/berthd --baseline-label <rev>]
//
// 1. `FROM busybox`, COPY of a 200 MB and a 50 MB file, a RUN: cold
//    (--no-cache) and a rebuild with nothing changed, through the docker CLI
//    against each daemon, and through `berth build` (which has berthd read
//    the folder in place instead of sending it).
// 2. Two independent stages of `RUN sleep 1` and a final stage copying from
//    both: berth builds them at the same time, the classic builder in turn.
// Cold runs remove the image and its build cache first. --baseline adds a
// second berthd (another build, e.g. main's) whose docker-CLI cold build and
// rebuild are sampled in the same rounds: an A/B under the same load.

import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  BERTH, DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd,
} from '../test/helpers/daemon.ts';
import { describeMachine, fmtMs, fmtRatio, type Machine, writeSection } from './lib/report.ts';
import { summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    target: { type: 'string', default: 'both' },
    'no-write': { type: 'boolean', default: false },
    baseline: { type: 'string' },
    'baseline-label': { type: 'string', default: 'baseline' },
  },
});
const runs = Number(opts.runs);

function bigFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  const chunk = randomBytes(1 << 20);
  for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  closeSync(fd);
}

function makeContexts(root: string): { big: string; multi: string } {
  const big = `${root}/big`;
  mkdirSync(big, { recursive: true });
  bigFile(`${big}/big1`, 200_000_000);
  bigFile(`${big}/big2`, 50_000_000);
  writeFileSync(`${big}/Dockerfile`, 'FROM busybox\nCOPY big1 /data/big1\nCOPY big2 /data/big2\nRUN ls -l /data > /data/list\n');
  const multi = `${root}/multi`;
  mkdirSync(multi, { recursive: true });
  writeFileSync(`${multi}/Dockerfile`, [
    'FROM busybox AS a', 'RUN sleep 1 && echo a > /a',
    'FROM busybox AS b', 'RUN sleep 1 && echo b > /b',
    'FROM busybox', 'COPY --from=a /a /a', 'COPY --from=b /b /b', '',
  ].join('\n'));
  return { big, multi };
}

type Client = 'docker' | 'berth';

async function build(d: PrivateDaemon, client: Client, dir: string, tag: string, extra: string[] = []): Promise<number> {
  const cmd = client === 'docker' ? DOCKER_CLI : BERTH;
  const r = await run(cmd, ['build', '-q', ...extra, '-t', tag, dir], { env: { ...d.env, DOCKER_BUILDKIT: '0' }, timeout: 600_000 });
  if (r.code !== 0) throw new Error(`${client} build against ${d.kind} exited ${r.code}: ${r.stderr}`);
  return r.ms;
}

/** The daemon's part of a no-change rebuild: /build with the folder read in place, no CLI process. */
function apiRebuild(d: PrivateDaemon, dir: string, tag: string): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method: 'POST', path: `/build?q=1&t=${encodeURIComponent(tag)}&contextdir=${encodeURIComponent(dir)}` }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => (res.statusCode === 200 && !body.includes('errorDetail') ? resolve(performance.now() - t) : reject(new Error(`build: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The floor of a docker-CLI build: the CLI sending the context to a server that reads it and
 * answers at once (no daemon work at all). A rebuild cannot finish before its upload does.
 */
async function discardServer(dir: string): Promise<{ socket: string; close: () => Promise<void> }> {
  const socket = `${dir}/discard.sock`;
  const server = http.createServer((req, res) => {
    if (req.url?.includes('/_ping')) {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Api-Version': '1.47', 'Ostype': 'linux' });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
      return;
    }
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`${JSON.stringify({ stream: `sha256:${'0'.repeat(64)}\n` })}\r\n`);
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return { socket, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function sendOnly(socket: string, dir: string): Promise<number> {
  const r = await run(DOCKER_CLI, ['build', '-q', '-t', 'bench:big', dir], {
    env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '0', DOCKER_API_VERSION: '1.47' }, timeout: 600_000,
  });
  if (r.code !== 0) throw new Error(`docker build against the discarding server exited ${r.code}: ${r.stderr}`);
  return r.ms;
}

async function reset(d: PrivateDaemon, tag: string): Promise<void> {
  await run(DOCKER_CLI, ['rmi', '-f', tag], { env: d.env });
  if (d.kind === 'berthd') await run(BERTH, ['builder', 'prune', '-f'], { env: d.env });
  else await run(DOCKER_CLI, ['image', 'prune', '-f'], { env: d.env });
}

interface Row { label: string; berthd?: number; dockerd?: number; berthCli?: number; floor?: boolean }

async function main(): Promise<void> {
  const machine: Machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const loadStart = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const tmp = mkdtempSync('/tmp/bb-');
  const daemons: Array<{ d: PrivateDaemon; label: string }> = [];
  const notes: string[] = [];
  const samples = new Map<string, number[]>();
  const add = (k: string, ms: number) => samples.set(k, [...(samples.get(k) ?? []), ms]);
  try {
    const ctx = makeContexts(tmp);
    const discard = await discardServer(tmp);
    const closeDiscard = discard.close;
    if (opts.target !== 'dockerd') daemons.push({ d: await startBerthd(), label: 'berthd' });
    if (opts.baseline) daemons.push({ d: await startBerthd({ binary: opts.baseline }), label: 'base' });
    if (opts.target !== 'berthd') {
      try {
        daemons.push({ d: await startDockerd(), label: 'dockerd' });
      } catch (e) {
        if (!(e instanceof DaemonUnavailable)) throw e;
        notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
      }
    }
    for (let i = 0; i < runs; i++) {
      console.log(`round ${i + 1}: load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      for (const { d, label } of daemons) {
        const clients: Client[] = label === 'berthd' ? ['berth', 'docker'] : ['docker'];
        for (const c of clients) {
          await reset(d, 'bench:big');
          add(`${label}/${c}/cold`, await build(d, c, ctx.big, 'bench:big'));
          add(`${label}/${c}/rebuild`, await build(d, c, ctx.big, 'bench:big'));
          if (c === 'berth') add('berthd/api/rebuild', await apiRebuild(d, ctx.big, 'bench:big'));
          if (c === 'docker' && label !== 'base') add('send-only', await sendOnly(discard.socket, ctx.big));
          if (label === 'base') continue;
          await reset(d, 'bench:multi');
          add(`${label}/${c}/multi`, await build(d, c, ctx.multi, 'bench:multi'));
        }
      }
    }
    await closeDiscard();
  } finally {
    for (const { d } of daemons) await d.cleanup().catch((e) => console.error(String(e)));
    rmSync(tmp, { recursive: true, force: true });
  }
  const med = (k: string) => (samples.has(k) ? summarize(samples.get(k)!).median : undefined);
  const rows: Row[] = [
    { label: 'COPY 200 MB + 50 MB + RUN, cold (--no-cache equivalent: image and cache removed)', berthd: med('berthd/docker/cold'), dockerd: med('dockerd/docker/cold'), berthCli: med('berthd/berth/cold') },
    { label: 'same, rebuild with nothing changed', berthd: med('berthd/docker/rebuild'), dockerd: med('dockerd/docker/rebuild'), berthCli: med('berthd/berth/rebuild') },
    { label: 'same, the daemon\'s part alone (`/build` reading the folder in place, no CLI process)', berthCli: med('berthd/api/rebuild') },
    ...(opts.baseline ? [
      { label: `A/B: cold, baseline berthd (${opts['baseline-label']}) in the same rounds`, berthd: med('base/docker/cold'), dockerd: med('dockerd/docker/cold') },
      { label: `A/B: rebuild with nothing changed, baseline berthd (${opts['baseline-label']}) in the same rounds`, berthd: med('base/docker/rebuild'), dockerd: med('dockerd/docker/rebuild') },
    ] : []),
    // Sampled after each docker-CLI rebuild; its ratio is to dockerd's rebuild: the lowest a daemon can reach.
    { label: 'floor: the docker CLI sending the same context to a server that only reads it (ratio: to dockerd\'s rebuild)', berthd: med('send-only'), floor: true },
    { label: 'two independent `RUN sleep 1` stages + COPY --from both', berthd: med('berthd/docker/multi'), dockerd: med('dockerd/docker/multi'), berthCli: med('berthd/berth/multi') },
  ];
  for (const [k, v] of samples) console.log(`samples ${k}: ${v.map((x) => x.toFixed(0)).join(' ')} ms`);
  for (const r of rows) {
    console.log(`${r.label}: berth build ${fmtMs(r.berthCli)}, docker CLI->${r.floor ? 'discarding server' : 'berthd'} ${fmtMs(r.berthd)}, docker CLI->dockerd ${fmtMs(r.dockerd)}`);
  }
  if (opts['no-write']) return;
  const body = [
    '## Image builds',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/build.ts\` (median of ${runs} runs each; commit ${commit}; ` +
      `load average ${loadStart} at the start, ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end).`,
    '',
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memGiB} GiB, ${machine.kernel}, Node ${machine.node}, docker CLI ${machine.dockerCli} (DOCKER_BUILDKIT=0: the classic builder).`,
    '',
    '| build | `berth build` -> berthd | docker CLI -> berthd | docker CLI -> dockerd | berth build / dockerd | docker CLI: berthd / dockerd |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.label} | ${fmtMs(r.berthCli)} | ${fmtMs(r.berthd)} | ${fmtMs(r.dockerd)} | ${fmtRatio(r.berthCli, r.dockerd)} | ${fmtRatio(r.berthd, r.floor ? med('dockerd/docker/rebuild') : r.dockerd)} |`),
    '',
    'How: private daemons (dockerd with its own containerd, `--bridge none`); the docker CLI sends the context as a tar, ' +
      '`berth build` has berthd read the folder in place (same host). A cold run first removes the image and the build ' +
      'cache (`builder prune` on berthd, `image prune` on dockerd). Each sample is one `build -q` process, spawn to exit. With `--baseline`, a second berthd from another checkout (the A/B rows) has its docker-CLI cold build and rebuild sampled in the same rounds.',
    '',
    'Where berth\'s cold time goes (profiled on this machine): the COPY cache key hashes the copied files (sha256; ' +
      'a context sent as a tar is hashed while it is extracted, a folder built in place is hashed once and then ' +
      'remembered by path, device, inode, mode, size and nanosecond mtime and ctime, across daemon restarts); the files are copied into the step\'s overlay snapshot; unmounting ' +
      'it makes the kernel write them out (overlayfs syncs its upper dir on umount); the snapshot\'s changes are read ' +
      'once more as the layer tar, which is hashed (the diffID) and written to the content store (fsynced) while the ' +
      'snapshot itself becomes the layer by a rename. Docker hashes the same tar but keeps no copy of it: that blob ' +
      'write and its fsync are the largest cost berth has that dockerd does not. A no-change rebuild only looks keys ' +
      'up: in the daemon it takes ~10 ms with `berth build` (the rest of that column is the berth CLI\'s own start), ' +
      'while through the docker CLI the 250 MB context is sent again, and berthd compares it with the last upload it kept (written and hashed only where it differs; dockerd extracts and hashes it all again). The floor ' +
      'row is the docker CLI alone: its time to send the context to a server that reads and drops it.',
    ...notes.map((n) => `\n${n}`),
  ].join('\n');
  writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'build', body);
  console.log('wrote docs/benchmarks.md');
}

await main();
