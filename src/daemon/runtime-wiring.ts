// Glue between the container service and src/runtime: which runtimes exist
// on this host, and how a container record becomes a SpecInput.

import type { Logger } from '../core/logger.ts';
import type { OciSpec } from '../core/runtime.ts';
import { ConmonRuntime } from '../runtime/conmon.ts';
import { ConmonExec } from '../runtime/conmon-exec.ts';
import { buildSpec } from '../runtime/spec.ts';
import { cgroupsPathFor } from '../runtime/cgroups.ts';
import { assertRuntimeUsable, crunHostProblem, isCrun, runtimeTable, type RuntimeTable } from '../runtime/runtimes.ts';
import type { SpecRequest } from '../engine/containers/service.ts';
import type { DaemonConfig } from './config.ts';
import type { IdMaps } from '../core/idmap.ts';

export { readLogChunks, readLogs } from '../runtime/logs.ts';

/** The daemon's runtimes (runtimes.ts): built-in runc/crun plus the configured ones. */
export function daemonRuntimes(config: DaemonConfig): RuntimeTable {
  return runtimeTable(config.runtimes ?? {}, config.defaultRuntime);
}

function driverTables(table: RuntimeTable): { runtimes: Record<string, string>; runtimeArgs: Record<string, string[]> } {
  return {
    runtimes: Object.fromEntries(Object.entries(table).map(([n, d]) => [n, d.path])),
    runtimeArgs: Object.fromEntries(Object.entries(table).map(([n, d]) => [n, d.args])),
  };
}

export function createRuntime(config: DaemonConfig, log: Logger, table = daemonRuntimes(config)): ConmonRuntime {
  for (const [name, def] of Object.entries(table)) {
    const problem = isCrun(def) ? crunHostProblem() : null;
    if (problem) log.warn(`runtime ${name}: ${problem}`);
  }
  return new ConmonRuntime({
    root: `${config.execRoot}/runtime`, ...driverTables(table), defaultRuntime: config.defaultRuntime, logger: log,
    createTimeoutMs: config.runtimeCreateTimeoutMs, cgroupParent: config.cgroupParent,
    checkUsable: (name) => { if (table[name]) assertRuntimeUsable(table[name]); },
    // Measurement switch (docs/benchmarks.md): 0 makes crun compile every container's seccomp profile again.
    seccompCache: process.env.BERTH_SECCOMP_BPF_CACHE !== '0',
  });
}

/** The exec driver beside the container driver: same root, same runtimes. */
export function createExecRuntime(config: DaemonConfig, log: Logger, table = daemonRuntimes(config)): ConmonExec {
  return new ConmonExec({ root: `${config.execRoot}/runtime`, ...driverTables(table), defaultRuntime: config.defaultRuntime, logger: log });
}

export function specBuilder(cgroupParent = '/berth', remap: IdMaps | null = null): (req: SpecRequest) => Promise<OciSpec> {
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
    // --userns-remap: a user namespace unless the container asked for the host's (--userns host).
    ...(remap && record.hostConfig.resources?.usernsMode !== 'host' ? { userns: remap } : {}),
  });
}
