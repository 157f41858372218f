// The container service's view of volumes and mounts (ContainerMountManager):
// plan at create, set up at start, tear down at exit, release at removal.

import type { ContainerMount, ContainerRecord } from '../core/container.ts';
import type { EventSink } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type { ContainerMountManager, VolumeRecord } from '../core/volume.ts';
import type { OciSpec } from '../core/runtime.ts';
import type { VolumeEngine } from './service.ts';
import { planMounts, undoPlan } from './plan.ts';
import { copyImageContent, hostTmpfsEntries, ociEntry, prepareBind } from './setup.ts';

export interface ContainerVolumesDeps {
  volumes: VolumeEngine;
  events: EventSink;
  logger: Logger;
  resolveContainer(ref: string): ContainerRecord;
  /** --userns-remap: host IDs of the remapped root; a -v bind's missing source is created owned by it, as dockerd does. */
  owner?: { uid: number; gid: number } | null;
}

export class ContainerVolumes implements ContainerMountManager {
  readonly #d: ContainerVolumesDeps;
  readonly #log: Logger;
  /** Volumes each running container holds (for teardown's release and unmount events). */
  readonly #held = new Map<string, Array<{ mount: ContainerMount; volume: VolumeRecord }>>();

  constructor(deps: ContainerVolumesDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'mounts' });
  }

  async plan(rec: ContainerRecord): Promise<() => Promise<void>> {
    const plan = await planMounts({
      hostConfig: rec.hostConfig, volumes: rec.config.volumes ?? {}, resolveContainer: this.#d.resolveContainer,
    }, this.#d.volumes, this.#log);
    rec.mounts = plan.mounts;
    return () => undoPlan(plan.created, this.#d.volumes, this.#log);
  }

  async setup(rec: ContainerRecord, rootfs: string): Promise<OciSpec['mounts']> {
    const out: OciSpec['mounts'] = [];
    const held: Array<{ mount: ContainerMount; volume: VolumeRecord }> = [];
    try {
      for (const m of rec.mounts) {
        if (m.type === 'volume') {
          const volume = this.#d.volumes.get(m.name!);
          await this.#d.volumes.driver.acquire(volume, rec.id);
          held.push({ mount: m, volume });
          if (m.copyData && await this.#d.volumes.driver.isEmpty(volume.name)) {
            await copyImageContent(rootfs, m.destination, this.#d.volumes.driver.mountpoint(volume.name));
          }
        } else if (m.type === 'bind') {
          await prepareBind(m, this.#d.owner ?? null);
        }
        out.push(ociEntry(m));
      }
      out.push(...hostTmpfsEntries(rec));
    } catch (err) {
      for (const h of held) await this.#d.volumes.driver.release(h.volume, rec.id).catch(() => {});
      throw err;
    }
    this.#held.set(rec.id, held);
    for (const { mount: m, volume } of held) {
      this.#d.events.emit('volume', 'mount', volume.name, {
        container: rec.id, destination: m.destination, driver: volume.driver, propagation: m.propagation, 'read/write': String(m.rw),
      });
    }
    return out;
  }

  async teardown(rec: ContainerRecord): Promise<void> {
    const held = this.#held.get(rec.id);
    if (!held) return;
    this.#held.delete(rec.id);
    for (const { volume } of held) {
      await this.#d.volumes.driver.release(volume, rec.id).catch((err) => this.#log.warn('unmounting volume failed', { name: volume.name, err }));
      this.#d.events.emit('volume', 'unmount', volume.name, { container: rec.id, driver: volume.driver });
    }
  }

  adopt(rec: ContainerRecord): void {
    const held: Array<{ mount: ContainerMount; volume: VolumeRecord }> = [];
    for (const m of rec.mounts) {
      if (m.type !== 'volume' || !m.name) continue;
      try {
        held.push({ mount: m, volume: this.#d.volumes.get(m.name) });
      } catch { /* removed meanwhile */ }
    }
    this.#held.set(rec.id, held);
    for (const h of held) this.#d.volumes.driver.adopt(h.volume.name, rec.id);
  }

  async release(rec: ContainerRecord, removeAnonymous: boolean): Promise<void> {
    await this.teardown(rec);
    if (!removeAnonymous) return;
    for (const m of rec.mounts) {
      if (m.type === 'volume' && m.anonymous && m.name) await this.#d.volumes.removeIfUnused(m.name);
    }
  }
}
