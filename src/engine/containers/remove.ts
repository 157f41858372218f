// rm: a container with a process is refused unless forced; forced, a start
// in progress is cut short and a running one killed (and its exit recorded)
// before the removal proper (destroy.ts).

import { hasProcess, verbRefusal } from '../../core/container-state.ts';
import { conflict } from '../../core/errors.ts';
import { removeNow } from './destroy.ts';
import { cancelRestart, killAndWait } from './stop.ts';
import type { EngineContext } from './context.ts';

export async function removeContainer(ctx: EngineContext, ref: string, opts: { force?: boolean; volumes?: boolean; keepSnapshot?: boolean } = {}): Promise<void> {
  const rec = ctx.d.containers.resolve(ref);
  // A start in progress is cut short (its runtime and monitor killed), never waited for.
  if (opts.force) ctx.starting.get(rec.id)?.abort(conflict(`container ${rec.id.slice(0, 12)} was removed while it was starting`));
  if (hasProcess(rec.state.status)) {
    const refusal = verbRefusal('remove', rec, ref);
    if (refusal && !opts.force) throw refusal;
    // dockerd's events for rm -f of a running container: kill (9), die, destroy.
    if (!(await cancelRestart(ctx, rec.id))) await killAndWait(ctx, rec.id, () => ctx.d.events.emit('container', 'kill', rec.id, { ...ctx.attrs(rec), signal: '9' }));
  }
  await removeNow(ctx, rec.id, opts.volumes ?? false, undefined, opts.keepSnapshot ?? false);
}
