// The paths that unpack a client's or a registry's tar, driven raw over a
// private berthd's socket, and the checks the hostile corpus needs after
// each case: the host canary untouched, no privileged xattr on disk,
// nothing left in the data root.

import http from 'node:http';
import { createServer, type Server } from 'node:http';
import * as fs from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { lgetxattrs } from '../../src/sys/libc.ts';
import { TarReader } from '../../src/stores/tar/reader.ts';
import type { FileCheck, HostileCase } from './hostile-tars.ts';
import { archiveTar, sha256 } from './hostile-tars.ts';

export interface RawResponse { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

export function raw(socketPath: string, method: string, path: string, body?: Buffer | string,
  headers: Record<string, string> = {}, timeout = 60_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const req = http.request({
      socketPath, method, path, timeout,
      headers: { ...(payload ? { 'content-length': String(payload.length) } : {}), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export const json = (body: string | object) => JSON.stringify(body);

/** The error a JSON progress stream ended with, if any. */
export function streamError(body: Buffer): string | null {
  for (const line of body.toString().split(/\r?\n/)) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
      if (m.error || m.errorDetail) return m.errorDetail?.message ?? m.error ?? 'error';
    } catch { /* not JSON */ }
  }
  return null;
}

/** Outcome of one case through one path: 'rejected' with a message, or 'loaded'. */
export interface Outcome { status: number; error: string | null }

export function outcome(r: RawResponse): Outcome {
  if (r.status >= 400) {
    let msg = r.body.toString();
    try { msg = (JSON.parse(msg) as { message: string }).message; } catch { /* raw */ }
    return { status: r.status, error: msg };
  }
  return { status: r.status, error: streamError(r.body) };
}

// ---- reading back what loaded ----

interface PathStat { name: string; size: number; mode: number; linkTarget: string }

const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const GO_DEVICE = 2 ** 26;
const GO_PIPE = 2 ** 25;
const GO_CHAR = 2 ** 21;
const GO_SETUID = 2 ** 23;
const GO_SETGID = 2 ** 22;
const GO_STICKY = 2 ** 20;

function goType(mode: number): FileCheck['type'] {
  if (mode >= GO_DIR) return 'dir';
  const m = mode % GO_DIR;
  if (Math.floor(m / GO_SYMLINK) % 2) return 'symlink';
  if (Math.floor(m / GO_PIPE) % 2) return 'fifo';
  if (Math.floor(m / GO_DEVICE) % 2) return Math.floor(m / GO_CHAR) % 2 ? 'char' : 'block';
  return 'file';
}

function goPerm(mode: number): number {
  const bit = (b: number) => Math.floor(mode / b) % 2 === 1;
  return (mode % 0o1000) | (bit(GO_SETUID) ? 0o4000 : 0) | (bit(GO_SETGID) ? 0o2000 : 0) | (bit(GO_STICKY) ? 0o1000 : 0);
}

/** Checks a container's files through the archive endpoints; returns the mismatches. */
export async function checkFiles(socket: string, id: string, prefix: string, files: FileCheck[], absent: string[] = []): Promise<string[]> {
  const bad: string[] = [];
  for (const f of files) {
    const path = `${prefix}${f.path}`;
    const q = `/containers/${id}/archive?path=${encodeURIComponent(path)}`;
    const head = await raw(socket, 'HEAD', q);
    if (head.status !== 200) { bad.push(`${path}: HEAD ${head.status}`); continue; }
    const st = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString()) as PathStat;
    const type = goType(st.mode);
    if (type !== f.type) bad.push(`${path}: ${type}, expected ${f.type}`);
    if (f.linkTarget !== undefined && st.linkTarget !== f.linkTarget) bad.push(`${path}: link to ${st.linkTarget}, expected ${f.linkTarget}`);
    if (f.mode !== undefined && goPerm(st.mode) !== f.mode) bad.push(`${path}: mode ${goPerm(st.mode).toString(8)}, expected ${f.mode.toString(8)}`);
    if (f.content !== undefined) {
      const got = await raw(socket, 'GET', q);
      const r = new TarReader(Readable.from([got.body]));
      const h = await r.next();
      const chunks: Buffer[] = [];
      if (h) for await (const c of r.body()) chunks.push(c);
      const text = Buffer.concat(chunks).toString();
      if (text !== f.content) bad.push(`${path}: content ${JSON.stringify(text.slice(0, 40))}, expected ${JSON.stringify(f.content)}`);
    }
  }
  for (const p of absent) {
    const head = await raw(socket, 'HEAD', `/containers/${id}/archive?path=${encodeURIComponent(`${prefix}${p}`)}`);
    if (head.status !== 404) bad.push(`${prefix}${p}: should not exist (HEAD ${head.status})`);
  }
  return bad;
}

// ---- host-side checks ----

export interface CanaryState { listing: string[]; victim: string; root: string[]; tmp: string[] }

function victimState(canary: string): string {
  const p = join(canary, 'victim');
  const st = fs.lstatSync(p);
  const xattrs = [...lgetxattrs(p).keys()].sort().join(',');
  return JSON.stringify({ mode: st.mode, uid: st.uid, gid: st.gid, nlink: st.nlink, size: st.size, mtime: st.mtimeMs, ino: st.ino, content: fs.readFileSync(p, 'utf8'), xattrs });
}

const pwned = (dir: string) => fs.readdirSync(dir).filter((n) => /pwned/.test(n)).sort();

export function canaryState(canary: string): CanaryState {
  return {
    listing: fs.readdirSync(canary).sort(), victim: victimState(canary),
    root: pwned('/'), tmp: pwned('/tmp'),
  };
}

/** Files under dir (not following links, not crossing into other filesystems' mounts) with any trusted.* or security.* xattr on an entry the corpus named. */
export function privilegedXattrs(dir: string, names: Set<string>): string[] {
  const out: string[] = [];
  const dev = fs.statSync(dir).dev;
  const walk = (d: string) => {
    let list: fs.Dirent[];
    try { list = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of list) {
      const p = join(d, e.name);
      if (names.has(e.name)) {
        for (const k of lgetxattrs(p).keys()) if (/^(trusted|security)\./.test(k)) out.push(`${p}: ${k}`);
      }
      if (e.isDirectory()) {
        try { if (fs.lstatSync(p).dev === dev) walk(p); } catch { /* gone */ }
      }
    }
  };
  walk(dir);
  return out;
}

/** What in the data root should not outlive a finished request: ingests, build contexts, temporary snapshots. */
export function dataRootLeftovers(dataRoot: string): string[] {
  const out: string[] = [];
  const ls = (p: string) => { try { return fs.readdirSync(p); } catch { return []; } };
  for (const n of ls(join(dataRoot, 'content/ingest'))) out.push(`content/ingest/${n}`);
  for (const n of ls(join(dataRoot, 'builder/tmp'))) out.push(`builder/tmp/${n}`);
  for (const n of ls(join(dataRoot, 'snapshots'))) {
    if (/tmp|ingest/.test(n)) for (const m of ls(join(dataRoot, 'snapshots', n))) out.push(`snapshots/${n}/${m}`);
  }
  return out;
}

/** A listing of the snapshot store (names two levels down), to compare before and after. */
export function snapshotListing(dataRoot: string): string[] {
  const out: string[] = [];
  const base = join(dataRoot, 'snapshots');
  const ls = (p: string) => { try { return fs.readdirSync(p); } catch { return []; } };
  for (const a of ls(base)) {
    out.push(a);
    for (const b of ls(join(base, a))) out.push(`${a}/${b}`);
  }
  return out.sort();
}

// ---- a registry on loopback that serves each case as a one-layer image ----

export interface CaseRegistry { host: string; close(): Promise<void> }

/** The diff ID a case's layer would have (its tar's digest; a gzip's content; else the bytes themselves). */
export function caseDiffId(c: HostileCase): string {
  if (c.tar) return sha256(c.tar);
  try { return sha256(zlib.gunzipSync(c.bytes)); } catch { return sha256(c.bytes); }
}

/** A `docker save` archive (manifest.json, config, <dir>/layer.tar) whose one layer is the case's bytes as sent. */
export function saveArchiveOf(c: HostileCase, repoTag: string): Buffer {
  const config = Buffer.from(json({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/none'] }, rootfs: { type: 'layers', diff_ids: [caseDiffId(c)] } }));
  const configName = `${sha256(config).slice(7)}.json`;
  const layerDir = sha256(c.bytes).slice(7);
  return archiveTar([
    { name: 'manifest.json', body: json([{ Config: configName, RepoTags: [repoTag], Layers: [`${layerDir}/layer.tar`] }]) },
    { name: configName, body: config },
    { name: `${layerDir}/layer.tar`, body: c.bytes },
  ]);
}

export async function serveCases(cases: HostileCase[]): Promise<CaseRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, Buffer>();
  for (const c of cases) {
    const diffId = caseDiffId(c); // undecodable: the pull must fail anyway
    const config = Buffer.from(json({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/none'] }, rootfs: { type: 'layers', diff_ids: [diffId] } }));
    const layer = sha256(c.bytes);
    blobs.set(layer, c.bytes);
    blobs.set(sha256(config), config);
    manifests.set(c.name, Buffer.from(json({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: c.tar ? 'application/vnd.oci.image.layer.v1.tar' : 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: c.bytes.length }],
    })));
  }
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    const send = (status: number, body: Buffer, type: string, digest?: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': body.length, ...(digest ? { 'docker-content-digest': digest } : {}) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (url === '/v2/') return send(200, Buffer.from('{}'), 'application/json');
    let m = /^\/v2\/hostile\/manifests\/([^/]+)$/.exec(url);
    if (m) {
      const key = decodeURIComponent(m[1]!);
      const body = manifests.get(key) ?? [...manifests.values()].find((b) => sha256(b) === key);
      if (body) return send(200, body, 'application/vnd.oci.image.manifest.v1+json', sha256(body));
    }
    m = /^\/v2\/hostile\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url);
    if (m && blobs.has(m[1]!)) return send(200, blobs.get(m[1]!)!, 'application/octet-stream', m[1]);
    send(404, Buffer.from(json({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'unknown' }] })), 'application/json');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
