// The build context: a directory, either one the client sent as a tar
// (extracted with the same guard as layers: no "..", no writing through a
// symlink the archive planted, bounded size) into a private temp dir, or a
// local directory read in place (berth's CLI on the same host). Paths
// named by the Dockerfile are resolved inside the context root: symlinks
// are followed as if the root were "/", so a link pointing out of the
// context can never reach a host file. .dockerignore (or
// <Dockerfile>.dockerignore) hides files from COPY/ADD.
//
// A sent context's files are hashed as they are written (no second read
// for the cache key). Their bodies go to disk as they arrive: keeping them
// in memory instead (tried: written only when a step missed the cache)
// cost more, since 250 MB of fresh or copy-on-write anonymous memory (any
// process the daemon spawned since, e.g. a RUN, write-protects it) faults
// once per 4 KiB page: 2.2-2.5 s of berthd CPU for a no-change docker-CLI
// rebuild after a cold build, against 0.66-0.98 s writing to the page cache.
// What is not written is a large file equal, byte for byte, to the same
// path of a recent upload (context-keep.ts, context-reuse.ts): it is
// compared as it arrives and linked from the kept tree with its hash.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { invalid, isCode, notFound, wrap } from '../core/errors.ts';
import { DEFAULT_LAYER_LIMITS, applyTar, type LayerLimits } from '../stores/snapshots/apply.ts';
import { decompress } from '../images/compression.ts';
import { IgnoreMatcher, readIgnoreFile } from './dockerignore.ts';
import { extractedTree, forgetUnder, rememberFile } from './file-hash.ts';
import { coalesce } from '../stores/tar/coalesce.ts';
import type { KeptContexts } from './context-keep.ts';
import { ContextUpload } from './context-reuse.ts';
import { Readable } from 'node:stream';

export class BuildContext {
  readonly root: string;
  readonly ignore: IgnoreMatcher;
  /** What close() removes: the extracted or cloned tree this context lives in (null: a folder read in place). */
  readonly #owned: string | null;
  /** Hands an extracted tree to the kept trees at close() (which keep or remove it). */
  readonly #keep: (() => void) | null;

  private constructor(root: string, ignore: IgnoreMatcher, owned: string | null, keep: (() => void) | null = null) {
    this.root = root;
    this.ignore = ignore;
    this.#owned = owned;
    this.#keep = keep;
  }

  /**
   * Extracts a (possibly compressed) context tar into a fresh dir under
   * tmpRoot, bounded as a layer is. With kept trees (context-keep.ts), large
   * files equal to a kept one are linked from it instead of written, and the
   * tree is kept in turn when the context is closed.
   */
  static async fromTar(
    src: NodeJS.ReadableStream | AsyncIterable<Buffer>, tmpRoot: string, dockerfile: string, limits: Partial<LayerLimits> = {},
    kept?: KeptContexts,
  ): Promise<BuildContext> {
    fs.mkdirSync(tmpRoot, { recursive: true, mode: 0o700 });
    const dir = `${tmpRoot}/ctx-${randomBytes(8).toString('hex')}`;
    fs.mkdirSync(dir, { mode: 0o700 });
    extractedTree(dir);
    let upload: ContextUpload | null = null;
    try {
      upload = kept ? new ContextUpload(kept, dir, limits.maxBytes ?? DEFAULT_LAYER_LIMITS.maxBytes) : null;
      await upload?.start();
      const { stream } = await decompress(src instanceof Readable ? coalesce(src) : src, { maxRatio: limits.maxRatio ?? DEFAULT_LAYER_LIMITS.maxRatio });
      const { size } = await applyTar(upload ? upload.filter(stream) : stream, {
        root: dir, whiteouts: 'delete', noDigest: true, onFile: upload ? upload.onFile : rememberFile, limits,
      });
      const made = upload?.finish();
      const keep = kept && made ? () => kept.adopt(dir, size + made.reduce((n, f) => n + f.head.size, 0), made) : null;
      return new BuildContext(dir, loadIgnore(dir, dockerfile), dir, keep);
    } catch (err) {
      upload?.abort();
      forgetUnder(dir);
      // A tree that may hold links to kept files goes as kept trees go.
      if (kept && upload?.linked) kept.discard(dir);
      else fs.rmSync(dir, { recursive: true, force: true });
      // A full disk or an I/O error is the daemon's, not the context's.
      if (isCode(err, 'internal')) throw wrap(err, 'extracting the build context');
      throw invalid(`invalid build context: ${(err as Error).message}`);
    }
  }

  static inPlace(dir: string, dockerfile: string): BuildContext {
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) throw invalid(`unable to prepare context: path "${dir}" not found`);
    return new BuildContext(fs.realpathSync(dir), loadIgnore(dir, dockerfile), null);
  }

  /** A directory inside a tree the builder made (a git clone): close() removes the whole tree. */
  static owned(tree: string, dir: string, dockerfile: string): BuildContext {
    extractedTree(tree);
    return new BuildContext(fs.realpathSync(dir), loadIgnore(dir, dockerfile), tree);
  }

  /** An empty context (a remote Dockerfile, or a Dockerfile from stdin). */
  static empty(tmpRoot: string): BuildContext {
    fs.mkdirSync(tmpRoot, { recursive: true, mode: 0o700 });
    const dir = `${tmpRoot}/ctx-${randomBytes(8).toString('hex')}`;
    fs.mkdirSync(dir, { mode: 0o700 });
    return new BuildContext(dir, new IgnoreMatcher([]), dir);
  }

  /** The Dockerfile's text, read inside the context. */
  readDockerfile(name: string): string {
    const rel = cleanRel(name || 'Dockerfile');
    const abs = scopedResolve(this.root, rel);
    const st = fs.statSync(abs, { throwIfNoEntry: false });
    if (!st?.isFile()) {
      // Docker also accepts a lower-case dockerfile when the default name is absent.
      if (!name || name === 'Dockerfile') {
        const lower = scopedResolve(this.root, 'dockerfile');
        if (fs.statSync(lower, { throwIfNoEntry: false })?.isFile()) return fs.readFileSync(lower, 'utf8');
      }
      throw notFound(`Cannot locate specified Dockerfile: ${name || 'Dockerfile'}`);
    }
    return fs.readFileSync(abs, 'utf8');
  }

  /** Removes an extracted context (off the event loop: it can be hundreds of MB). */
  async close(): Promise<void> {
    if (!this.#owned) return;
    forgetUnder(this.#owned);
    if (this.#keep) return this.#keep();
    await fs.promises.rm(this.#owned, { recursive: true, force: true });
  }
}

function loadIgnore(dir: string, dockerfile: string): IgnoreMatcher {
  const df = cleanRel(dockerfile || 'Dockerfile');
  for (const name of [`${df}.dockerignore`, '.dockerignore']) {
    try {
      const abs = scopedResolve(dir, name);
      if (fs.statSync(abs, { throwIfNoEntry: false })?.isFile()) return new IgnoreMatcher(readIgnoreFile(fs.readFileSync(abs, 'utf8')));
    } catch { /* none */ }
  }
  return new IgnoreMatcher([]);
}

/** "a/../b", "/x" -> root-relative without escaping ("" for the root); ".." above the root is refused. */
export function cleanRel(p: string): string {
  const norm = path.posix.normalize(`/${p}`);
  if (path.posix.normalize(p.replace(/^\/+/, '')).split('/')[0] === '..') {
    throw invalid(`forbidden path outside the build context: ${p}`);
  }
  return norm.replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * root + rel with every symlink followed as if root were "/": the result
 * is always inside root (securejoin). A missing tail is returned as is.
 */
export function scopedResolve(root: string, rel: string): string {
  const parts = rel.split('/').filter((x) => x && x !== '.');
  const done: string[] = [];
  let links = 0;
  while (parts.length) {
    const part = parts.shift()!;
    if (part === '..') { done.pop(); continue; }
    const cur = `${root}/${[...done, part].join('/')}`;
    let st: fs.Stats | undefined;
    try { st = fs.lstatSync(cur); } catch { st = undefined; }
    if (st?.isSymbolicLink()) {
      if (++links > 255) throw invalid(`too many levels of symbolic links resolving ${rel}`);
      const target = fs.readlinkSync(cur);
      if (target.startsWith('/')) done.length = 0;
      parts.unshift(...target.split('/').filter((x) => x && x !== '.'));
      continue;
    }
    done.push(part);
  }
  return done.length ? `${root}/${done.join('/')}` : root;
}
