// The registry server's cost of receiving a push: the big image's two
// layers uploaded the way berthd pushes them (the 200 MB one in 32 MiB
// PATCHes and a bodiless PUT, the 50 MB one in one PUT, both at once) by
// curl to `berth registry serve`, the server's CPU (all its threads, from
// /proc) and the wall time per push. With --other, a second checkout's
// server takes turns with this one's (A/B in the same run). With --berthd,
// a private berthd pushes the bench's big image (`docker push`) instead of
// curl.
//
//   node_modules/.bin/node bench/registry-upload.ts [--runs 6] [--other /path/to/checkout] [--berthd]
//
// Prints only; the figures go into docs/benchmarks.md by hand.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DOCKER_CLI, type PrivateDaemon, run, startBerthd } from '../test/helpers/daemon.ts';
import { freePort } from '../test/helpers/registry.ts';
import { makeImages } from './lib/bench-images.ts';
import { summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '6' },
    other: { type: 'string' },
    chunk: { type: 'string', default: String(32 << 20) },
    /** NODE_OPTIONS for the servers (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"). */
    'server-node-options': { type: 'string', default: '' },
    /** More environment for the servers, NAME=VALUE[,NAME=VALUE]. */
    'server-env': { type: 'string', default: '' },
    berthd: { type: 'boolean', default: false },
    /** Records `perf record -g` of each server's push into this directory. */
    perf: { type: 'string' },
  },
});
const HERE = resolve(import.meta.dirname, '..');
const CHUNK = Number(opts.chunk);
const TICK = 100; // USER_HZ

/** A file of size random bytes, written in 1 MiB pieces; its digest. */
function randomFile(path: string, size: number): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'w');
  const piece = Buffer.alloc(1 << 20);
  for (let left = size; left > 0;) {
    const n = Math.min(left, piece.length);
    // Cheap distinct bytes: a counter-seeded xorshift, not crypto.
    let x = (left * 2654435761) >>> 0 || 1;
    for (let i = 0; i < n; i += 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; piece.writeUInt32LE(x >>> 0, i); }
    writeSync(fd, piece, 0, n);
    h.update(piece.subarray(0, n));
    left -= n;
  }
  closeSync(fd);
  return `sha256:${h.digest('hex')}`;
}

/** The process's user and system CPU seconds (all threads). */
function cpuSeconds(pid: number): [number, number] {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return [Number(rest[11]) / TICK, Number(rest[12]) / TICK];
}

function curl(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((res, rej) => {
    const c = spawn('curl', ['-sS', '-o', '/dev/null', '-D', '-', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    c.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    c.on('error', rej);
    c.on('close', (code) => res({ code: code ?? -1, out }));
  });
}

function status(out: string): number {
  const all = [...out.matchAll(/^HTTP\/1\.1 (\d+)/gm)];
  return all.length ? Number(all[all.length - 1]![1]) : 0;
}

async function open(url: string, repo: string): Promise<string> {
  const r = await curl(['-X', 'POST', `${url}/v2/${repo}/blobs/uploads/`]);
  const loc = /^location: (\S+)/im.exec(r.out)?.[1];
  if (status(r.out) !== 202 || !loc) throw new Error(`POST: ${r.out}`);
  return loc.startsWith('http') ? loc : `${url}${loc}`;
}

const withDigest = (loc: string, d: string) => `${loc}${loc.includes('?') ? '&' : '?'}digest=${encodeURIComponent(d)}`;

async function chunked(url: string, repo: string, file: { path: string; size: number; digest: string }, parts: string[]): Promise<void> {
  const loc = await open(url, repo);
  let off = 0;
  for (const p of parts) {
    const len = Math.min(CHUNK, file.size - off);
    const r = await curl(['-X', 'PATCH', '-T', p, '-H', 'Content-Type: application/octet-stream', '-H', `Content-Range: ${off}-${off + len - 1}`, loc]);
    if (status(r.out) !== 202) throw new Error(`PATCH: ${r.out}`);
    off += len;
  }
  const r = await curl(['-X', 'PUT', '-H', 'Content-Length: 0', withDigest(loc, file.digest)]);
  if (status(r.out) !== 201) throw new Error(`PUT: ${r.out}`);
}

async function monolithic(url: string, repo: string, file: { path: string; digest: string }): Promise<void> {
  const loc = await open(url, repo);
  const r = await curl(['-X', 'PUT', '-T', file.path, '-H', 'Content-Type: application/octet-stream', withDigest(loc, file.digest)]);
  if (status(r.out) !== 201) throw new Error(`PUT: ${r.out}`);
}

async function startServer(checkout: string, root: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(`${checkout}/bin/berth`, ['registry', 'serve', '--listen', `127.0.0.1:${port}`, '--root', root], {
    stdio: 'ignore',
    env: {
      ...process.env, NODE_OPTIONS: opts['server-node-options'],
      ...Object.fromEntries(opts['server-env'].split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
    },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if ((await curl([`${url}/v2/`]).catch(() => ({ out: '' }))).out.includes('200')) break;
    if (i > 100) throw new Error(`${checkout}: registry did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, pid: child.pid!,
    stop: () => new Promise<void>((r) => { child.once('close', () => r()); child.kill('SIGTERM'); }),
  };
}

async function main(): Promise<void> {
  const tmp = mkdtempSync('/tmp/bd-up-');
  let daemon: PrivateDaemon | null = null;
  try {
    const big = { path: `${tmp}/big`, size: 200e6, digest: '' };
    const small = { path: `${tmp}/small`, size: 50e6, digest: '' };
    big.digest = randomFile(big.path, big.size);
    small.digest = randomFile(small.path, small.size);
    // The chunks as files of their own (curl -T sends a whole file).
    const parts: string[] = [];
    const all = readFileSync(big.path);
    for (let off = 0, i = 0; off < big.size; off += CHUNK, i++) {
      const p = `${tmp}/part${i}`;
      const fd = openSync(p, 'w');
      writeSync(fd, all, off, Math.min(CHUNK, big.size - off));
      closeSync(fd);
      parts.push(p);
    }
    let pushOne = (url: string) => Promise.all([chunked(url, 'b/big', big, parts), monolithic(url, 'b/big', small)]).then(() => {});
    if (opts.berthd) {
      const [img] = await makeImages(`${tmp}/img`, ['big']);
      const d = daemon = await startBerthd();
      const docker = async (args: string[]) => {
        const r = await run(DOCKER_CLI, args, { env: d.env, timeout: 600_000 });
        if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
      };
      await docker(['load', '-q', '-i', img!.archive]);
      pushOne = async (url) => {
        const name = `${url.slice('http://'.length)}/b/big:v1`;
        await docker(['tag', img!.tag, name]);
        await docker(['push', name]);
        await docker(['rmi', name]);
      };
    }
    const checkouts = opts.other ? [HERE, resolve(opts.other)] : [HERE];
    const cpu = new Map<string, number[]>();
    const wall = new Map<string, number[]>();
    console.log(`load at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (let i = 0; i < Number(opts.runs); i++) {
      for (const c of i % 2 ? [...checkouts].reverse() : checkouts) {
        const root = mkdtempSync(`${tmp}/root-`);
        const s = await startServer(c, root);
        try {
          const perf = opts.perf ? spawn('perf', ['record', '-q', '-F', '499', '-g', '-p', String(s.pid), '-o', `${opts.perf}/perf-${i}-${c === HERE ? 'a' : 'b'}.data`], { stdio: 'ignore' }) : null;
          if (perf) await new Promise((r) => setTimeout(r, 500));
          const c0 = cpuSeconds(s.pid);
          const t0 = performance.now();
          await pushOne(s.url);
          const ms = performance.now() - t0;
          const c1 = cpuSeconds(s.pid);
          if (perf) await new Promise((r) => { perf.once('close', r); perf.kill('SIGINT'); });
          const user = c1[0] - c0[0];
          const sys = c1[1] - c0[1];
          const used = user + sys;
          cpu.set(c, [...(cpu.get(c) ?? []), used]);
          wall.set(c, [...(wall.get(c) ?? []), ms]);
          console.log(`${c}: server CPU ${used.toFixed(2)} s (user ${user.toFixed(2)}, sys ${sys.toFixed(2)}), wall ${(ms / 1000).toFixed(2)} s, load ${loadavg()[0]!.toFixed(2)}`);
        } finally {
          await s.stop();
          rmSync(root, { recursive: true, force: true });
        }
      }
    }
    for (const c of checkouts) {
      const sc = summarize(cpu.get(c)!);
      const sw = summarize(wall.get(c)!);
      console.log(`${c}: server CPU median ${sc.median.toFixed(2)} s (${sc.min.toFixed(2)}-${sc.max.toFixed(2)}), wall median ${(sw.median / 1000).toFixed(2)} s (${(sw.min / 1000).toFixed(2)}-${(sw.max / 1000).toFixed(2)})`);
    }
    console.log(`load at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await daemon?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
