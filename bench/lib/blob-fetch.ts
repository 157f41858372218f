// The floor a pull is compared with: the same layer blobs fetched from the
// same registry, 3 at a time (dockerd's default max-concurrent-downloads),
// written to files and nothing else (no hashing, decompression or unpacking).

import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

export interface PushedManifest {
  layers: Array<{ digest: string; size: number }>;
  bytes: number;
}

export async function readManifest(base: string, repo: string, tag: string): Promise<PushedManifest> {
  const r = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { headers: { Accept: ACCEPT } });
  if (r.status !== 200) throw new Error(`GET manifest ${repo}:${tag}: ${r.status}`);
  const m = await r.json() as { layers: Array<{ digest: string; size: number }> };
  return { layers: m.layers, bytes: m.layers.reduce((a, l) => a + l.size, 0) };
}

function download(url: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      if (res.statusCode !== 200) { res.resume(); reject(new Error(`GET ${url}: ${res.statusCode}`)); return; }
      pipeline(res, createWriteStream(file)).then(resolve, reject);
    }).on('error', reject);
  });
}

/** Milliseconds to fetch every layer of the manifest into dir, `concurrency` at a time. */
export async function fetchLayers(base: string, repo: string, m: PushedManifest, dir: string, concurrency = 3): Promise<number> {
  const t = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < m.layers.length) {
      const l = m.layers[next++]!;
      await download(`${base}/v2/${repo}/blobs/${l.digest}`, join(dir, l.digest.replace(':', '-')));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - t;
}

/**
 * Milliseconds to decompress every gzip blob in dir (as fetchLayers left
 * them), `concurrency` at a time, with Node's zlib into nothing: the other
 * floor of a pull, next to the download. On loopback a compressible layer
 * decompresses slower than it downloads, and no pull can take less.
 */
export async function gunzipLayers(dir: string, concurrency = 3): Promise<number> {
  const files = readdirSync(dir).map((f) => join(dir, f));
  const t = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!;
      const head = await new Promise<Buffer>((resolve, reject) => {
        const s = createReadStream(f, { start: 0, end: 1 });
        const parts: Buffer[] = [];
        s.on('data', (c) => parts.push(c as Buffer)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject);
      });
      if (head[0] !== 0x1f || head[1] !== 0x8b) continue; // not gzip: nothing to decompress
      await pipeline(createReadStream(f, { highWaterMark: 1 << 20 }), createGunzip({ chunkSize: 1 << 20 }), new Writable({ write(_c, _e, cb) { cb(); } }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - t;
}

/**
 * Milliseconds for GNU tar to extract every blob in dir (gzip or plain) into
 * a scratch directory beside it, `concurrency` at a time: the third floor,
 * writing the layer's files, with the standard tool. The scratch directory
 * is removed afterwards (not timed).
 */
export async function untarLayers(dir: string, concurrency = 3): Promise<number> {
  const files = readdirSync(dir).map((f) => join(dir, f));
  const out = mkdtempSync(`${dir}-x-`);
  const t = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const into = join(out, String(i));
      await new Promise<void>((resolve, reject) => {
        const p = spawn('sh', ['-c', 'mkdir -p "$2" && tar -xf "$1" -C "$2"', 'untar', files[i]!, into], { stdio: 'ignore' });
        p.on('error', reject).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tar -xf ${files[i]}: exit ${code}`))));
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    return performance.now() - t;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
