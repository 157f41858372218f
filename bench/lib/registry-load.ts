// Registry throughput: the same blobs and manifest put into each registry
// over the protocol, then `wrk` (Debian's) GETs one URL with N keep-alive
// connections for a fixed time. Payload MB/s is requests/s x the blob size
// (wrk's own Transfer/sec counts headers too).

import { createHash, randomBytes } from 'node:crypto';
import { run } from '../../test/helpers/run.ts';

export const WRK = '/usr/bin/wrk';

export interface LoadData {
  repo: string;
  small: { digest: string; size: number };
  large: { digest: string; size: number };
  tag: string;
  manifestType: string;
}

export interface LoadResult {
  rps: number;
  mbps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function putBlob(base: string, repo: string, body: Buffer): Promise<string> {
  const digest = digestOf(body);
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await start.body?.cancel();
  const loc = start.headers.get('location');
  if (start.status !== 202 || !loc) throw new Error(`${base}: POST upload answered ${start.status}`);
  const url = new URL(loc, base);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, { method: 'PUT', body, headers: { 'Content-Type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`${base}: PUT blob answered ${put.status}: ${await put.text()}`);
  return digest;
}

/** Random data for every registry of one run (same bytes in each). */
export function makeLoadPayload(): { small: Buffer; large: Buffer; config: Buffer } {
  return {
    small: randomBytes(64 * 1024),
    large: randomBytes(64 * 1024 * 1024),
    config: Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })),
  };
}

export async function seedRegistry(base: string, p: ReturnType<typeof makeLoadPayload>): Promise<LoadData> {
  const repo = 'bench/load';
  const small = await putBlob(base, repo, p.small);
  const large = await putBlob(base, repo, p.large);
  const config = await putBlob(base, repo, p.config);
  const manifestType = 'application/vnd.docker.distribution.manifest.v2+json';
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: manifestType,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: p.config.length, digest: config },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: p.small.length, digest: small },
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: p.large.length, digest: large },
    ],
  });
  const res = await fetch(`${base}/v2/${repo}/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'Content-Type': manifestType } });
  if (res.status !== 201) throw new Error(`${base}: PUT manifest answered ${res.status}: ${await res.text()}`);
  return { repo, small: { digest: small, size: p.small.length }, large: { digest: large, size: p.large.length }, tag: 'v1', manifestType };
}

function ms(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

/** wrk against one URL: `clients` connections for `seconds`. */
export async function wrk(url: string, clients: number, seconds: number, bytes: number, headers: string[] = []): Promise<LoadResult> {
  const threads = Math.min(clients, 2);
  const args = ['-t', String(threads), '-c', String(clients), '-d', `${seconds}s`, '--timeout', '30s', '--latency',
    ...headers.flatMap((h) => ['-H', h]), url];
  const r = await run(WRK, args, { timeout: (seconds + 60) * 1000 });
  if (r.code !== 0) throw new Error(`wrk ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  const out = r.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const lat = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s|m)`).exec(out);
    return m ? ms(m[1]!, m[2]!) : NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, v) => a + Number(v), 0) : 0);
  if (!Number.isFinite(rps)) throw new Error(`wrk: no Requests/sec in ${out}`);
  return { rps, mbps: (rps * bytes) / 1e6, p50ms: lat('50'), p99ms: lat('99'), errors };
}

/**
 * Big blobs: `clients` parallel transfers by curl, `perClient` GETs each,
 * timed to the last byte (wrk would drop the transfers still running when
 * its clock stops, a large share of the bytes at 64 MiB each).
 */
export async function curlParallel(url: string, clients: number, perClient: number, bytes: number): Promise<LoadResult> {
  const n = clients * perClient;
  const args = ['-s', '--parallel', '--parallel-immediate', '--parallel-max', String(clients), '-w', '%{http_code} %{size_download} %{time_total}\n'];
  for (let i = 0; i < n; i++) args.push('-o', '/dev/null', url);
  const t = performance.now();
  const r = await run('curl', args, { timeout: 600_000 });
  const ms = performance.now() - t;
  const lines = r.stdout.trim().split('\n').map((l) => l.split(' '));
  const ok = lines.filter((l) => l[0] === '200' && Number(l[1]) === bytes);
  const times = ok.map((l) => Number(l[2]) * 1000).sort((a, b) => a - b);
  const pick = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] ?? NaN;
  return { rps: ok.length / (ms / 1000), mbps: (ok.length * bytes) / 1e6 / (ms / 1000), p50ms: pick(50), p99ms: pick(99), errors: n - ok.length };
}
