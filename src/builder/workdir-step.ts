// WORKDIR as dockerd's classic builder does it: the directory (and its
// parents) is created in the image at this step, owned by root, 0755, so
// it exists for COPY --from, export and the next stages, not only once a
// runtime creates a container's cwd. A directory that already exists
// changes nothing: the step is then config-only (empty_layer). The history
// text has a single space after "#(nop)", unlike the other config steps.

import * as fs from 'node:fs';
import type { ImageRunConfig } from '../core/image.ts';
import { invalid } from '../core/errors.ts';
import type { Step } from './parser/instructions.ts';
import type { BuildRun } from './executor.ts';
import { BuildCache } from './cache.ts';
import { hostOwner, mkdirInRoot } from './copy.ts';
import type { StageState } from './state.ts';
import { nopPrefix } from './history-text.ts';

export async function workdirStep(b: BuildRun, st: StageState, _step: Step, config: ImageRunConfig): Promise<void> {
  const dir = config.WorkingDir || '/';
  const createdBy = `${nopPrefix(config)}WORKDIR ${dir}`;
  const key = BuildCache.key([st.image?.id ?? 'scratch', 'workdir', createdBy]);
  if (await b.fromCache(st, key, createdBy, config)) return;
  st.config = config;
  await b.withSnapshot(st, async (rootfs) => {
    const made = mkdirInRoot(rootfs, dir.replace(/^\/+/, ''), ...hostOwner(b.images.snapshotter.idMaps));
    if (!fs.statSync(made).isDirectory()) throw invalid(`Cannot mkdir: ${dir} is not a directory`);
  }, key, createdBy);
}
