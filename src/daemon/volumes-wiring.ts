// Glue for src/volumes: the volume store's table, the local driver under
// <data-root>/volumes, and the mount manager the container service uses.
// A volume's references are the container records that name it.

import type { EventSink } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type { Database } from '../stores/metadata/database.ts';
import { SqliteVolumeRepository } from '../stores/metadata/volumes.ts';
import { VolumeEngine } from '../volumes/service.ts';
import { ContainerVolumes } from '../volumes/containers.ts';

export function createVolumes(deps: { db: Database; dataRoot: string; events: EventSink; logger: Logger; rootOwner?: { uid: number; gid: number } | null }): { service: VolumeEngine; mounts: ContainerVolumes } {
  const { db } = deps;
  const refsOf = (name: string): string[] => db.containers.listShared()
    .filter((c) => c.mounts.some((m) => m.type === 'volume' && m.name === name))
    .map((c) => c.id);
  const service = new VolumeEngine({
    repo: new SqliteVolumeRepository(db), root: `${deps.dataRoot}/volumes`, owner: deps.rootOwner ?? null, events: deps.events, logger: deps.logger, refsOf,
  });
  const mounts = new ContainerVolumes({
    volumes: service, owner: deps.rootOwner ?? null, events: deps.events, logger: deps.logger, resolveContainer: (ref) => db.containers.resolve(ref),
  });
  return { service, mounts };
}
