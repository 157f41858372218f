// A container under the daemon's --userns-remap: its root is an unprivileged
// host ID, so what it must reach or own is handed to that ID, and the host
// namespaces a user namespace cannot share are refused up front with
// dockerd's messages. `--userns host` opts a container out: it runs as the
// host's root over the same (remapped) layers, as under dockerd.

import { chown, lchown } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ContainerRecord, HostConfig } from '../../core/container.ts';
import { hasProcess } from '../../core/container-state.ts';
import { invalid } from '../../core/errors.ts';
import type { UsernsSource } from '../../core/idmap.ts';
import type { ContainerServiceDeps } from './context.ts';

type Root = NonNullable<ContainerServiceDeps['remap']>;

/** Host IDs of this container's root when it runs in a remapped user namespace; null otherwise. */
export function remappedRoot(d: Pick<ContainerServiceDeps, 'remap'>, hc: HostConfig): Root | null {
  if (!d.remap || hc.resources?.usernsMode === 'host') return null;
  return d.remap;
}

/**
 * The user namespace a remapped container starts in: that of the running
 * remapped container whose network, IPC or PID namespace it shares (a
 * namespace may only be entered from the user namespace owning it, or an
 * ancestor), else a new one with the daemon's mappings; null when the
 * container is not remapped.
 */
export function usernsSource(d: Pick<ContainerServiceDeps, 'remap' | 'containers'>, rec: ContainerRecord): UsernsSource | null {
  const remap = remappedRoot(d, rec.hostConfig);
  if (!remap) return null;
  const r = rec.hostConfig.resources ?? {};
  for (const mode of [rec.hostConfig.networkMode, r.ipcMode, r.pidMode]) {
    if (!mode?.startsWith('container:')) continue;
    const t = d.containers.resolve(mode.slice(10));
    if (hasProcess(t.state.status) && t.state.pid > 0 && remappedRoot(d, t.hostConfig)) return { join: `/proc/${t.state.pid}/ns/user` };
  }
  return { maps: remap.maps };
}

/** dockerd's verifyPlatformContainerSettings for user namespaces, plus --ipc host (runc fails on it with EPERM mounting mqueue). */
export function checkUsernsModes(d: Pick<ContainerServiceDeps, 'remap'>, hc: HostConfig): void {
  if (!remappedRoot(d, hc)) return;
  const r = hc.resources ?? {};
  if (hc.privileged) {
    throw invalid('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
  }
  if (hc.networkMode === 'host') throw invalid("cannot share the host's network namespace when user namespaces are enabled");
  if (r.pidMode === 'host') throw invalid('cannot share the host PID namespace when user namespaces are enabled');
  if (r.ipcMode === 'host') throw invalid("cannot share the host's IPC namespace when user namespaces are enabled (use --userns host)");
}

/** Parents (the daemon's containers/) already handed over: once per daemon, not per create. */
const sharedParents = new Set<string>();

/** The container's directory and its parent: entered by the remapped root (0710 root:<gid>), as dockerd makes them. */
export async function shareContainerDir(dir: string, remap: Root | null | undefined): Promise<void> {
  if (!remap) return;
  const parent = dirname(dir);
  const key = `${parent}\0${remap.gid}`;
  if (!sharedParents.has(key)) {
    await chown(parent, 0, remap.gid);
    sharedParents.add(key);
  }
  await chown(dir, 0, remap.gid);
}

/**
 * What the remapped root owns, as under dockerd (for a `--userns host`
 * container too): /etc/hosts, hostname, resolv.conf and the top of the rw
 * layer. Plain chowns of single inodes: the image's files are already
 * owned by the mapped IDs (applied so once per image).
 */
export async function giveToRoot(paths: string[], remap: Root | null | undefined): Promise<void> {
  if (!remap) return;
  for (const p of paths) await lchown(p, remap.uid, remap.gid);
}
