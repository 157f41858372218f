// RUN: a container on the image so far, through the engine's container
// service like any other (so networks, security settings and the runtime
// are the engine's), its output streamed into the build's progress, then
// its snapshot turned into the step's layer.
//
// RUN --mount (parsed in run-mounts.ts) becomes mounts the builder owns:
//   type=cache   <builder>/cache-mounts/<key> (cache-mounts.ts: kept across builds, sharing modes)
//   type=tmpfs   a tmpfs of the container (size= its limit)
//   type=secret  the secret's bytes in a temp file, read-only, with its mode and owner; and/or env=
//   type=bind    a context (or stage/image) path, read-only; with rw, or when .dockerignore
//                hides something below it, a throwaway copy
// Their mount points are left out of the layer, like the runtime's own.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import type { ContainerService } from '../core/container.ts';
import { invalid } from '../core/errors.ts';
import { scopedResolve, cleanRel } from './context.ts';
import { hashSource, type SourceRoot } from './copy.ts';
import type { IgnoreMatcher } from './dockerignore.ts';
import type { CacheMounts, HeldCacheMount } from './cache-mounts.ts';
import type { RunMountRequest } from './run-mounts.ts';
import { SecretFiles } from './secret-files.ts';

export interface RunMountContext {
  builderRoot: string;
  /** The build context (bind mounts without from=). */
  context: SourceRoot;
  /** The RUN's working directory: relative targets are under it. */
  workingDir: string;
  /** Stages and images named by from=, already mounted by the caller. */
  from: Map<string, { root: string; imageId: string }>;
  secrets: Map<string, Buffer>;
  cacheMounts: CacheMounts;
  signal?: AbortSignal;
}

export interface PreparedMounts {
  binds: string[];
  /** tmpfs mounts: target -> options ("size=N"). */
  tmpfs: Record<string, string>;
  /** Secrets given to the command as environment variables (never in the image config nor the container's record). */
  env: string[];
  /** Mount points to leave out of the layer when the runtime made them. */
  stubs: string[];
  cleanup(): void;
}

export function mountTarget(r: RunMountRequest, workingDir: string): string {
  const target = `/${cleanRel(r.target.startsWith('/') ? r.target : path.posix.join('/', workingDir || '/', r.target))}`;
  if (target === '/') throw invalid('a RUN mount cannot target /');
  return target;
}

/** A bind source: its path and whether .dockerignore hides anything below it (then it is bound as a filtered copy). */
function bindSource(r: RunMountRequest, ctx: Pick<RunMountContext, 'context' | 'from'>): { root: string; abs: string; st: fs.Stats; ignore?: IgnoreMatcher } {
  const from = r.from !== undefined ? ctx.from.get(r.from) : undefined;
  if (r.from !== undefined && !from) throw invalid(`mount from "${r.from}" is not available`);
  const root = from ? from.root : ctx.context.root;
  const ignore = from ? undefined : ctx.context.ignore;
  const rel = cleanRel(r.source ?? '/');
  const abs = scopedResolve(root, rel);
  const st = fs.statSync(abs, { throwIfNoEntry: false });
  if (!st || ignore?.excluded(rel)) {
    throw invalid(`mount source "${r.source ?? '/'}" not found in ${r.from !== undefined ? `"${r.from}"` : 'the build context'}${ignore && st ? ' (excluded by .dockerignore)' : ''}`);
  }
  return { root, abs, st, ...(ignore && !ignore.empty ? { ignore } : {}) };
}

/**
 * What the RUN's cache key must see of its mounts besides their options:
 * the content of a bind from the context (hashed as COPY hashes it), the
 * image a from= names; never a secret's value or a cache's content.
 */
export function mountKeyParts(reqs: RunMountRequest[], ctx: Pick<RunMountContext, 'context' | 'from'>): string[] {
  const out: string[] = [];
  for (const r of reqs) {
    if (r.from !== undefined) out.push(`from:${r.from}=${ctx.from.get(r.from)?.imageId ?? ''}`);
    if (r.type === 'bind' && r.from === undefined) {
      const { root, abs, st, ignore } = bindSource(r, ctx);
      const h = createHash('sha256');
      hashSource(h, { root, ...(ignore ? { ignore } : {}) }, { rel: cleanRel(r.source ?? '/'), abs, st }, []);
      out.push(`bind:${r.target}=${h.digest('hex')}`);
    }
  }
  return out;
}

function hidesSomething(root: string, abs: string, ignore: IgnoreMatcher): boolean {
  const walk = (dir: string): boolean => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = path.relative(root, `${dir}/${d.name}`);
      if (ignore.excluded(rel)) return true;
      if (d.isDirectory() && walk(`${dir}/${d.name}`)) return true;
    }
    return false;
  };
  return fs.statSync(abs).isDirectory() && walk(abs);
}

/** Copies a tree keeping owners, modes, times and links (cp -a): a rw bind or a cache's from= base. */
function copyTree(src: string, dst: string): void {
  const st = fs.statSync(src);
  if (st.isDirectory()) execFileSync('cp', ['-a', '--', `${src}/.`, dst], { stdio: ['ignore', 'ignore', 'pipe'] });
  else execFileSync('cp', ['-a', '--', src, dst], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function prepareMounts(reqs: RunMountRequest[], ctx: RunMountContext): Promise<PreparedMounts> {
  const binds: string[] = [];
  const tmpfs: Record<string, string> = {};
  const env: string[] = [];
  const temps: string[] = [];
  const stubs: string[] = [];
  const held: HeldCacheMount[] = [];
  const tmpDir = () => {
    const d = `${ctx.builderRoot}/tmp/${randomBytes(8).toString('hex')}`;
    fs.mkdirSync(d, { recursive: true, mode: 0o755 });
    temps.push(d);
    return d;
  };
  let secretFiles: SecretFiles | null = null;
  const cleanup = () => {
    secretFiles?.close();
    for (const h of held) h.release();
    for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
  };
  try {
    for (const r of reqs) {
      const target = r.target ? mountTarget(r, ctx.workingDir) : '';
      switch (r.type) {
        case 'cache': {
          const from = r.from !== undefined ? ctx.from.get(r.from) : undefined;
          if (r.from !== undefined && !from) throw invalid(`mount from "${r.from}" is not available`);
          const base = from ? scopedResolve(from.root, cleanRel(r.source ?? '/')) : '';
          if (from && !fs.existsSync(base)) throw invalid(`mount source "${r.source ?? '/'}" not found in "${r.from}"`);
          const keyParts = [r.id ?? target];
          if (from) keyParts.push(`from=${from.imageId}`, `source=${cleanRel(r.source ?? '/')}`);
          if (r.mode !== undefined || r.uid !== undefined || r.gid !== undefined) keyParts.push(`perm=${r.mode ?? 0o755}:${r.uid ?? 0}:${r.gid ?? 0}`);
          const h = await ctx.cacheMounts.acquire({
            keyParts, sharing: r.sharing,
            init: (dir) => {
              if (from) copyTree(base, dir);
              if (r.uid !== undefined || r.gid !== undefined) fs.chownSync(dir, r.uid ?? 0, r.gid ?? 0);
              if (r.mode !== undefined) fs.chmodSync(dir, r.mode);
            },
          }, ctx.signal);
          held.push(h);
          binds.push(`${h.dir}:${target}:${r.readonly ? 'ro' : 'rw'}`);
          break;
        }
        case 'tmpfs':
          tmpfs[target] = r.size !== undefined ? `size=${r.size}` : '';
          break;
        case 'secret': {
          const data = ctx.secrets.get(r.id!);
          if (!data) {
            if (r.required) throw invalid(`secret ${r.id} not found: pass it with --secret id=${r.id},src=FILE (or env=VAR)`);
            continue;
          }
          if (r.env !== undefined) env.push(`${r.env}=${data.toString('utf8')}`);
          if (!target) continue;
          // On a tmpfs of this RUN's own: never a file on disk (secret-files.ts).
          secretFiles ??= SecretFiles.create(`${ctx.builderRoot}/tmp`, secretBytes(reqs, ctx.secrets));
          binds.push(`${secretFiles.write(data, r.uid ?? 0, r.gid ?? 0, r.mode ?? 0o400)}:${target}:ro`);
          break;
        }
        case 'bind': {
          const { root, abs, ignore } = bindSource(r, ctx);
          if (!r.readonly || (ignore && hidesSomething(root, abs, ignore))) {
            // Writes are thrown away with the copy; .dockerignore'd files are not in it.
            const copy = `${tmpDir()}/src`;
            if (ignore) {
              fs.cpSync(abs, copy, {
                recursive: true, verbatimSymlinks: true, preserveTimestamps: true,
                filter: (s) => { const rel = path.relative(root, s); return !ignore.excluded(rel) || (fs.lstatSync(s).isDirectory() && ignore.mayReinclude(rel)); },
              });
            } else {
              copyTree(abs, copy);
            }
            binds.push(`${copy}:${target}:${r.readonly ? 'ro' : 'rw'}`);
          } else {
            binds.push(`${abs}:${target}:ro`);
          }
          break;
        }
      }
      stubs.push(target.slice(1));
    }
  } catch (err) {
    cleanup();
    throw err;
  }
  return { binds, tmpfs, env, stubs, cleanup };
}

/** Bytes of the secrets these mounts write as files. */
function secretBytes(reqs: RunMountRequest[], secrets: Map<string, Buffer>): number {
  return reqs.reduce((n, r) => n + (r.type === 'secret' && r.target ? secrets.get(r.id!)?.length ?? 0 : 0), 0);
}

export interface RunRequest {
  imageId: string;
  cmd: string[];
  env: string[];
  /** Secret values as variables: given at start only, so never written with the container's record. */
  secretEnv: string[];
  user: string;
  workingDir: string;
  networkMode: string;
  binds: string[];
  tmpfs: Record<string, string>;
  extraHosts: string[];
  shmSize: number;
  output: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  onStart?: (id: string) => void;
}

/** Creates, runs and waits for the step's container; returns its id and exit code (the caller commits and removes it). */
export async function runContainer(containers: ContainerService, r: RunRequest): Promise<{ id: string; exitCode: number }> {
  const { id } = await containers.create({
    config: {
      image: r.imageId, cmd: r.cmd, entrypoint: [''], env: r.env, user: r.user, workingDir: r.workingDir,
      attachStdout: true, attachStderr: true, labels: {},
    },
    hostConfig: {
      networkMode: r.networkMode || 'default', binds: r.binds, extraHosts: r.extraHosts,
      ...(Object.keys(r.tmpfs).length ? { tmpfs: r.tmpfs } : {}),
      ...(r.shmSize > 0 ? { shmSize: r.shmSize } : {}),
    },
  });
  r.onStart?.(id);
  try {
    let ended!: () => void;
    const outputDone = new Promise<void>((res) => { ended = res; });
    const handle = await containers.attach(id, { stdin: false, stdout: true, stderr: true, stream: true, logs: false }, {
      data: (s, chunk) => r.output(chunk, s),
      end: () => ended(),
    });
    const exited = containers.wait(id, 'next-exit');
    await containers.start(id, { env: r.secretEnv });
    const { statusCode } = await exited;
    await Promise.race([outputDone, new Promise((res) => setTimeout(res, 2000).unref())]);
    handle.detach();
    return { id, exitCode: statusCode };
  } catch (err) {
    await containers.remove(id, { force: true }).catch(() => {});
    throw err;
  }
}
