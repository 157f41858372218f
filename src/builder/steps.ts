// One Dockerfile step on a stage: config instructions change the run
// config and make a config-only image (an empty_layer history entry);
// COPY/ADD write into a snapshot of the image so far; RUN runs a
// container. Each step first asks the cache; a hit reuses the image.
// History created_by follows Docker's classic builder:
//   /bin/sh -c #(nop)  CMD ["sh"]        config instructions
//   /bin/sh -c #(nop) COPY file:<hash> in /dst     COPY/ADD
//   |1 A=b /bin/sh -c make               RUN (with the ARGs it saw)

import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { ImageRunConfig } from '../core/image.ts';
import { invalid } from '../core/errors.ts';
import { validateSignal } from '../images/changes.ts';
import type { Step } from './parser/instructions.ts';
import type { BuildRun } from './executor.ts';
import { BuildCache } from './cache.ts';
import { copyStep } from './copy-step.ts';
import { runStepImpl } from './run-step.ts';
import { setEnv, type StageState } from './state.ts';
import { parseDuration } from './duration.ts';
import { goHealthcheck, goList, goQuoteList, nopPrefix } from './history-text.ts';
import { workdirStep } from './workdir-step.ts';

export async function runStep(b: BuildRun, st: StageState, step: Step): Promise<void> {
  switch (step.kind) {
    case 'from': throw invalid('FROM inside a stage');
    case 'arg': return argStep(b, st, step);
    case 'run': return runStepImpl(b, st, step);
    case 'copy': case 'add': return copyStep(b, st, step);
    case 'workdir': return workdirStep(b, st, step, applyConfig(st, step).config);
    default: return configStep(b, st, step);
  }
}

async function argStep(b: BuildRun, st: StageState, step: Step & { kind: 'arg' }): Promise<void> {
  const parts: string[] = [];
  for (const a of step.args) {
    parts.push(a.value !== undefined ? `${a.name}=${st.word(a.value)}` : a.name);
    const name = a.name;
    let value: string | undefined;
    if (b.opts.buildArgs.has(name)) value = b.opts.buildArgs.get(name);
    else if (a.value !== undefined) value = st.word(a.value);
    else if (b.metaArgs.has(name)) value = b.metaArgs.get(name);
    else if (b.platformArgs.has(name)) value = b.platformArgs.get(name);
    st.args.set(name, value);
    b.usedArgs.add(name);
  }
  // The classic builder commits ARG as a config-only step, with the Dockerfile's (expanded) values, not --build-arg's.
  await commitConfig(b, st, `ARG ${parts.join(' ')}`, st.config);
}

/** Applies a config instruction to a copy of the config; returns it with the history text. */
function applyConfig(st: StageState, step: Step): { config: ImageRunConfig; text: string } {
  const c: ImageRunConfig = structuredClone(st.config);
  const w = (s: string) => st.word(s);
  switch (step.kind) {
    case 'env': {
      const parts: string[] = [];
      for (const [k, v] of step.pairs) {
        const key = w(k);
        const val = w(v);
        c.Env = setEnv(c.Env, key, val);
        parts.push(`${key}=${val}`);
      }
      return { config: c, text: `ENV ${parts.join(' ')}` };
    }
    case 'label': {
      c.Labels = { ...c.Labels };
      const parts: string[] = [];
      for (const [k, v] of step.pairs) {
        const key = step.literal ? k : w(k);
        const val = step.literal ? v : w(v);
        c.Labels[key] = val;
        parts.push(`${key}=${val}`);
      }
      return { config: c, text: `LABEL ${parts.join(' ')}` };
    }
    case 'cmd': case 'entrypoint': {
      const v = step.exec ?? [...st.shell(), step.script];
      if (step.kind === 'cmd') c.Cmd = v;
      else {
        c.Entrypoint = v;
        // A new ENTRYPOINT drops the CMD inherited from the base image (Docker's rule).
        if (!st.cmdSetInStage) c.Cmd = null;
      }
      return { config: c, text: `${step.kind.toUpperCase()} ${goQuoteList(v)}` };
    }
    case 'shell':
      c.Shell = step.exec!;
      return { config: c, text: `SHELL ${goList(step.exec!)}` };
    case 'expose': {
      c.ExposedPorts = { ...c.ExposedPorts };
      const words: string[] = [];
      for (const raw of step.values) {
        for (const p of st.lex.words(raw, st.expansionEnv())) {
          words.push(p);
          const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
          if (!m) throw invalid(`invalid containerPort: ${p}`);
          const lo = Number(m[1]);
          const hi = m[2] ? Number(m[2]) : lo;
          for (let n = lo; n <= hi; n++) { const k = `${n}/${(m[3] ?? 'tcp').toLowerCase()}`; c.ExposedPorts[k] = {}; }
        }
      }
      // The words as written (after expansion), sorted, not the normalised ports: dockerd's "EXPOSE 100-101 80 90/udp".
      return { config: c, text: `EXPOSE ${words.sort().join(' ')}` };
    }
    case 'volume': {
      c.Volumes = { ...c.Volumes };
      const vols = step.json ? step.values.map(w) : step.values.flatMap((v) => st.lex.words(v, st.expansionEnv()));
      for (const v of vols) {
        if (v.trim() === '') throw invalid('VOLUME specified can not be an empty string');
        c.Volumes[v] = {};
      }
      return { config: c, text: `VOLUME [${vols.join(' ')}]` };
    }
    case 'user':
      c.User = w(step.value);
      return { config: c, text: `USER ${c.User}` };
    case 'workdir': {
      const dir = w(step.value);
      c.WorkingDir = path.posix.isAbsolute(dir) ? path.posix.normalize(dir) : path.posix.join(c.WorkingDir || '/', dir);
      return { config: c, text: `WORKDIR ${c.WorkingDir}` };
    }
    case 'stopsignal': {
      const sig = w(step.value);
      validateSignal(sig);
      c.StopSignal = sig;
      return { config: c, text: `STOPSIGNAL ${sig}` };
    }
    case 'maintainer':
      return { config: c, text: `MAINTAINER ${step.value}` };
    case 'onbuild':
      c.OnBuild = [...(c.OnBuild ?? []), step.expression];
      return { config: c, text: `ONBUILD ${step.expression}` };
    case 'healthcheck': {
      const hc: Record<string, number | string[]> = { Test: step.test };
      if (step.interval) hc.Interval = parseDuration(step.interval, 'interval');
      if (step.timeout) hc.Timeout = parseDuration(step.timeout, 'timeout');
      if (step.startPeriod) hc.StartPeriod = parseDuration(step.startPeriod, 'start-period');
      if (step.startInterval) hc.StartInterval = parseDuration(step.startInterval, 'start-interval');
      if (step.retries) {
        const n = Number(step.retries);
        if (!Number.isInteger(n) || n < 0) throw invalid(`--retries must be a non-negative integer, not ${step.retries}`);
        hc.Retries = n;
      }
      c.Healthcheck = hc;
      const n = (k: string) => { const v = hc[k]; return typeof v === 'number' ? v : 0; };
      return { config: c, text: `HEALTHCHECK ${goHealthcheck(step.test, n('Interval'), n('Timeout'), n('StartPeriod'), n('Retries'))}` };
    }
  }
  throw invalid(`unexpected instruction ${step.ins.cmd}`);
}

async function configStep(b: BuildRun, st: StageState, step: Step): Promise<void> {
  const { config, text } = applyConfig(st, step);
  if (step.kind === 'cmd') st.cmdSetInStage = true;
  const old = step.kind === 'healthcheck' ? st.config.Healthcheck?.Test : undefined;
  if (old?.length && old[0] !== 'NONE' && !b.opts.quiet) b.progress.stream(`Note: overriding previous HEALTHCHECK: ${goList(old)}\n`);
  await commitConfig(b, st, text, config, step.kind === 'maintainer' ? step.value : undefined);
}

/** A config-only image (an empty_layer `#(nop)` history entry), from the cache when it has one. */
async function commitConfig(b: BuildRun, st: StageState, text: string, config: ImageRunConfig, author?: string): Promise<void> {
  const createdBy = `${nopPrefix(config)} ${text}`;
  const key = BuildCache.key([st.image?.id ?? 'scratch', 'config', createdBy]);
  if (await b.fromCache(st, key, createdBy, config)) { st.config = st.image!.config.config ?? {}; return; }
  const img = await b.images.newImage({
    parent: st.image, parentId: st.image?.id ?? '', runConfig: config, history: { created_by: createdBy },
    ...(author ? { author } : st.image?.config.author ? { author: st.image.config.author } : {}),
  });
  b.committed(st, img, key);
  st.config = config;
}

export function hashText(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
