// create: validate, resolve the image, reserve the name, prepare the
// snapshot, register with the network, write the record ("created"). Each
// step is undone if a later one fails: no snapshot, directory or row is left.

import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { CreateContainerRequest } from '../../core/container.ts';
import { conflict, invalid } from '../../core/errors.ts';
import { checkExecLimits } from '../../runtime/exec-limits.ts';
import { defaultHostConfig, effectiveNetworkMode, mergeConfig, newContainerId, newRecord, validateHostConfig } from './create.ts';
import { generateName, validateName } from './names.ts';
import { resolveLogConfig } from './log-config.ts';
import { namespaceTargets } from './start.ts';
import { validateHealthConfig } from './health-config.ts';
import type { EngineContext } from './context.ts';
import { checkUsernsModes, shareContainerDir } from './userns.ts';

/** Said once per daemon: without a network service every container gets none (or host). */
let warnedNetwork = false;

export async function createContainer(ctx: EngineContext, req: CreateContainerRequest): Promise<{ id: string; warnings: string[] }> {
const d = ctx.d;
  if (!req.config?.image) throw invalid('No image specified: the container config needs an Image');
  const name = req.name ? validateName(req.name) : generateName((n) => d.containers.byName(n) !== undefined);
  const holder = d.containers.byName(name);
  if (holder) {
    throw conflict(`Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
  }
  const hostConfig = defaultHostConfig(req.hostConfig, d.defaultRuntime);
  const warnings = validateHostConfig(hostConfig);
  checkUsernsModes(d, hostConfig);
  validateHealthConfig(req.config.healthcheck);
  hostConfig.logConfig = resolveLogConfig(req.hostConfig?.logConfig, d.logDefaults);
  if (d.runtimes && !d.runtimes.includes(hostConfig.runtime)) throw invalid(`unknown or invalid runtime name: ${hostConfig.runtime}`);
  const modes = hostConfig.resources ?? {};
  if (modes.utsMode === 'host' && req.config.hostname) throw invalid('conflicting options: hostname and the UTS mode');
  // --ipc/--pid container:<name>: like dockerd, the other container must run (and share its IPC) already at create.
  namespaceTargets(ctx, modes);
  const network = d.network;
  const netMode = network ? (hostConfig.networkMode === 'host' ? 'host' : 'none') : effectiveNetworkMode(hostConfig.networkMode);
  if (!network && netMode !== hostConfig.networkMode) {
    if (!warnedNetwork) {
      ctx.log.info('bridge networking is not available yet: containers without --network get network mode none');
      warnedNetwork = true;
    }
    hostConfig.networkMode = netMode;
  }
  const image = await d.images.resolve(req.config.image);
  const id = newContainerId();
  // Docker's default hostname: the short ID, or the host's own with the host's network.
  const config = mergeConfig(req.config, image, netMode === 'host' || modes.utsMode === 'host' ? hostname() : id.slice(0, 12));
  const dir = ctx.containerDir(id);
  const record = newRecord({ id, name, image, config, hostConfig, driver: d.images.snapshotter.name, dir });
  checkExecLimits({ path: record.path, args: record.args, env: config.env });

  // Each step is undone if a later one fails: no snapshot, directory or row is left.
  const snap = d.images.snapshotter;
  const undoMounts = d.mounts ? await d.mounts.plan(record) : null;
  try {
    await snap.prepare(id, image.chainId);
  } catch (err) {
    await undoMounts?.();
    throw err;
  }
  let registered = false;
  try {
    await mkdir(dir, { recursive: true, mode: 0o710 });
    await shareContainerDir(dir, d.remap);
    if (network) {
      record.hostConfig.networkMode = network.register({
        id, name, networkMode: hostConfig.networkMode, endpoints: req.networking, hostConfig, exposedPorts: config.exposedPorts,
      });
      registered = true;
    }
    d.containers.put(record);
  } catch (err) {
    if (registered) network!.unregister(id);
    await rm(dir, { recursive: true, force: true });
    await snap.remove(id).catch(() => {});
    await undoMounts?.();
    throw err;
  }
  d.events.emit('container', 'create', id, ctx.attrs(record));
  return { id, warnings };
}
