// `docker container prune`, decided the way dockerd decides:
//
//   - never a container with a process (running, paused, restarting), nor
//     one a start is taking (the check is made again under the container's
//     lock, so a start cannot slip in between);
//   - `until`: created after it, kept;
//   - `label`: every value must match; `label!`: kept when every value
//     matches (docker's MatchKVList, so "label!=a" + "label!=b" keeps only
//     the containers that carry both);
//   - each goes through an ordinary removal (destroy events, rootfs, volumes
//     released, anonymous ones kept as `docker rm` without -v keeps them);
//   - SpaceReclaimed is the size of the writable layers that went;
//   - one `prune` event with `reclaimed`, and one prune at a time (409).

import type { ContainerPruneOptions, ContainerPruneReport, ContainerRecord } from '../../core/container.ts';
import { hasProcess } from '../../core/container-state.ts';
import { conflict } from '../../core/errors.ts';
import { removeNow } from './destroy.ts';
import type { EngineContext } from './context.ts';
import { isMountStub } from '../../images/layer-diff.ts';

/** docker's Args.MatchKVList: every filter value ("key" or "key=value") holds for the labels. */
export function matchKVList(values: readonly string[] | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!values?.length) return true;
  return values.every((want) => {
    const eq = want.indexOf('=');
    const key = eq < 0 ? want : want.slice(0, eq);
    if (!Object.hasOwn(labels, key)) return false;
    return eq < 0 || labels[key] === want.slice(eq + 1);
  });
}

/** Whether prune takes this container (its state aside): dockerd's until and matchLabels. */
export function pruneSelects(rec: Pick<ContainerRecord, 'created' | 'config'>, o: ContainerPruneOptions): boolean {
  if (o.until !== undefined && Date.parse(rec.created) > o.until) return false;
  const labels = rec.config.labels ?? {};
  if (!matchKVList(o.labels, labels)) return false;
  if (o.labelsNot?.length && matchKVList(o.labelsNot, labels)) return false;
  return true;
}

const running = new WeakSet<EngineContext>();

export async function pruneContainers(ctx: EngineContext, o: ContainerPruneOptions): Promise<ContainerPruneReport> {
  if (running.has(ctx)) throw conflict('a prune operation is already running');
  running.add(ctx);
  try {
    const report: ContainerPruneReport = { deleted: [], spaceReclaimed: 0 };
    for (const rec of ctx.d.containers.list()) {
      if (hasProcess(rec.state.status) || ctx.starting.has(rec.id) || !pruneSelects(rec, o)) continue;
      const size = await ctx.d.images.snapshotter.usage(rec.id, isMountStub).catch(() => 0);
      const keep = (fresh: ContainerRecord) => hasProcess(fresh.state.status) || fresh.state.status === 'removing';
      let removed = false;
      try {
        removed = await removeNow(ctx, rec.id, false, keep);
      } catch (err) {
        // dockerd logs a container it could not remove and goes on with the others.
        ctx.log.warn('prune: removing container failed', { id: rec.id, err });
      }
      if (!removed) continue;
      report.deleted.push(rec.id);
      report.spaceReclaimed += size;
    }
    ctx.d.events.emit('container', 'prune', '', { reclaimed: String(report.spaceReclaimed) });
    return report;
  } finally {
    running.delete(ctx);
  }
}
