// Runs a parsed Dockerfile: only the stages the target needs (FROM
// <stage>, COPY --from=<stage>, RUN --mount from=<stage>), each started as
// soon as the stages it needs are done, so independent stages build
// concurrently. Within a stage, steps run in order on the image so far.
// Progress is Docker's classic builder's: "Step N/M : ...", " ---> id",
// " ---> Using cache", " ---> Running in ...".

import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { ContainerService } from '../core/container.ts';
import type { ImageRecord, ImageRunConfig } from '../core/image.ts';
import { BerthError, invalid, isCode, notFound } from '../core/errors.ts';
import type { BerthImageService } from '../images/service.ts';
import { toCommand, type Dockerfile, type Stage, type Step } from './parser/instructions.ts';
import { ShellLex } from './parser/shell-lex.ts';
import { parseDockerfile } from './parser/parser.ts';
import type { BuildCache } from './cache.ts';
import { CacheSources } from './cache-from.ts';
import { parsePlatform, platformString } from './platform.ts';
import type { BuildContext } from './context.ts';
import type { CacheMounts } from './cache-mounts.ts';
import { runStep } from './steps.ts';
import { platformArgs, shortId, StageState, type BuildOptions, type Progress, type PullImage } from './state.ts';

export interface BuildDeps {
  images: BerthImageService;
  containers: ContainerService;
  cache: BuildCache;
  builderRoot: string;
  cacheMounts: CacheMounts;
  pull?: PullImage;
}

export class BuildRun {
  readonly opts: BuildOptions;
  readonly progress: Progress;
  readonly images: BerthImageService;
  readonly containers: ContainerService;
  readonly context: BuildContext;
  readonly builderRoot: string;
  readonly cacheMounts: CacheMounts;
  readonly metaArgs = new Map<string, string>();
  readonly platformArgs: Map<string, string>;
  readonly usedArgs = new Set<string>();
  readonly #cache: BuildCache;
  readonly #pull: PullImage | undefined;
  readonly #pulled = new Map<string, Promise<void>>();
  readonly #cacheFrom: CacheSources;
  readonly #df: Dockerfile;
  readonly #results = new Map<number, Promise<ImageRecord | null>>();
  #step = 0;
  #total = 0;

  constructor(deps: BuildDeps, df: Dockerfile, context: BuildContext, opts: BuildOptions, progress: Progress) {
    this.images = deps.images;
    this.containers = deps.containers;
    this.#cache = deps.cache;
    this.#pull = deps.pull;
    this.builderRoot = deps.builderRoot;
    this.cacheMounts = deps.cacheMounts;
    this.#df = df;
    this.context = context;
    this.opts = opts;
    this.progress = progress;
    this.#cacheFrom = new CacheSources(deps.images, opts.cacheFrom);
    this.platformArgs = platformArgs(opts.platform);
    const lex = new ShellLex(df.directives.escape);
    for (const step of df.metaArgs) {
      for (const a of step.args) {
        const v = opts.buildArgs.get(a.name) ?? (a.value !== undefined ? lex.word(a.value, this.metaArgs) : this.platformArgs.get(a.name));
        if (v !== undefined) this.metaArgs.set(a.name, v);
        this.usedArgs.add(a.name);
      }
    }
  }

  /** The stage --target names (default: the last), checked before anything runs. */
  targetStage(): Stage {
    const stages = this.#df.stages;
    if (!this.opts.target) return stages[stages.length - 1]!;
    const t = stages.find((s) => s.name === this.opts.target!.toLowerCase());
    if (!t) throw invalid(`failed to reach build target ${this.opts.target} in Dockerfile`);
    return t;
  }

  #stageNamed(name: string, before: number): Stage | undefined {
    const lower = name.toLowerCase();
    const byName = this.#df.stages.find((s) => s.name === lower && s.index < before);
    if (byName) return byName;
    if (/^\d+$/.test(name) && Number(name) < before) return this.#df.stages[Number(name)];
    return undefined;
  }

  #metaWord(s: string): string {
    return new ShellLex(this.#df.directives.escape).word(s, this.metaArgs);
  }

  /** Stages a stage needs, by index. */
  #deps(stage: Stage): Stage[] {
    const out: Stage[] = [];
    const add = (name: string) => { const s = this.#stageNamed(name, stage.index); if (s) out.push(s); };
    add(this.#metaWord(stage.from.image));
    for (const step of stage.steps) {
      if (step.kind === 'copy' && step.from) add(this.#metaWord(step.from));
      if (step.kind === 'run') for (const m of step.mounts) { const f = /(?:^|,)from=([^,]+)/.exec(m); if (f) add(this.#metaWord(f[1]!)); }
    }
    return out;
  }

  async run(): Promise<ImageRecord | null> {
    const target = this.targetStage();
    const needed = new Map<number, Stage>();
    const visit = (s: Stage) => { if (needed.has(s.index)) return; needed.set(s.index, s); for (const d of this.#deps(s)) visit(d); };
    visit(target);
    this.#total = this.#df.metaArgs.length + [...needed.values()].reduce((n, s) => n + 1 + s.steps.length, 0) + Object.keys(this.opts.labels).length;
    // ARGs before the first FROM are steps of their own in the classic builder's output (and nothing else).
    for (const step of this.#df.metaArgs) this.#header(step);
    const image = await this.#stage(target, true);
    const unused = [...this.opts.buildArgs.keys()].filter((k) => !this.usedArgs.has(k) && !this.platformArgs.has(k) && !PROXY.has(k));
    if (unused.length) this.progress.stream(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    return image;
  }

  #stage(stage: Stage, final = false): Promise<ImageRecord | null> {
    let p = this.#results.get(stage.index);
    if (!p) {
      p = (async () => {
        await Promise.all(this.#deps(stage).map((d) => this.#stage(d)));
        return this.#runStage(stage, final);
      })();
      this.#results.set(stage.index, p);
    }
    return p;
  }

  #header(step: Step): void {
    this.#step++;
    if (!this.opts.quiet) this.progress.stream(`Step ${this.#step}/${this.#total} : ${step.ins.original}\n`);
  }

  async #runStage(stage: Stage, final: boolean): Promise<ImageRecord | null> {
    const st = new StageState(stage, this.#df.directives.escape);
    this.#header(stage.from);
    const name = this.#metaWord(stage.from.image);
    const prev = this.#stageNamed(name, stage.index);
    if (prev) st.image = await this.#stage(prev);
    else if (name.toLowerCase() !== 'scratch') {
      let platform = this.opts.platform ? platformString(this.opts.platform) : undefined;
      if (stage.from.platform) {
        try {
          platform = platformString(parsePlatform(this.#metaWord(stage.from.platform)));
        } catch (err) {
          throw new BerthError('invalid_argument', `dockerfile line ${stage.from.ins.line}: FROM --platform: ${(err as Error).message}`);
        }
      }
      st.image = await this.#resolveImage(name, stage.from.ins.line, platform);
    }
    st.config = structuredClone(st.image?.config.config ?? {});
    if (!this.opts.quiet) this.progress.stream(st.image ? ` ---> ${shortId(st.image.id)}\n` : ' ---> \n');
    const triggers = st.config.OnBuild ?? [];
    if (triggers.length) {
      if (!this.opts.quiet) this.progress.stream(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      st.config.OnBuild = [];
      for (const t of triggers) {
        const ins = parseDockerfile(t).instructions[0];
        if (!ins) continue;
        const step = { ...toCommand({ ...ins, line: stage.from.ins.line }, this.#df.directives.escape), ins } as Step;
        await this.#guard(step, () => runStep(this, st, step));
      }
    }
    for (const step of stage.steps) {
      this.#header(step);
      await this.#guard(step, () => runStep(this, st, step));
    }
    // --label: one LABEL step per label, sorted by key, values taken as they are (dockerd's buildLabelOptions).
    for (const k of final ? Object.keys(this.opts.labels).sort() : []) {
      const text = `LABEL ${k}=${this.opts.labels[k]}`;
      const step: Step = {
        kind: 'label', pairs: [[k, this.opts.labels[k]!]], literal: true,
        ins: { cmd: 'label', original: text, args: text.slice(6), flags: [], heredocs: [], line: 0, endLine: 0 },
      };
      this.#header(step);
      await this.#guard(step, () => runStep(this, st, step));
    }
    return st.image;
  }

  async #guard(step: Step, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if ((err as { exitCode?: number }).exitCode !== undefined) throw err;
      const e = err instanceof BerthError ? err : new BerthError('internal', (err as Error).message ?? String(err));
      throw Object.assign(new BerthError(e.code, `dockerfile line ${step.ins.line}: ${step.ins.cmd.toUpperCase()} failed: ${e.message}`, { cause: err }));
    }
  }

  /** A local image, pulled first when --pull asks or when it is missing (once per build and reference). */
  async #resolveImage(ref: string, line: number, platform?: string): Promise<ImageRecord> {
    const local = await this.images.resolve(ref).catch((err: unknown) => { if (isCode(err, 'not_found')) return null; throw err; });
    if (local && !this.opts.pull) return local;
    if (!this.#pull) {
      if (local) return local;
      throw notFound(`dockerfile line ${line}: no such image: ${ref} (this daemon cannot pull)`);
    }
    const once = `${ref} ${platform ?? ''}`;
    let p = this.#pulled.get(once);
    if (!p) {
      p = this.#pull(ref, (m) => { if (!this.opts.quiet) this.progress.message?.(m); }, platform);
      this.#pulled.set(once, p);
    }
    try {
      await p;
    } catch (err) {
      if (local) return local; // --pull of an image only known locally: Docker keeps going with it too
      const e = err instanceof BerthError ? err : new BerthError('internal', String((err as Error).message ?? err));
      throw new BerthError(e.code, `dockerfile line ${line}: ${e.message}`, { cause: err });
    }
    return this.images.resolve(ref);
  }

  // ---- helpers for steps ----

  /** A step's image from the build cache or, failing that, from a --cache-from image. */
  async fromCache(st: StageState, key: string, createdBy: string, runConfig: ImageRunConfig): Promise<boolean> {
    if (this.opts.noCache) return false;
    let id = this.#cache.get(key);
    // With --cache-from, a local hit counts only when a source descends from it (Docker's rule).
    if (id && !(await this.#cacheFrom.allowsLocal(id))) id = undefined;
    if (id) st.image = await this.images.resolve(id);
    else {
      const img = await this.#cacheFrom.lookup(st.image, createdBy, runConfig);
      if (!img) return false;
      this.#cache.put(key, img.id);
      st.image = img;
      id = img.id;
    }
    st.config = structuredClone(st.image.config.config ?? {});
    if (!this.opts.quiet) this.progress.stream(` ---> Using cache\n ---> ${shortId(id)}\n`);
    return true;
  }

  /** Records the step's image; printing its ID is left to the caller when quiet is set (RUN prints it after the removal line). */
  committed(st: StageState, img: ImageRecord, key: string, silent = false): void {
    st.image = img;
    this.#cache.put(key, img.id);
    if (!this.opts.quiet && !silent) this.progress.stream(` ---> ${shortId(img.id)}\n`);
  }

  /** Mounts a writable snapshot of the image so far, lets fn write into it, and commits it as the step's image. */
  async withSnapshot(st: StageState, fn: (rootfs: string) => Promise<void>, key: string, createdBy: string): Promise<void> {
    const snap = this.images.snapshotter;
    const id = `build-${randomBytes(12).toString('hex')}`;
    const mnt = `${this.builderRoot}/mnt/${id}`;
    fs.mkdirSync(mnt, { recursive: true, mode: 0o700 });
    await snap.prepare(id, st.image?.chainId ?? null);
    try {
      await snap.mount(id, mnt);
      try {
        await fn(mnt);
      } finally {
        await snap.unmount(mnt);
      }
      const img = await this.images.newImage({
        parent: st.image, parentId: st.image?.id ?? '', snapshotKey: id, consumeSnapshot: true, skipEmptyLayer: true,
        runConfig: st.config, history: { created_by: createdBy },
        ...(st.image?.config.author ? { author: st.image.config.author } : {}),
      });
      this.committed(st, img, key);
    } finally {
      await snap.remove(id).catch(() => {});
      fs.rmSync(mnt, { recursive: true, force: true });
    }
  }

  /** The image a stage name or an image reference stands for (null: scratch), for COPY --from and RUN --mount from=. */
  async sourceImage(name: string): Promise<ImageRecord | null> {
    const stage = this.#stageNamed(name, Number.MAX_SAFE_INTEGER);
    if (stage) return this.#stage(stage);
    if (name.toLowerCase() === 'scratch') return null;
    try {
      return await this.#resolveImage(name, 0);
    } catch (err) {
      if (isCode(err, 'not_found')) throw notFound(`no stage or image named "${name}": ${(err as Error).message.replace(/^dockerfile line 0: /, '')}`);
      throw err;
    }
  }

  /** A read-only view of a stage's result or an image, for COPY --from and RUN --mount from=. */
  async sourceRootFor(name: string): Promise<{ root: string; release: () => Promise<void> }> {
    const image = await this.sourceImage(name);
    const snap = this.images.snapshotter;
    const id = `buildsrc-${randomBytes(12).toString('hex')}`;
    const mnt = `${this.builderRoot}/mnt/${id}`;
    fs.mkdirSync(mnt, { recursive: true, mode: 0o700 });
    await snap.prepare(id, image?.chainId ?? null);
    await snap.mount(id, mnt);
    return {
      root: mnt,
      release: async () => {
        await snap.unmount(mnt).catch(() => {});
        await snap.remove(id).catch(() => {});
        fs.rmSync(mnt, { recursive: true, force: true });
      },
    };
  }
}

const PROXY = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);
