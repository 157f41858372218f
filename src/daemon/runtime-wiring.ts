// Glue between the container service and src/runtime: which runtimes exist
// on this host, and how a container record becomes a SpecInput.

import { existsSync } from 'node:fs';
import type { Logger } from '../core/logger.ts';
import type { OciSpec } from '../core/runtime.ts';
import { ConmonRuntime } from '../runtime/conmon.ts';
import { ConmonExec } from '../runtime/conmon-exec.ts';
import { buildSpec } from '../runtime/spec.ts';
import { cgroupsPathFor } from '../runtime/cgroups.ts';
import type { SpecRequest } from '../engine/containers/service.ts';
import type { DaemonConfig } from './config.ts';

export { readLogs } from '../runtime/logs.ts';

const candidates: Record<string, string[]> = {
  runc: ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'],
  crun: ['/usr/bin/crun', '/usr/local/bin/crun'],
};

export function availableRuntimes(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, paths] of Object.entries(candidates)) {
    const found = paths.find((p) => existsSync(p));
    if (found) out[name] = found;
  }
  return out;
}

export function createRuntime(config: DaemonConfig, log: Logger): ConmonRuntime {
  const runtimes = availableRuntimes();
  if (!runtimes[config.defaultRuntime]) {
    throw new Error(`default runtime ${config.defaultRuntime} not found on this host (looked for ${(candidates[config.defaultRuntime] ?? [config.defaultRuntime]).join(', ')})`);
  }
  return new ConmonRuntime({
    root: `${config.execRoot}/runtime`, runtimes, defaultRuntime: config.defaultRuntime, logger: log,
    createTimeoutMs: config.runtimeCreateTimeoutMs, cgroupParent: config.cgroupParent,
  });
}

/** The exec driver beside the container driver: same root, same runtimes. */
export function createExecRuntime(config: DaemonConfig, log: Logger): ConmonExec {
  return new ConmonExec({ root: `${config.execRoot}/runtime`, runtimes: availableRuntimes(), defaultRuntime: config.defaultRuntime, logger: log });
}

export function specBuilder(cgroupParent = '/berth'): (req: SpecRequest) => Promise<OciSpec> {
  return async ({ record, image, rootfs, netMode, mounts, join }) => buildSpec({
    id: record.id,
    image: image.config.config,
    config: record.config,
    hostConfig: record.hostConfig,
    rootfs,
    process: { path: record.path, args: record.args },
    cgroupsPath: cgroupsPathFor(record.id, cgroupParent),
    network: netMode,
    hostsPath: record.hostsPath,
    hostnamePath: record.hostnamePath,
    resolvConfPath: record.resolvConfPath,
    ...(mounts ? { mounts } : {}),
    ...(join ? { join } : {}),
  });
}
