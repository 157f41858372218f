// POST /build (the classic builder's endpoint, what `docker build` uses
// without BuildKit) and POST /build/prune. The context is the request body
// (a tar, maybe compressed), a `remote` tarball URL, or, for berth's own
// CLI on the same host, `contextdir`, a directory read in place. Errors
// found before the build starts (context, Dockerfile syntax, target) are
// an HTTP error; later ones end the JSON stream with an errorDetail line.

import { httpGet, ok } from '../../builder/http-get.ts';
import { isGitUrl } from '../../builder/git.ts';
import { parsePlatform } from '../../builder/platform.ts';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import type { Ctx } from '../context.ts';
import { BerthError, invalid, notFound, unavailable } from '../../core/errors.ts';
import { boolParam, sendJson } from '../http.ts';
import type { BuildContext } from '../../builder/context.ts';
import type { BuildOptions } from '../../builder/state.ts';

function jsonMap(q: URLSearchParams, name: string): Map<string, string> {
  const raw = q.get(name);
  const out = new Map<string, string>();
  if (!raw) return out;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalid(`invalid ${name} JSON: ${raw}`);
  }
  if (v && typeof v === 'object') {
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) if (typeof val === 'string') out.set(k, val);
  }
  return out;
}

function jsonList(q: URLSearchParams, name: string): string[] {
  const raw = q.get(name);
  if (!raw) return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalid(`invalid ${name} JSON: ${raw}`);
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`invalid ${name}: ${raw} is not a JSON array of strings`);
  return v as string[];
}

/** extrahosts: repeated "host:ip" (docker-py), or one comma-separated value. */
function extraHosts(q: URLSearchParams): string[] {
  const out = q.getAll('extrahosts').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const h of out) if (!/^[^:]+:.+$/.test(h)) throw invalid(`invalid extra host "${h}": want host:ip`);
  return out;
}

function shmSize(q: URLSearchParams): number {
  const raw = q.get('shmsize');
  if (!raw) return 0;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(`invalid shmsize "${raw}": want a number of bytes`);
  return n;
}

/** BuildKit's limit on one secret. */
const MAX_SECRET_SIZE = 500 * 1024;

/**
 * berth build's --secret: `secrets=id=X,src=PATH` (a file on this host, read here, as the
 * context folder is) and the X-Berth-Build-Secrets header, {"id": base64 value}, for
 * values the CLI took from its own environment (never in the URL, which is logged).
 */
function secrets(q: URLSearchParams, header: string | string[] | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const spec of q.getAll('secrets')) {
    const kv = new Map(spec.split(',').map((p) => { const i = p.indexOf('='); return [i < 0 ? p : p.slice(0, i), i < 0 ? '' : p.slice(i + 1)] as [string, string]; }));
    const id = kv.get('id');
    const src = kv.get('src') ?? kv.get('source');
    if (!id) throw invalid(`invalid secret "${spec}": id is required`);
    if (!src) throw invalid(`invalid secret "${spec}": src is required`);
    let st: fs.Stats;
    try { st = fs.statSync(src); } catch (err) { throw invalid(`failed to stat ${src}: ${(err as Error).message}`); }
    if (st.size > MAX_SECRET_SIZE) throw invalid(`secret ${id} too big. max size 500KB`);
    try { out.set(id, fs.readFileSync(src)); } catch (err) { throw invalid(`failed to read secret ${id} from ${src}: ${(err as Error).message}`); }
  }
  if (typeof header === 'string' && header) {
    let v: unknown;
    try { v = JSON.parse(Buffer.from(header, 'base64').toString('utf8')); } catch { throw invalid('invalid X-Berth-Build-Secrets header: want base64 of a JSON object'); }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid('invalid X-Berth-Build-Secrets header: want base64 of a JSON object');
    for (const [id, val] of Object.entries(v as Record<string, unknown>)) {
      if (typeof val !== 'string') throw invalid(`invalid X-Berth-Build-Secrets header: the value of ${id} is not a string`);
      const data = Buffer.from(val, 'base64');
      if (data.length > MAX_SECRET_SIZE) throw invalid(`secret ${id} too big. max size 500KB`);
      out.set(id, data);
    }
  }
  return out;
}

export async function build(ctx: Ctx): Promise<void> {
  const builder = ctx.deps.builder;
  if (!builder) throw unavailable('the builder is not available in this daemon');
  const q = ctx.query;
  const rm = q.get('rm');
  const opts: BuildOptions = {
    dockerfile: q.get('dockerfile') || 'Dockerfile',
    tags: q.getAll('t').filter(Boolean).map((t) => (/:[^/]+$/.test(t) || t.includes('@') ? t : `${t}:latest`)),
    buildArgs: jsonMap(q, 'buildargs'),
    target: q.get('target') || undefined,
    noCache: boolParam(q, 'nocache'),
    pull: boolParam(q, 'pull'),
    rm: rm === null || rm === '' ? true : boolParam(q, 'rm'),
    forceRm: boolParam(q, 'forcerm'),
    labels: Object.fromEntries(jsonMap(q, 'labels')),
    networkMode: q.get('networkmode') || 'default',
    quiet: boolParam(q, 'q'),
    secrets: secrets(q, ctx.req.headers['x-berth-build-secrets']),
    cacheFrom: jsonList(q, 'cachefrom'),
    extraHosts: extraHosts(q),
    shmSize: shmSize(q),
    ...(q.get('platform') ? { platform: parsePlatform(q.get('platform')!) } : {}),
  };
  for (const t of opts.tags) ctx.deps.builder!.checkTag(t);
  const t0 = performance.now();
  const remote = q.get('remote');
  const contextDir = q.get('contextdir');
  let context: BuildContext;
  let dockerfileText: string | undefined;
  if (contextDir) {
    context = builder.contextInPlace(contextDir, opts.dockerfile);
  } else if (remote && isGitUrl(remote)) {
    context = await builder.contextFromGit(remote, opts.dockerfile);
  } else if (remote) {
    if (!/^https?:\/\//.test(remote)) throw invalid(`remoteURL (${remote}) could not be recognized as URL`);
    const res = await httpGet(remote).catch((err: Error) => { throw invalid(`error downloading remote context ${remote}: ${err.message}`); });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (!ok(res)) {
      // dockerd's words, and its status for a missing file.
      const msg = `error downloading remote context ${remote}: failed to GET ${remote} with status ${res.statusCode} ${res.statusMessage ?? ''}: ${body.toString('utf8', 0, 512).trim()}`;
      throw res.statusCode === 404 ? notFound(msg) : invalid(msg);
    }
    // As dockerd: a text/plain answer is a lone Dockerfile, anything else a (maybe compressed) context tar.
    if (/^text\/plain\b/i.test(String(res.headers['content-type'] ?? ''))) {
      context = await builder.contextFromTar(Readable.from([Buffer.alloc(1024)]), opts.dockerfile);
      dockerfileText = body.toString('utf8');
    } else {
      context = await builder.contextFromTar(Readable.from([body]), opts.dockerfile);
    }
  } else {
    context = await builder.contextFromTar(ctx.req, opts.dockerfile);
  }
  const t1 = performance.now();
  const prepared = builder.prepare(context, opts, dockerfileText);
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  const write = (v: unknown) => { if (!ctx.res.destroyed) ctx.res.write(JSON.stringify(v) + '\r\n'); };
  try {
    const image = await prepared.run({ stream: (s) => write({ stream: s }), aux: (v) => write({ aux: v }), message: (m) => write(m) });
    if (opts.quiet) write({ stream: `${image.id}\n` });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { exitCode?: number }).exitCode;
    write({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
    if (!(err instanceof BerthError)) ctx.deps.logger.warn('build failed', { err: message });
  } finally {
    // The client is done once the stream ends: removing an extracted context (hundreds of MB) comes after.
    ctx.res.end();
    // contextMs: receiving (and hashing) a sent context, ~0 for one read in place; stepsMs: the build after it.
    ctx.deps.logger.debug('build finished', { contextMs: Math.round(t1 - t0), stepsMs: Math.round(performance.now() - t1), inPlace: Boolean(contextDir) });
    await prepared.close();
  }
}

export async function prune(ctx: Ctx): Promise<void> {
  const builder = ctx.deps.builder;
  if (!builder) throw unavailable('the builder is not available in this daemon');
  const r = await builder.prune();
  sendJson(ctx.res, 200, { CachesDeleted: r.cachesDeleted.length ? r.cachesDeleted : null, SpaceReclaimed: r.spaceReclaimed });
}
