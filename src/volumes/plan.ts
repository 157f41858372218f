// At container create: every mount the container will have, in dockerd's
// order of precedence (registerMountPoints): --volumes-from first, then
// binds (-v) replace those at the same destination, then --mount entries
// (a clash with a bind is an error), tmpfs, and last the image's and the
// config's VOLUMEs wherever nothing else is mounted (anonymous volumes).
// Named volumes are created here if missing; if anything fails, the
// volumes this call created are removed again.

import type { ContainerMount, ContainerRecord, HostConfig } from '../core/container.ts';
import { invalid, isCode } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { VolumeEngine } from './service.ts';
import { parseBind, parseMountRequest, parseTmpfs, parseVolumesFrom, type MountIntent } from './specs.ts';

export interface PlanInput {
  hostConfig: HostConfig;
  /** Config.Volumes, already merged with the image's. */
  volumes: Record<string, object>;
  /** Finds a --volumes-from container (throws not_found). */
  resolveContainer(ref: string): ContainerRecord;
}

export interface Plan {
  mounts: ContainerMount[];
  /** Volumes this plan created (to remove if the container is not created after all). */
  created: string[];
}

function duplicate(target: string): Error {
  return invalid(`Duplicate mount point: ${target}`);
}

/** Parses and checks every request; creates nothing. */
function intents(input: PlanInput): { fromOthers: ContainerMount[]; own: MountIntent[] } {
  const hc = input.hostConfig;
  const fromOthers: ContainerMount[] = [];
  for (const spec of hc.volumesFrom ?? []) {
    const { container, mode } = parseVolumesFrom(spec);
    let src: ContainerRecord;
    try {
      src = input.resolveContainer(container);
    } catch (err) {
      // dockerd answers 400 here: a 404 would make the docker CLI try to pull the image.
      if (isCode(err, 'not_found')) throw invalid((err as Error).message);
      throw err;
    }
    for (const m of src.mounts) {
      // A tmpfs holds nothing to share (dockerd 20.10 fails on it; newer ones skip it).
      if (m.type === 'tmpfs') continue;
      const rw = m.rw && !mode.split(',').includes('ro');
      fromOthers.push({ ...m, mode, rw, copyData: false });
    }
  }
  const own: MountIntent[] = [];
  const taken = new Set<string>();
  for (const b of hc.binds ?? []) {
    const i = parseBind(b);
    if (taken.has(i.target)) throw duplicate(i.target);
    taken.add(i.target);
    own.push(i);
  }
  for (const m of hc.mounts ?? []) {
    const i = parseMountRequest(m);
    if (taken.has(i.target)) throw duplicate(i.target);
    taken.add(i.target);
    own.push(i);
  }
  for (const [target, data] of Object.entries(hc.tmpfs ?? {})) {
    const i = parseTmpfs(target, data);
    if (taken.has(i.target)) throw duplicate(i.target);
    taken.add(i.target);
    own.push(i);
  }
  return { fromOthers, own };
}

export async function planMounts(input: PlanInput, volumes: VolumeEngine, log: Logger): Promise<Plan> {
  const { fromOthers, own } = intents(input);
  const byTarget = new Map<string, ContainerMount | MountIntent>();
  for (const m of fromOthers) byTarget.set(m.destination, m);
  for (const i of own) byTarget.set(i.target, i);
  for (const target of Object.keys(input.volumes)) {
    const t = target.length > 1 ? target.replace(/\/+$/, '') : target;
    if (!t.startsWith('/')) throw invalid(`invalid mount config for type "volume": invalid mount path: '${target}' mount path must be absolute`);
    if (!byTarget.has(t)) {
      byTarget.set(t, { kind: 'volume', name: '', target: t, rw: true, mode: '', copyData: true, labels: {}, driver: '', driverOptions: {} });
    }
  }

  const created: string[] = [];
  const mounts: ContainerMount[] = [];
  try {
    for (const [target, m] of byTarget) {
      if (!('kind' in m)) {
        mounts.push(m);
        continue;
      }
      switch (m.kind) {
        case 'bind':
          mounts.push({
            type: 'bind', source: m.source, destination: target, mode: m.mode, rw: m.rw, propagation: m.propagation,
            ...(m.createSource ? { createSource: true } : {}), ...(m.nonRecursive ? { nonRecursive: true } : {}),
          });
          break;
        case 'volume': {
          const { record, created: isNew } = await volumes.getOrCreate({
            name: m.name, driver: m.driver || undefined, labels: m.labels, options: m.driverOptions,
          });
          if (isNew) created.push(record.name);
          mounts.push({
            type: 'volume', name: record.name, driver: record.driver, source: volumes.driver.mountpoint(record.name),
            destination: target, mode: m.mode, rw: m.rw, propagation: '', copyData: m.copyData,
            ...(m.name === '' ? { anonymous: true } : {}),
          });
          break;
        }
        case 'tmpfs':
          if (m.listed) mounts.push({ type: 'tmpfs', source: '', destination: target, mode: '', rw: m.rw, propagation: '', tmpfsOptions: m.data });
          break;
      }
    }
  } catch (err) {
    await undoPlan(created, volumes, log);
    throw err;
  }
  return { mounts, created };
}

export async function undoPlan(created: string[], volumes: VolumeEngine, log: Logger): Promise<void> {
  for (const name of created) {
    await volumes.remove(name, { force: true }).catch((err) => log.warn('removing a volume of a failed create failed', { name, err }));
  }
}
