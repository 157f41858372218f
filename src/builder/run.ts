// RUN: a container on the image so far, through the engine's container
// service like any other (so networks, security settings and the runtime
// are the engine's), its output streamed into the build's progress, then
// its snapshot turned into the step's layer.
//
// RUN --mount becomes bind mounts of host directories the builder owns:
//   type=cache   <builder>/cache-mounts/<id>, kept across builds (builder prune empties them)
//   type=tmpfs   an empty temp dir, removed afterwards
//   type=secret  the secret's bytes in a temp file, read-only (default /run/secrets/<id>)
//   type=bind    a context (or stage) path, read-only; with rw a throwaway copy
// Their mount points are left out of the layer, like the runtime's own.

import * as fs from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import type { ContainerService } from '../core/container.ts';
import { invalid } from '../core/errors.ts';
import { scopedResolve, cleanRel } from './context.ts';

export interface RunMountRequest {
  type: 'cache' | 'tmpfs' | 'secret' | 'bind';
  target: string;
  id?: string;
  source?: string;
  from?: string;
  rw: boolean;
  required: boolean;
}

export function parseRunMount(spec: string): RunMountRequest {
  const kv = new Map<string, string>();
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    kv.set((eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase(), eq < 0 ? 'true' : part.slice(eq + 1));
  }
  const type = (kv.get('type') ?? 'bind') as RunMountRequest['type'];
  if (!['cache', 'tmpfs', 'secret', 'bind'].includes(type)) throw invalid(`unsupported mount type "${type}" in --mount=${spec}`);
  let target = kv.get('target') ?? kv.get('dst') ?? kv.get('destination') ?? '';
  const id = kv.get('id');
  if (type === 'secret' && !target) {
    if (!id) throw invalid(`secret mount needs an id or a target: --mount=${spec}`);
    target = `/run/secrets/${id}`;
  }
  if (!target) throw invalid(`mount target is required: --mount=${spec}`);
  const rw = kv.get('rw') === 'true' || kv.get('readwrite') === 'true' || (kv.has('readonly') || kv.has('ro') ? false : type === 'cache');
  return {
    type, target, rw: type === 'cache' || type === 'tmpfs' ? true : rw, required: kv.get('required') === 'true',
    ...(id ? { id } : {}), ...(kv.get('source') ?? kv.get('src') ? { source: kv.get('source') ?? kv.get('src') } : {}),
    ...(kv.get('from') ? { from: kv.get('from') } : {}),
  };
}

export interface RunMountContext {
  builderRoot: string;
  contextRoot: string;
  /** Root of a stage or image named by from= (already prepared by the caller). */
  fromRoot?: (name: string) => string;
  secrets: Map<string, Buffer>;
}

export interface PreparedMounts {
  binds: string[];
  stubs: string[];
  cleanup(): void;
}

export function prepareMounts(reqs: RunMountRequest[], ctx: RunMountContext): PreparedMounts {
  const binds: string[] = [];
  const temps: string[] = [];
  const stubs: string[] = [];
  const tmpDir = () => {
    const d = `${ctx.builderRoot}/tmp/${randomBytes(8).toString('hex')}`;
    fs.mkdirSync(d, { recursive: true, mode: 0o755 });
    temps.push(d);
    return d;
  };
  try {
    for (const r of reqs) {
      const target = `/${cleanRel(r.target)}`;
      if (target === '/') throw invalid('a RUN mount cannot target /');
      stubs.push(target.slice(1));
      switch (r.type) {
        case 'cache': {
          const key = createHash('sha256').update(r.id ?? target).digest('hex').slice(0, 32);
          const d = `${ctx.builderRoot}/cache-mounts/${key}`;
          fs.mkdirSync(d, { recursive: true, mode: 0o755 });
          binds.push(`${d}:${target}:rw`);
          break;
        }
        case 'tmpfs':
          binds.push(`${tmpDir()}:${target}:rw`);
          break;
        case 'secret': {
          const id = r.id ?? target.slice(target.lastIndexOf('/') + 1);
          const data = ctx.secrets.get(id);
          if (!data) {
            if (r.required) throw invalid(`secret ${id} not found: pass it with --secret id=${id},src=FILE`);
            stubs.pop();
            continue;
          }
          const f = `${tmpDir()}/secret`;
          fs.writeFileSync(f, data, { mode: 0o400 });
          binds.push(`${f}:${target}:ro`);
          break;
        }
        case 'bind': {
          const root = r.from ? ctx.fromRoot?.(r.from) : ctx.contextRoot;
          if (!root) throw invalid(`mount from "${r.from}" is not available`);
          const src = scopedResolve(root, cleanRel(r.source ?? '/'));
          if (!fs.existsSync(src)) throw invalid(`mount source "${r.source ?? '/'}" not found`);
          if (r.rw) {
            const copy = `${tmpDir()}/src`;
            fs.cpSync(src, copy, { recursive: true, verbatimSymlinks: true });
            binds.push(`${copy}:${target}:rw`);
          } else {
            binds.push(`${src}:${target}:ro`);
          }
          break;
        }
      }
    }
  } catch (err) {
    for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
    throw err;
  }
  return { binds, stubs, cleanup: () => { for (const t of temps) fs.rmSync(t, { recursive: true, force: true }); } };
}

export interface RunRequest {
  imageId: string;
  cmd: string[];
  env: string[];
  user: string;
  workingDir: string;
  networkMode: string;
  binds: string[];
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
    await containers.start(id);
    const { statusCode } = await exited;
    await Promise.race([outputDone, new Promise((res) => setTimeout(res, 2000).unref())]);
    handle.detach();
    return { id, exitCode: statusCode };
  } catch (err) {
    await containers.remove(id, { force: true }).catch(() => {});
    throw err;
  }
}
