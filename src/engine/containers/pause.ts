// pause / unpause (the cgroup freezer through the runtime: `runc pause` /
// `runc resume`) and rename. Each takes the container's lock, checks the
// state with Docker's messages, changes the runtime first and the record
// after, and emits Docker's event.

import type { ContainerRecord } from '../../core/container.ts';
import type { ContainerRepository } from '../../core/metadata.ts';
import type { ContainerRuntime } from '../../core/runtime.ts';
import type { EventSink } from '../../core/events.ts';
import { checkVerb, transition } from '../../core/container-state.ts';
import { conflict, invalid, unavailable } from '../../core/errors.ts';
import { validateName } from './names.ts';
import type { KeyedMutex } from './waiters.ts';
import { stoppedHealth } from './health.ts';

export interface LifecycleDeps {
  containers: ContainerRepository;
  runtime: ContainerRuntime;
  events: EventSink;
  mutex: KeyedMutex;
  attrs(rec: ContainerRecord): Record<string, string>;
  /** dockerd skips probes while paused: the monitor stops at pause and resumes at unpause. */
  health?: { open(rec: ContainerRecord): void; close(id: string): void };
}

export async function pauseContainer(d: LifecycleDeps, ref: string): Promise<void> {
  const { id } = d.containers.resolve(ref);
  const rec = await d.mutex.run(id, async () => {
    const rec = d.containers.resolve(id);
    checkVerb('pause', rec);
    if (!d.runtime.freeze) throw unavailable('this runtime cannot pause containers');
    await d.runtime.freeze(rec.id, true);
    rec.state = transition(rec.state, 'pause');
    d.health?.close(rec.id);
    const health = stoppedHealth(rec.state.health);
    if (health) rec.state.health = health;
    d.containers.put(rec);
    return rec;
  });
  d.events.emit('container', 'pause', rec.id, d.attrs(rec));
}

export async function unpauseContainer(d: LifecycleDeps, ref: string): Promise<void> {
  const { id } = d.containers.resolve(ref);
  const rec = await d.mutex.run(id, async () => {
    const rec = d.containers.resolve(id);
    checkVerb('unpause', rec);
    await d.runtime.freeze!(rec.id, false);
    rec.state = transition(rec.state, 'unpause');
    d.containers.put(rec);
    d.health?.open(rec);
    return rec;
  });
  d.events.emit('container', 'unpause', rec.id, d.attrs(rec));
}

/**
 * A signal to a frozen container stays pending until it thaws: after
 * stop/kill/rm -f has signalled a paused container, it is resumed so the
 * signal lands (dockerd does the same). The record says running again: the
 * exit that follows is handled like any other.
 *
 * `wasPaused` is what the caller saw before signalling: runc may thaw the
 * container itself to deliver SIGKILL, and its exit can be recorded before
 * this runs, so the record alone no longer tells that it was paused.
 */
export async function thawAfterSignal(d: LifecycleDeps, id: string, wasPaused?: boolean): Promise<void> {
  const rec = d.containers.get(id);
  if (!(wasPaused ?? rec?.state.status === 'paused') || !d.runtime.freeze) return;
  // Recorded and announced before the thaw: the signal lands the moment the
  // cgroup thaws, and the exit it causes may be recorded (and its die
  // event sent) before the thaw's own answer comes back; dockerd reports
  // the unpause first.
  if (rec?.state.status === 'paused') {
    rec.state = transition(rec.state, 'unpause');
    d.containers.put(rec);
  }
  if (rec) d.events.emit('container', 'unpause', id, d.attrs(rec));
  await d.runtime.freeze(id, false).catch(() => { /* exited meanwhile */ });
}

export async function renameContainer(d: LifecycleDeps, ref: string, newName: string): Promise<void> {
  if (!ref || !newName) throw invalid('Neither old nor new names may be empty');
  const { id } = d.containers.resolve(ref);
  const { rec, oldName } = await d.mutex.run(id, async () => {
    const rec = d.containers.resolve(id);
    let name: string;
    try {
      name = validateName(newName.startsWith('/') ? newName : `/${newName}`);
    } catch (err) {
      throw invalid(`Error when allocating new name: ${(err as Error).message}`);
    }
    if (name === rec.name) throw invalid('Renaming a container with the same name as its current name');
    const holder = d.containers.byName(name);
    if (holder && holder !== rec.id) {
      throw conflict(`Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const oldName = rec.name;
    rec.name = name;
    d.containers.put(rec);
    relink(d, oldName, name);
    return { rec, oldName };
  });
  d.events.emit('container', 'rename', rec.id, { ...d.attrs(rec), oldName: `/${oldName}` });
}

/**
 * dockerd's link graph holds containers, not names: a renamed target stays
 * linked, and HostConfig.Links shows its new name. berth keeps a link as
 * "target:alias" in the linking container's HostConfig, so those naming the
 * old name are rewritten (the alias kept: "db" becomes "db2:db"). Links on
 * user-defined networks are DNS aliases by name, as in dockerd: left alone.
 */
function relink(d: LifecycleDeps, oldName: string, newName: string): void {
  for (const other of d.containers.listShared()) {
    const links = other.hostConfig.links ?? [];
    const mode = other.hostConfig.networkMode ?? '';
    if (!links.length || !(['', 'default', 'bridge', 'none', 'host'].includes(mode) || mode.startsWith('container:'))) continue;
    const target = (l: string) => l.split(':')[0]!.replace(/^\//, '');
    if (!links.some((l) => target(l) === oldName)) continue;
    const rec = d.containers.get(other.id);
    if (!rec) continue;
    rec.hostConfig.links = links.map((l) => {
      if (target(l) !== oldName) return l;
      const alias = l.split(':')[1];
      return `${newName}:${alias ? alias.split('/').pop()! : oldName}`;
    });
    d.containers.put(rec);
  }
}
