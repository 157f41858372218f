// COPY and ADD on the filesystem: sources matched in a root (the context,
// another stage's or an image's tree) with filepath.Match wildcards, minus
// .dockerignore'd and --exclude'd paths; each copied into a mounted rootfs
// with Docker's rules:
//   - a directory source copies its contents, not itself;
//   - dest ending in "/" (or several sources) is a directory; a single
//     file onto an existing directory goes inside it;
//   - a source that is itself a symlink is followed (inside its root);
//     symlinks below it are copied as symlinks;
//   - ownership 0:0 unless --chown (COPY --from keeps the source's), mode
//     kept unless --chmod, mtimes kept; created parents are 0755. Under
//     --userns-remap a snapshot holds host IDs (the container's upper dir):
//     the owner written is the host ID the container's maps to.
// The destination is resolved inside the rootfs as if it were "/".
// Every source file also feeds the step's cache hash (path, mode, size and
// content; see file-hash.ts).

import * as fs from 'node:fs';
import type { Hash } from 'node:crypto';
import { fileHash } from './file-hash.ts';
import { notFound } from '../core/errors.ts';
import { patternRegex, type IgnoreMatcher } from './dockerignore.ts';
import { cleanRel, scopedResolve } from './context.ts';
import { ownerToHost, type IdMaps } from '../core/idmap.ts';

export interface SourceRoot {
  root: string;
  ignore?: IgnoreMatcher;
}

export interface MatchedSource {
  /** Path relative to the source root, after wildcard expansion. */
  rel: string;
  abs: string;
  st: fs.Stats;
}

export interface CopyOptions {
  uid?: number;
  gid?: number;
  preserveOwner: boolean;
  chmod?: number;
  excludes: string[];
  /** --userns-remap: owners written as the host IDs they map to. */
  idMaps?: IdMaps;
}

/** What to write on disk for a container owner (default root): under --userns-remap, the host IDs it maps to. */
export function hostOwner(idMaps: IdMaps | undefined, uid = 0, gid = 0): [number, number] {
  if (!idMaps) return [uid, gid];
  const h = ownerToHost(idMaps, uid, gid);
  return [h.uid, h.gid];
}

const GLOB = /[*?[\\]/;

/** The sources a COPY names; throws Docker's not-found error when one matches nothing. */
export function matchSources(src: SourceRoot, patterns: string[]): MatchedSource[] {
  const out: MatchedSource[] = [];
  for (const pattern of patterns) {
    const rel = cleanRel(pattern);
    const found: MatchedSource[] = [];
    if (GLOB.test(rel)) {
      const re = patternRegex(rel);
      const depth = rel.split('/').length;
      const walk = (dir: string, depthLeft: number) => {
        let names: string[];
        try { names = fs.readdirSync(dir ? `${src.root}/${dir}` : src.root).sort(); } catch { return; }
        for (const n of names) {
          const r = dir ? `${dir}/${n}` : n;
          if (re.test(r) && !src.ignore?.excluded(r)) {
            const abs = scopedResolve(src.root, r);
            const st = fs.statSync(abs, { throwIfNoEntry: false });
            if (st) found.push({ rel: r, abs, st });
          } else if (depthLeft > 1) {
            const st = fs.lstatSync(`${src.root}/${r}`, { throwIfNoEntry: false });
            if (st?.isDirectory()) walk(r, depthLeft - 1);
          }
        }
      };
      walk('', depth);
    } else {
      const abs = scopedResolve(src.root, rel);
      const st = fs.statSync(abs, { throwIfNoEntry: false });
      if (st && !src.ignore?.excluded(rel)) found.push({ rel, abs, st });
    }
    if (found.length === 0) {
      throw notFound(`file not found in build context or excluded by .dockerignore: stat ${pattern}: file does not exist`);
    }
    out.push(...found);
  }
  return out;
}

/** Adds a source tree (what would be copied) to the hash. */
export function hashSource(h: Hash, src: SourceRoot, m: MatchedSource, excludes: RegExp[]): void {
  // Bigint stats print as numbers do: the hashed text is the same either way.
  const visit = (abs: string, rel: string, st: fs.BigIntStats, top: boolean) => {
    h.update(`${top ? m.rel : rel}\0${st.mode}\0${st.uid}:${st.gid}\0`);
    if (st.isFile()) h.update(`${st.size}\0${fileHash(abs, st)}\0`);
    else if (st.isSymbolicLink()) h.update(`${fs.readlinkSync(abs)}\0`);
    else if (st.isDirectory()) {
      for (const n of fs.readdirSync(abs).sort()) {
        const r = rel ? `${rel}/${n}` : n;
        if (skipped(src, m, r, excludes)) continue;
        visit(`${abs}/${n}`, r, fs.lstatSync(`${abs}/${n}`, { bigint: true }), false);
      }
    }
  };
  // m.abs has its links resolved (scopedResolve): its lstat is the stat matchSources took.
  visit(m.abs, '', fs.lstatSync(m.abs, { bigint: true }), true);
}

function skipped(src: SourceRoot, m: MatchedSource, inner: string, excludes: RegExp[]): boolean {
  const full = m.rel ? `${m.rel}/${inner}` : inner;
  if (src.ignore?.excluded(full)) return true;
  return excludes.some((re) => re.test(inner) || re.test(full) || re.test(inner.slice(inner.lastIndexOf('/') + 1)));
}

export function excludeRegexes(patterns: string[]): RegExp[] {
  return patterns.map((p) => patternRegex(cleanRel(p)));
}

/** mkdir -p inside rootfs (resolved as "/"); returns the absolute path. */
export function mkdirInRoot(rootfs: string, rel: string, uid = 0, gid = 0): string {
  let cur = '';
  for (const part of rel.split('/').filter(Boolean)) {
    cur = cur ? `${cur}/${part}` : part;
    const abs = scopedResolve(rootfs, cur);
    const st = fs.statSync(abs, { throwIfNoEntry: false });
    if (!st) {
      fs.mkdirSync(abs, { mode: 0o755 });
      fs.lchownSync(abs, uid, gid);
    }
    cur = abs.slice(rootfs.length + 1);
  }
  return cur ? `${rootfs}/${cur}` : rootfs;
}

/** Copies the matched sources to dest (an absolute path inside the container, WORKDIR already applied). */
export function copySources(src: SourceRoot, sources: MatchedSource[], rootfs: string, dest: string, o: CopyOptions): void {
  const excludes = excludeRegexes(o.excludes);
  const destRel = dest.replace(/^\/+/, '');
  const destIsDir = dest.endsWith('/') || sources.length > 1 || destRel === '' ||
    fs.statSync(scopedResolve(rootfs, destRel), { throwIfNoEntry: false })?.isDirectory() === true;
  const root = hostOwner(o.idMaps);
  const chowned = o.uid !== undefined ? hostOwner(o.idMaps, o.uid, o.gid ?? o.uid) : null;
  // COPY --from's source is a mounted snapshot: its owners are already what the disk holds.
  const own = (st: fs.Stats): [number, number] => chowned ?? (o.preserveOwner ? [st.uid, st.gid] : root);
  for (const m of sources) {
    if (m.st.isDirectory()) {
      const dir = mkdirInRoot(rootfs, destRel, ...(chowned ?? root));
      copyDirContents(src, m, m.abs, '', dir, o, excludes, own);
      continue;
    }
    let target: string;
    if (destIsDir) {
      const dir = mkdirInRoot(rootfs, destRel, ...root);
      target = `${dir}/${m.rel.slice(m.rel.lastIndexOf('/') + 1)}`;
    } else {
      const parent = destRel.includes('/') ? destRel.slice(0, destRel.lastIndexOf('/')) : '';
      const dir = mkdirInRoot(rootfs, parent, ...root);
      target = `${dir}/${destRel.slice(destRel.lastIndexOf('/') + 1)}`;
    }
    copyEntry(m.abs, m.st, target, o, own);
  }
}

function copyDirContents(src: SourceRoot, m: MatchedSource, from: string, rel: string, to: string, o: CopyOptions,
  excludes: RegExp[], own: (st: fs.Stats) => [number, number]): void {
  for (const n of fs.readdirSync(from).sort()) {
    const r = rel ? `${rel}/${n}` : n;
    if (skipped(src, m, r, excludes)) {
      // An excluded directory may still hold re-included paths.
      const st = fs.lstatSync(`${from}/${n}`);
      if (!(st.isDirectory() && src.ignore?.mayReinclude(m.rel ? `${m.rel}/${r}` : r))) continue;
    }
    const s = `${from}/${n}`;
    const st = fs.lstatSync(s);
    const d = `${to}/${n}`;
    if (st.isDirectory()) {
      const existing = fs.lstatSync(d, { throwIfNoEntry: false });
      if (existing && !existing.isDirectory()) fs.rmSync(d, { force: true });
      if (!existing?.isDirectory()) fs.mkdirSync(d, { mode: 0o700 });
      copyDirContents(src, m, s, r, d, o, excludes, own);
      const [uid, gid] = own(st);
      fs.lchownSync(d, uid, gid);
      fs.chmodSync(d, o.chmod ?? (st.mode & 0o7777));
      fs.utimesSync(d, st.atime, st.mtime);
      continue;
    }
    copyEntry(s, st, d, o, own);
  }
}

function copyEntry(s: string, st: fs.Stats, d: string, o: CopyOptions, own: (st: fs.Stats) => [number, number]): void {
  const existing = fs.lstatSync(d, { throwIfNoEntry: false });
  if (existing) fs.rmSync(d, { recursive: existing.isDirectory(), force: true });
  if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(s), d);
  else if (st.isFile()) fs.copyFileSync(s, d, fs.constants.COPYFILE_FICLONE);
  else return; // devices, fifos and sockets are not copied from a context
  const [uid, gid] = own(st);
  fs.lchownSync(d, uid, gid);
  if (!st.isSymbolicLink()) {
    fs.chmodSync(d, o.chmod ?? (st.mode & 0o7777));
  }
  fs.lutimesSync(d, st.atime, st.mtime);
}
