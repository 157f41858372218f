// RUN as a build step: the command (shell or exec form, heredocs), its
// cache key (the image so far, the command with the ARGs it sees, the
// network, the --mount options and what the mounts bring in: see
// mountKeyParts), then a container on the image so far (run.ts) whose
// snapshot becomes the step's layer.

import { BerthError, invalid } from '../core/errors.ts';
import type { Step } from './parser/instructions.ts';
import type { BuildRun } from './executor.ts';
import { BuildCache } from './cache.ts';
import { mountKeyParts, prepareMounts, runContainer, type PreparedMounts } from './run.ts';
import { parseRunMount } from './run-mounts.ts';
import { PROXY_ARGS, type StageState } from './state.ts';
import { CONTAINER_MOUNT_STUBS } from '../images/layer-diff.ts';

export async function runStepImpl(b: BuildRun, st: StageState, step: Step & { kind: 'run' }): Promise<void> {
  let cmd: string[];
  if (step.exec) cmd = step.exec;
  else {
    // Heredocs go to the shell as written: it reads them itself.
    const script = step.heredocs.length
      ? (/^<<-?["']?[A-Za-z_][A-Za-z0-9_.-]*["']?$/.test(step.script.trim()) ? step.heredocs[0]!.content : `${step.script}\n${step.heredocs.map((h) => `${h.content}${h.name}`).join('\n')}`)
      : step.script;
    cmd = [...st.shell(), script];
  }
  const args = st.runArgs();
  // Proxy args given with --build-arg reach RUN without an ARG line; undeclared, they stay out of history but still
  // make the "|N" prefix appear ("|0 /bin/sh -c ..."), as in the classic builder.
  const envKeys = new Set([...(st.config.Env ?? []), ...args.map(([k]) => k)].map((e) => e.split('=')[0]));
  const proxies = [...b.opts.buildArgs].filter(([k]) => PROXY_ARGS.has(k) && !envKeys.has(k));
  const prefix = args.length || proxies.length ? `|${args.length} ${args.map(([k, v]) => `${k}=${v} `).join('')}` : '';
  const createdBy = `${prefix}${cmd.join(' ')}`;
  const mounts = step.mounts.map((m) => parseRunMount(st.word(m)));
  const network = step.network ?? (b.opts.networkMode || 'default');
  // Images named by from= go into the key (they are content-addressed); their trees are mounted only on a miss.
  const from = new Map<string, { root: string; imageId: string }>();
  for (const m of mounts) if (m.from !== undefined && !from.has(m.from)) from.set(m.from, { root: '', imageId: (await b.sourceImage(m.from))?.id ?? 'scratch' });
  const mountCtx = { context: { root: b.context.root, ignore: b.context.ignore }, from };
  const key = BuildCache.key([st.image?.id ?? 'scratch', 'run', createdBy, network, JSON.stringify(mounts), ...mountKeyParts(mounts, mountCtx)]);
  if (await b.fromCache(st, key, createdBy, st.config)) return;
  if (!st.image) throw invalid('RUN in a stage FROM scratch with nothing in it: there is no shell to run');
  const releases: Array<() => Promise<void>> = [];
  let prepared: PreparedMounts | null = null;
  try {
    for (const [name, f] of from) {
      const r = await b.sourceRootFor(name);
      releases.push(r.release);
      f.root = r.root;
    }
    prepared = await prepareMounts(mounts, {
      ...mountCtx, builderRoot: b.builderRoot, workingDir: st.config.WorkingDir ?? '', secrets: b.opts.secrets, cacheMounts: b.cacheMounts,
    });
    const env = [...(st.config.Env ?? [])];
    for (const [k, v] of [...args, ...proxies]) env.push(`${k}=${v}`);
    const { id, exitCode } = await runContainer(b.containers, {
      imageId: st.image.id, cmd, env, secretEnv: prepared.env, user: st.config.User ?? '', workingDir: st.config.WorkingDir ?? '',
      networkMode: network, binds: prepared.binds, tmpfs: prepared.tmpfs, extraHosts: b.opts.extraHosts, shmSize: b.opts.shmSize,
      // stderr in red, as the classic builder streams it.
      output: (chunk, stream) => { if (!b.opts.quiet) b.progress.stream(stream === 'stderr' ? `\x1b[91m${chunk.toString()}\x1b[0m` : chunk.toString()); },
      onStart: (cid) => { if (!b.opts.quiet) b.progress.stream(` ---> Running in ${cid.slice(0, 12)}\n`); },
    });
    // With --rm the container goes before its snapshot becomes the layer (consumed, not copied):
    // a crash in between leaves an orphan snapshot (swept at boot), never a container
    // whose snapshot is gone. Kept containers keep their snapshot; the layer is unpacked from its blob.
    let removed = false;
    try {
      if (exitCode !== 0) {
        throw Object.assign(new BerthError('invalid_argument', `The command '${cmd.join(' ')}' returned a non-zero code: ${exitCode}`), { exitCode });
      }
      if (b.opts.rm) {
        await b.containers.remove(id, { force: true, keepSnapshot: true });
        removed = true;
      }
      const stubs = new Set([...CONTAINER_MOUNT_STUBS, ...prepared!.stubs]);
      const img = await b.images.newImage({
        parent: st.image, parentId: st.image.id, snapshotKey: id, consumeSnapshot: removed, skipEmptyLayer: true, mountStubs: stubs,
        runConfig: st.config, history: { created_by: createdBy },
        ...(st.image.config.author ? { author: st.image.config.author } : {}),
      });
      b.committed(st, img, key, true);
    } finally {
      if (removed) {
        await b.images.snapshotter.remove(id).catch(() => {}); // gone when consumed; left when the commit failed
        if (!b.opts.quiet) b.progress.stream(`Removing intermediate container ${id.slice(0, 12)}\n`);
      } else if (exitCode === 0 ? b.opts.rm : b.opts.forceRm || b.opts.rm) {
        await b.containers.remove(id, { force: true }).catch(() => {});
      }
    }
    if (!b.opts.quiet) b.progress.stream(` ---> ${st.image!.id.slice(7, 19)}\n`);
  } finally {
    prepared?.cleanup();
    for (const r of releases) await r();
  }
}

