// COPY and ADD as build steps: sources from the context (minus
// .dockerignore), another stage or an image (--from), heredocs, and for
// ADD remote URLs and local tar archives (extracted with the layer guard).
// The cache key hashes what would be copied before anything is mounted;
// on a miss a snapshot of the image so far is mounted, written, and turned
// into the step's layer.

import type { IncomingMessage } from 'node:http';
import { httpGet, ok } from './http-get.ts';
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { invalid } from '../core/errors.ts';
import { resolveUser } from '../runtime/users.ts';
import { applyTar } from '../stores/snapshots/apply.ts';
import { decompress, detectCompression } from '../images/compression.ts';
import type { Step } from './parser/instructions.ts';
import type { BuildRun } from './executor.ts';
import { BuildCache } from './cache.ts';
import { copySources, excludeRegexes, hashSource, hostOwner, matchSources, mkdirInRoot, type MatchedSource, type SourceRoot } from './copy.ts';
import type { StageState } from './state.ts';
import { cleanRel, scopedResolve } from './context.ts';
import { nopPrefix } from './history-text.ts';

type CopyCmd = Step & { kind: 'copy' | 'add' };

export async function copyStep(b: BuildRun, st: StageState, step: CopyCmd): Promise<void> {
  const w = (s: string) => st.word(s);
  const releases: Array<() => Promise<void> | void> = [];
  try {
    let src: SourceRoot = { root: b.context.root, ignore: b.context.ignore };
    let preserveOwner = false;
    if (step.kind === 'copy' && step.from) {
      const r = await b.sourceRootFor(w(step.from));
      releases.push(r.release);
      src = { root: r.root };
      preserveOwner = !step.chown;
    }
    let rawSources = step.sources.map(w);
    // Heredocs and URLs become files in a private dir, copied like context files.
    const extra: MatchedSource[] = [];
    const needsTemp = step.heredocs.length > 0 || (step.kind === 'add' && rawSources.some(isUrl));
    let tmp = '';
    if (needsTemp) {
      tmp = `${b.builderRoot}/tmp/${randomBytes(8).toString('hex')}`;
      fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
      releases.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
    }
    for (const h of step.heredocs) {
      rawSources = rawSources.filter((s) => !new RegExp(`^<<-?["']?${h.name}["']?$`).test(s));
      const f = `${tmp}/${h.name}`;
      fs.writeFileSync(f, h.expand ? w(h.content) : h.content, { mode: 0o644 });
      extra.push({ rel: h.name, abs: f, st: fs.statSync(f) });
    }
    if (step.kind === 'add') {
      for (const u of rawSources.filter(isUrl)) extra.push(await download(u, tmp, step.checksum ? w(step.checksum) : undefined));
      rawSources = rawSources.filter((s) => !isUrl(s));
    } else if (rawSources.some(isUrl)) {
      throw invalid('source can\'t be a URL for COPY');
    }
    // --parents: each source keeps its path (after a "/./" pivot, if the pattern has one) under the destination.
    const kept = new Map<MatchedSource, string>();
    const fromSrc: MatchedSource[] = [];
    for (const pattern of rawSources) {
      const pivot = step.parents ? pattern.indexOf('/./') : -1;
      const prefix = pivot > 0 ? cleanRel(pattern.slice(0, pivot)) : '';
      for (const m of matchSources(src, [pattern])) {
        fromSrc.push(m);
        if (step.parents) kept.set(m, prefix && m.rel.startsWith(`${prefix}/`) ? m.rel.slice(prefix.length + 1) : m.rel);
      }
    }
    const matched = [...fromSrc, ...extra];
    const written = w(step.dest);
    let dest = written;
    if (!dest.startsWith('/')) {
      const joined = path.posix.join(st.config.WorkingDir || '/', dest);
      dest = dest.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
    }
    const excludes = step.exclude.map(w);
    const h = createHash('sha256');
    for (const m of matched) hashSource(h, extra.includes(m) ? { root: tmp } : src, m, excludeRegexes(excludes));
    const contentHash = h.digest('hex');
    const kindWord = matched.length > 1 ? 'multi' : matched[0]!.st.isDirectory() ? 'dir' : 'file';
    const chown = step.chown ? w(step.chown) : '';
    // dockerd 20.10's text: the dest as written, and "--chown=<spec>" glued to the hash (no space: its bug, kept
    // because --cache-from matches on this text).
    const createdBy = `${nopPrefix(st.config)}${step.kind.toUpperCase()} ${chown ? `--chown=${chown}` : ''}${kindWord}:${contentHash} in ${written} `;
    const chmod = step.chmod ? parseChmod(w(step.chmod)) : undefined;
    const key = BuildCache.key([
      st.image?.id ?? 'scratch', createdBy, dest, chown, String(chmod ?? ''), excludes.join(','), String(preserveOwner),
      ...(step.parents ? ['parents', ...kept.values()] : []),
    ]);
    if (await b.fromCache(st, key, createdBy, st.config)) return;

    await b.withSnapshot(st, async (rootfs) => {
      const ids = chown ? resolveUser(rootfs, chown) : null;
      const idMaps = b.images.snapshotter.idMaps;
      const opts = { ...(ids ? { uid: ids.uid, gid: ids.gid } : {}), preserveOwner, ...(chmod !== undefined ? { chmod } : {}), excludes, ...(idMaps ? { idMaps } : {}) };
      const plain: MatchedSource[] = [];
      for (const m of matched) {
        if (step.kind === 'add' && !extra.includes(m) && m.st.isFile() && isArchive(m.abs)) {
          const dir = mkdirInRoot(rootfs, dest.replace(/^\/+/, ''), ...hostOwner(idMaps));
          const { stream } = await decompress(fs.createReadStream(m.abs), { maxRatio: b.images.layerLimits.maxRatio });
          await applyTar(stream, { root: dir, whiteouts: 'delete', limits: b.images.layerLimits, ...(idMaps ? { idMaps } : {}) });
        } else {
          plain.push(m);
        }
      }
      const fromCtx = plain.filter((m) => !extra.includes(m));
      const fromTmp = plain.filter((m) => extra.includes(m));
      const asDir = matched.length > 1 ? (dest.endsWith('/') ? dest : `${dest}/`) : dest;
      if (step.parents) {
        const base = dest.endsWith('/') ? dest : `${dest}/`;
        for (const m of fromCtx) {
          const keep = kept.get(m)!;
          const under = m.st.isDirectory() ? keep : path.posix.dirname(keep);
          copySources(src, [m], rootfs, under && under !== '.' ? `${base}${under}/` : base, opts);
        }
      } else if (fromCtx.length) copySources(src, fromCtx, rootfs, asDir, opts);
      if (fromTmp.length) copySources({ root: tmp }, fromTmp, rootfs, asDir, opts);
    }, key, createdBy);
  } finally {
    for (const r of releases.reverse()) await r();
  }
}

function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

function parseChmod(s: string): number {
  if (!/^[0-7]{3,4}$/.test(s)) throw invalid(`invalid chmod parameter: ${s}`);
  return parseInt(s, 8);
}

/** A tar, possibly compressed (Docker's ADD auto-extraction). */
function isArchive(abs: string): boolean {
  const fd = fs.openSync(abs, 'r');
  try {
    const head = Buffer.alloc(512);
    const n = fs.readSync(fd, head, 0, 512, 0);
    const c = detectCompression(head.subarray(0, n));
    if (c !== 'none') return true;
    return n >= 262 && head.toString('latin1', 257, 262) === 'ustar';
  } finally {
    fs.closeSync(fd);
  }
}

async function download(url: string, dir: string, checksum?: string): Promise<MatchedSource> {
  let res: IncomingMessage;
  try {
    res = await httpGet(url);
  } catch (err) {
    throw invalid(`failed to GET ${url}: ${(err as Error).message}`);
  }
  if (!ok(res)) {
    res.resume();
    throw invalid(`failed to GET ${url} with status ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd());
  }
  let name = decodeURIComponent(new URL(url).pathname.split('/').pop() || '');
  if (!name || name === '.' || name === '..') name = '__unnamed__';
  const f = `${dir}/${name}`;
  const hash = createHash('sha256');
  const out = fs.createWriteStream(f, { mode: 0o600 });
  for await (const chunk of res) {
    hash.update(chunk as Buffer);
    if (!out.write(chunk)) await new Promise<void>((r) => { out.once('drain', () => r()); });
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  const digest = `sha256:${hash.digest('hex')}`;
  if (checksum && checksum !== digest) throw invalid(`digest mismatch for ${url}: ${digest}, expected ${checksum}`);
  fs.chmodSync(f, 0o600);
  const lm = res.headers['last-modified'];
  if (lm && !Number.isNaN(Date.parse(lm))) fs.utimesSync(f, new Date(lm), new Date(lm));
  return { rel: name, abs: scopedResolve(dir, name), st: fs.statSync(f) };
}
