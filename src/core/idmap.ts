// User-namespace ID mappings (dockerd's --userns-remap). A container's IDs
// map to host IDs range by range, as in /proc/<pid>/uid_map:
//
//   subuid  dockremap:100000:65536        (from /etc/subuid)
//   map     { containerId: 0, hostId: 100000, size: 65536 }
//   root    container 0 -> host 100000; container 1000 -> host 101000
//
// With several subordinate ranges the container IDs continue where the
// previous range ended, as dockerd builds them. An ID outside every range
// has no counterpart: that is an error (dockerd's words), never a silent
// fallback to root.

import { invalid } from './errors.ts';

export interface IdRange {
  containerId: number;
  hostId: number;
  size: number;
}

export interface IdMaps {
  uids: IdRange[];
  gids: IdRange[];
}

/**
 * The user namespace a remapped container runs in: a new one with these
 * mappings, or (sharing namespaces with another remapped container) that
 * container's, as a /proc/<pid>/ns/user path.
 */
export type UsernsSource = { maps: IdMaps } | { join: string };

/** Host ID of a container ID. */
export function idToHost(ranges: readonly IdRange[], id: number): number {
  for (const r of ranges) {
    if (id >= r.containerId && id < r.containerId + r.size) return r.hostId + (id - r.containerId);
  }
  throw invalid(`Container ID ${id} cannot be mapped to a host ID`);
}

/** Container ID of a host ID, undefined when no range holds it. */
function findContainerId(ranges: readonly IdRange[], id: number): number | undefined {
  for (const r of ranges) {
    if (id >= r.hostId && id < r.hostId + r.size) return r.containerId + (id - r.hostId);
  }
  return undefined;
}

/** Container ID of a host ID. */
export function idToContainer(ranges: readonly IdRange[], id: number): number {
  const c = findContainerId(ranges, id);
  if (c === undefined) throw invalid(`Host ID ${id} cannot be mapped to a container ID`);
  return c;
}

/** The host uid and gid of the container's root. */
export function hostRoot(maps: IdMaps): { uid: number; gid: number } {
  return { uid: idToHost(maps.uids, 0), gid: idToHost(maps.gids, 0) };
}

/** Subordinate ranges, in the order given, as mappings whose container IDs follow on from 0. */
export function rangesToMap(ranges: ReadonlyArray<{ start: number; size: number }>): IdRange[] {
  let next = 0;
  return ranges.map((r) => {
    const m = { containerId: next, hostId: r.start, size: r.size };
    next += r.size;
    return m;
  });
}

/** OCI runtime spec form (linux.uidMappings / gidMappings). */
export function ociMappings(ranges: readonly IdRange[]): Array<{ containerID: number; hostID: number; size: number }> {
  return ranges.map((r) => ({ containerID: r.containerId, hostID: r.hostId, size: r.size }));
}

/** The kernel's overflow ID: what a process in the namespace sees for a host ID outside its mappings. */
const OVERFLOW_ID = 65534;

/** Container owner -> host owner, for what enters a remapped container's files (layers, docker cp). */
export function ownerToHost(maps: IdMaps, uid: number, gid: number): { uid: number; gid: number } {
  return { uid: idToHost(maps.uids, uid), gid: idToHost(maps.gids, gid) };
}

/**
 * Host owner -> container owner, for what leaves a remapped container
 * (docker cp, export): a host ID the container cannot see reads as the
 * overflow ID, as `stat` inside shows it, instead of failing the archive.
 */
export function ownerToContainer(maps: IdMaps, uid: number, gid: number): { uid: number; gid: number } {
  return { uid: findContainerId(maps.uids, uid) ?? OVERFLOW_ID, gid: findContainerId(maps.gids, gid) ?? OVERFLOW_ID };
}
