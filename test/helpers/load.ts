// Concurrent API clients against a daemon's socket: the load generator of
// stress/load.ts (200 clients, 60 s) and of its short run in `npm test`
// (test/integration/daemon/load.test.ts).
//
// Each client is its own keep-alive connection and sends one request at a
// time, as a docker CLI or an SDK would. Most clients read (ps, inspect,
// images, version, info, logs of a few long-running containers); every
// `churnEvery`-th client instead cycles busybox containers through create,
// start, stop and rm. Every answer but a 2xx is an error, as is a request
// that fails or takes longer than `timeoutMs`. Latencies are kept per kind.
//
//   const r = await runLoad({ socket, clients: 200, seconds: 60, targets: [id1, id2] });
//   r.errors, r.kinds.ps.p99, r.rss (samples of the daemon's VmRSS)

import http from 'node:http';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export type LoadKind = 'ps' | 'inspect' | 'images' | 'version' | 'info' | 'logs' | 'create' | 'start' | 'stop' | 'rm';
const READS: LoadKind[] = ['ps', 'inspect', 'images', 'version', 'info', 'logs'];

export interface LoadOptions {
  socket: string;
  clients: number;
  seconds: number;
  /** Running containers the readers inspect and read logs of. */
  targets: string[];
  /** Every n-th client churns containers (default 10: 20 of 200). */
  churnEvery?: number;
  /** Network of churned containers (default "none"). */
  network?: string;
  /** The daemon's pid, to sample its RSS every second. */
  pid?: number | null;
  timeoutMs?: number;
  seed?: number;
}

export interface KindStats { count: number; p50: number; p99: number; max: number }

export interface LoadError { kind: LoadKind; status: number; message: string }

export interface LoadReport {
  requests: number;
  ms: number;
  errors: LoadError[];
  kinds: Partial<Record<LoadKind, KindStats>>;
  /** [seconds since start, RSS in KiB] once a second. */
  rss: Array<[number, number]>;
  /** Containers created that a failure left behind (the caller removes them). */
  leftovers: string[];
  cycles: number;
}

/** A small deterministic generator (mulberry32), so a run can be repeated. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** What each descriptor of `pid` points at, for a message naming a leak. */
export function fdTargets(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try { out.push(`${fd}:${readlinkSync(`/proc/${pid}/fd/${fd}`)}`); } catch { /* closed meanwhile */ }
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Answer { status: number; body: string }

function send(agent: http.Agent, socket: string, method: string, path: string, body: unknown, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      socketPath: socket, agent, method, path, timeout: timeoutMs,
      headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const churnEvery = o.churnEvery ?? 10;
  const lat = new Map<LoadKind, number[]>();
  const errors: LoadError[] = [];
  const live = new Set<string>();
  let requests = 0;
  let cycles = 0;
  const t0 = performance.now();
  const deadline = t0 + o.seconds * 1000;
  const rss: Array<[number, number]> = [];
  const sample = () => { if (o.pid) { try { rss.push([Math.round((performance.now() - t0) / 1000), rssKiB(o.pid)]); } catch { /* gone */ } } };
  sample();
  const sampler = setInterval(sample, 1000);

  async function call(agent: http.Agent, kind: LoadKind, method: string, path: string, body?: unknown): Promise<Answer | null> {
    const start = performance.now();
    requests++;
    try {
      const a = await send(agent, o.socket, method, path, body, timeoutMs);
      (lat.get(kind) ?? lat.set(kind, []).get(kind)!).push(performance.now() - start);
      if (a.status < 200 || a.status > 299) {
        errors.push({ kind, status: a.status, message: a.body.slice(0, 300) });
        return null;
      }
      return a;
    } catch (err) {
      errors.push({ kind, status: 0, message: (err as Error).message });
      return null;
    }
  }

  async function reader(agent: http.Agent, rand: () => number): Promise<void> {
    const kind = READS[Math.floor(rand() * READS.length)]!;
    const target = o.targets[Math.floor(rand() * o.targets.length)]!;
    switch (kind) {
      case 'ps': await call(agent, kind, 'GET', '/v1.45/containers/json?all=1'); break;
      case 'inspect': await call(agent, kind, 'GET', `/v1.45/containers/${target}/json`); break;
      case 'images': await call(agent, kind, 'GET', '/v1.45/images/json'); break;
      case 'version': await call(agent, kind, 'GET', '/v1.45/version'); break;
      case 'info': await call(agent, kind, 'GET', '/v1.45/info'); break;
      case 'logs': await call(agent, kind, 'GET', `/v1.45/containers/${target}/logs?stdout=1&stderr=1&tail=20&timestamps=1`); break;
      default: break;
    }
  }

  async function churn(agent: http.Agent): Promise<void> {
    const created = await call(agent, 'create', 'POST', '/v1.45/containers/create', {
      Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: o.network ?? 'none' },
    });
    if (!created) return;
    const id = (JSON.parse(created.body) as { Id: string }).Id;
    live.add(id);
    if (!await call(agent, 'start', 'POST', `/v1.45/containers/${id}/start`)) return;
    if (!await call(agent, 'stop', 'POST', `/v1.45/containers/${id}/stop?t=1`)) return;
    if (!await call(agent, 'rm', 'DELETE', `/v1.45/containers/${id}?v=1`)) return;
    live.delete(id);
    cycles++;
  }

  async function client(n: number): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const rand = rng((o.seed ?? 1) * 1000 + n);
    const churner = n % churnEvery === churnEvery - 1;
    try {
      while (performance.now() < deadline) {
        if (churner) await churn(agent); else await reader(agent, rand);
      }
    } finally {
      agent.destroy();
    }
  }

  try {
    await Promise.all(Array.from({ length: o.clients }, (_, n) => client(n)));
  } finally {
    clearInterval(sampler);
  }
  sample();
  const kinds: LoadReport['kinds'] = {};
  for (const [k, v] of lat) {
    v.sort((a, b) => a - b);
    kinds[k] = { count: v.length, p50: Math.round(percentile(v, 50) * 10) / 10, p99: Math.round(percentile(v, 99) * 10) / 10, max: Math.round(v[v.length - 1]! * 10) / 10 };
  }
  return { requests, ms: Math.round(performance.now() - t0), errors, kinds, rss, leftovers: [...live], cycles };
}
