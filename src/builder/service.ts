// The builder as the API sees it: a context (tar, remote tarball or a
// local directory), a Dockerfile parsed up front (so syntax errors are a
// 400 before any output), then the build with its progress stream, the
// tags, and `builder prune`.

import * as fs from 'node:fs';
import type { ContainerService } from '../core/container.ts';
import type { ImageRecord } from '../core/image.ts';
import type { Logger } from '../core/logger.ts';
import type { Database } from '../stores/metadata.ts';
import type { BerthImageService } from '../images/service.ts';
import { parse, type Dockerfile } from './parser/instructions.ts';
import { BuildCache } from './cache.ts';
import { cacheMountUsage } from './cache-usage.ts';
import { CacheMounts } from './cache-mounts.ts';
import type { BuildCacheItem } from '../core/disk-usage.ts';
import { BuildContext } from './context.ts';
import { KeptContexts } from './context-keep.ts';
import { BuildRun } from './executor.ts';
import { cloneGitContext } from './git.ts';
import { unmountStale } from './secret-files.ts';
import { setHashFile, saveHashes } from './file-hash.ts';
import { shortId, type BuildOptions, type Progress, type PullImage } from './state.ts';

export interface BuildServiceDeps {
  db: Database;
  images: BerthImageService;
  containers: ContainerService;
  dataRoot: string;
  logger: Logger;
  /** Pulls a missing FROM / COPY --from image (and every one with --pull). */
  pull?: PullImage;
}

export interface PreparedBuild {
  context: BuildContext;
  dockerfile: Dockerfile;
  run(progress: Progress): Promise<ImageRecord>;
  close(): Promise<void>;
}

export class BuildService {
  readonly #d: BuildServiceDeps;
  readonly #cache: BuildCache;
  readonly #cacheMounts: CacheMounts;
  /** Recent context uploads, kept so that the next upload of the same context writes only what changed. */
  readonly #kept = new KeptContexts();
  readonly root: string;

  constructor(deps: BuildServiceDeps) {
    this.#d = deps;
    this.#cache = new BuildCache(deps.db);
    this.root = `${deps.dataRoot}/builder`;
    this.#cacheMounts = new CacheMounts(this.root);
    unmountStale(`${this.root}/tmp`);
    fs.rmSync(`${this.root}/tmp`, { recursive: true, force: true });
    fs.mkdirSync(`${this.root}/tmp`, { recursive: true, mode: 0o700 });
    setHashFile(`${this.root}/file-hashes.json`);
  }

  /** Throws invalid_argument for a tag that cannot be applied, before the build starts. */
  checkTag(t: string): void {
    this.#d.images.tagReference(t);
  }

  async contextFromTar(src: NodeJS.ReadableStream | AsyncIterable<Buffer>, dockerfile: string): Promise<BuildContext> {
    return BuildContext.fromTar(src, `${this.root}/tmp`, dockerfile, this.#d.images.layerLimits, this.#kept);
  }

  /** A git URL (`url#ref:dir`) cloned into the builder's temp dir. */
  async contextFromGit(url: string, dockerfile: string): Promise<BuildContext> {
    const { cloneRoot, contextDir } = await cloneGitContext(url, `${this.root}/tmp`);
    return BuildContext.owned(cloneRoot, contextDir, dockerfile);
  }

  contextInPlace(dir: string, dockerfile: string): BuildContext {
    return BuildContext.inPlace(dir, dockerfile);
  }

  /** Parses the Dockerfile and checks the target: errors here come before any output. */
  prepare(context: BuildContext, opts: BuildOptions, dockerfileText?: string): PreparedBuild {
    let dockerfile: Dockerfile;
    try {
      dockerfile = parse(dockerfileText ?? context.readDockerfile(opts.dockerfile));
    } catch (err) {
      void context.close();
      throw err;
    }
    const deps = { images: this.#d.images, containers: this.#d.containers, cache: this.#cache, cacheMounts: this.#cacheMounts, builderRoot: this.root, ...(this.#d.pull ? { pull: this.#d.pull } : {}) };
    const close = async () => {
      await context.close();
      saveHashes();
    };
    return {
      context, dockerfile, close,
      run: async (progress) => {
        const run = new BuildRun(deps, dockerfile, context, opts, progress);
        run.targetStage();
        const image = await run.run();
        if (!image) throw new Error('No image was generated. Is your Dockerfile empty?');
        progress.aux({ ID: image.id });
        if (!opts.quiet) progress.stream(`Successfully built ${shortId(image.id)}\n`);
        for (const t of opts.tags) {
          await this.#d.images.tag(image.id, t);
          if (!opts.quiet) progress.stream(`Successfully tagged ${familiarTag(t)}\n`);
        }
        return image;
      },
    };
  }

  /** The cache mounts, for `system df` (cache-usage.ts). */
  cacheUsage(): Promise<BuildCacheItem[]> {
    return cacheMountUsage(this.root);
  }

  /** Drops the cache records, the untagged images only they kept, and the cache mounts. */
  async prune(): Promise<{ spaceReclaimed: number; cachesDeleted: string[] }> {
    let ids = this.#cache.imageIds();
    this.#cache.clear();
    const deleted: string[] = [];
    let space = 0;
    // Children go before parents: repeat while removals free more.
    for (let round = 0; round < 100 && ids.length; round++) {
      const left: string[] = [];
      for (const id of ids) {
        try {
          const img = await this.#d.images.resolve(id);
          if (img.tags.length) continue;
          const removed = await this.#d.images.remove(id, { force: false });
          if (removed.some((r) => r.deleted)) { deleted.push(id); space += img.size; }
        } catch { left.push(id); }
      }
      if (left.length === ids.length) break;
      ids = left;
    }
    for (const d of this.#cacheMounts.prune()) deleted.push(`cache-mount:${d}`);
    this.#kept.clear();
    return { spaceReclaimed: space, cachesDeleted: deleted };
  }
}

function familiarTag(t: string): string {
  return /:[^/]+$/.test(t) ? t : `${t}:latest`;
}
