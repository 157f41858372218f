// Turning a create request into a container record: validation up front
// (every error names the bad value) and Docker's merge of the image's
// defaults into the container's config.

import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { ContainerConfig, ContainerRecord, CreateContainerRequest, HostConfig, RestartPolicy } from '../../core/container.ts';
import type { ImageRecord } from '../../core/image.ts';
import { invalid, notFound } from '../../core/errors.ts';
import { mergeEnv, resolveArgs } from '../../runtime/process.ts';
import { validateMountSyntax } from '../../volumes/specs.ts';
import { hostFacts, validateResources } from '../../runtime/resources.ts';
import { hostLimits } from '../../runtime/rlimits.ts';
import { checkWorkingDir } from '../../runtime/workdir.ts';
import { detectCgroups } from '../../runtime/cgroups.ts';
import { normalizeCapability } from '../../runtime/capabilities.ts';
import { imageHealthConfig, mergeHealthConfig, validateHealthConfig } from './health-config.ts';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

const restartNames = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

export function defaultHostConfig(h: Partial<HostConfig> = {}, defaultRuntime: string): HostConfig {
  return {
    autoRemove: h.autoRemove ?? false,
    networkMode: h.networkMode ?? 'default',
    runtime: h.runtime || defaultRuntime,
    restartPolicy: { name: h.restartPolicy?.name ?? 'no', maximumRetryCount: h.restartPolicy?.maximumRetryCount ?? 0 } as RestartPolicy,
    privileged: h.privileged ?? false,
    readonlyRootfs: h.readonlyRootfs ?? false,
    capAdd: h.capAdd ?? [],
    capDrop: h.capDrop ?? [],
    extraHosts: h.extraHosts ?? [],
    dns: h.dns ?? [],
    dnsSearch: h.dnsSearch ?? [],
    dnsOptions: h.dnsOptions ?? [],
    binds: h.binds ?? [],
    ...(h.mounts?.length ? { mounts: h.mounts } : {}),
    ...(h.tmpfs && Object.keys(h.tmpfs).length ? { tmpfs: h.tmpfs } : {}),
    ...(h.volumesFrom?.length ? { volumesFrom: h.volumesFrom } : {}),
    shmSize: h.shmSize || 64 * 1024 * 1024,
    memory: h.memory ?? 0,
    nanoCpus: h.nanoCpus ?? 0,
    cpuShares: h.cpuShares ?? 0,
    pidsLimit: h.pidsLimit ?? 0,
    init: h.init ?? false,
    securityOpt: h.securityOpt ?? [],
    ...(h.resources ? { resources: h.resources } : {}),
    ...(h.portBindings ? { portBindings: h.portBindings } : {}),
    ...(h.publishAllPorts ? { publishAllPorts: true } : {}),
    ...(h.links?.length ? { links: h.links } : {}),
    ...(h.consoleSize ? { consoleSize: h.consoleSize } : {}),
  };
}

/** The network modes this engine can run; "default"/"bridge" fall back to none until bridge networking exists. */
export function effectiveNetworkMode(mode: string): 'none' | 'host' {
  if (mode === 'none' || mode === 'host') return mode;
  if (mode === '' || mode === 'default' || mode === 'bridge') return 'none';
  if (mode.startsWith('container:')) throw invalid(`network mode "${mode}" is not supported by this berthd: use none or host`);
  throw notFound(`network ${mode} not found`);
}

/** Throws a 400 naming the first bad option; returns dockerd's warnings for options it takes but cannot apply here. */
export function validateHostConfig(h: HostConfig): string[] {
  const rp = h.restartPolicy;
  if (!restartNames.has(rp.name)) throw invalid(`invalid restart policy: unknown policy '${rp.name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  if (rp.maximumRetryCount < 0) throw invalid('invalid restart policy: maximum retry count must be a positive integer');
  if (rp.maximumRetryCount > 0 && rp.name !== 'on-failure') throw invalid(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  if (h.autoRemove && rp.name !== '' && rp.name !== 'no') throw invalid(`conflicting options: cannot specify both --restart and --rm`);
  // Syntax only; the mount manager (src/volumes) resolves volumes and volumes-from.
  validateMountSyntax(h);
  // dockerd's create-time resource checks (verifyPlatformContainerResources), so start never refuses what create took.
  if (h.memory !== 0 && h.memory < 6 * 1024 * 1024) throw invalid('Minimum memory limit allowed is 6MB');
  if (h.shmSize < 0) throw invalid('SHM size can not be less than 0');
  if (h.cpuShares < 0) throw invalid(`invalid CPU shares: ${h.cpuShares} (must be 0 or more)`);
  const ncpu = availableParallelism();
  if (h.nanoCpus < 0 || h.nanoCpus > ncpu * 1e9 || (h.nanoCpus > 0 && h.nanoCpus < 1e7)) {
    throw invalid(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
  }
  // Like dockerd: an unknown capability name is refused at create, not at start.
  for (const [field, names] of [['CapAdd', h.capAdd], ['CapDrop', h.capDrop]] as const) {
    for (const n of names ?? []) {
      try { normalizeCapability(n); } catch (err) { throw invalid(`invalid ${field}: ${(err as Error).message}`); }
    }
  }
  const host = hostFacts(hostLimits(), detectCgroups());
  const warnings = validateResources(h, host);
  // dockerd's adaptContainerSettings: a memory limit's default swap (as much again) is written down, so
  // inspect shows it and `update` compares a new limit with it; without swap accounting, -1.
  if (h.memory > 0 && !h.resources?.memorySwap) {
    h.resources ??= {};
    if (host.swapAccounting) {
      h.resources.memorySwap = 2 * h.memory;
    } else {
      h.resources.memorySwap = -1;
      warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    }
  }
  return warnings;
}

/** Docker's merge: the image supplies what the user left unset. */
export function mergeConfig(req: CreateContainerRequest['config'], image: ImageRecord, hostname: string): ContainerConfig {
  const ic = image.config.config ?? {};
  for (const e of req.env ?? []) {
    if (e.startsWith('=') || e === '') throw invalid(`invalid environment variable: ${e}`);
  }
  // Docker's rule: an entrypoint given (even empty) replaces the image's;
  // the image's cmd is used only when neither entrypoint nor cmd was given.
  // `--entrypoint ""` arrives as [""] and means "no entrypoint".
  let entrypoint = req.entrypoint ?? null;
  let cmd = req.cmd && req.cmd.length ? req.cmd : null;
  if (!entrypoint || entrypoint.length === 0) {
    if (!cmd) cmd = ic.Cmd ?? null;
    if (entrypoint === null) entrypoint = ic.Entrypoint ?? null;
  }
  if (entrypoint && entrypoint.length === 1 && entrypoint[0] === '') entrypoint = null;
  if (entrypoint && entrypoint.length === 0) entrypoint = null;
  const workingDir = req.workingDir ?? '';
  if (workingDir && !workingDir.startsWith('/')) {
    throw invalid(`the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
  }
  checkWorkingDir(workingDir || ic.WorkingDir || '/');
  const healthcheck = mergeHealthConfig(req.healthcheck, imageHealthConfig(ic));
  validateHealthConfig(healthcheck);
  return {
    hostname: req.hostname || hostname,
    domainname: req.domainname ?? '',
    user: req.user || ic.User || '',
    attachStdin: req.attachStdin ?? false,
    attachStdout: req.attachStdout ?? false,
    attachStderr: req.attachStderr ?? false,
    tty: req.tty ?? false,
    openStdin: req.openStdin ?? false,
    stdinOnce: req.stdinOnce ?? false,
    env: mergeEnv(ic.Env ?? [], req.env ?? []),
    cmd,
    entrypoint,
    image: req.image,
    workingDir: workingDir || ic.WorkingDir || '',
    labels: { ...(ic.Labels ?? {}), ...(req.labels ?? {}) },
    stopSignal: req.stopSignal || ic.StopSignal || undefined,
    stopTimeout: req.stopTimeout,
    ...(healthcheck ? { healthcheck } : {}),
    ...(req.shell?.length ? { shell: req.shell } : {}),
    exposedPorts: { ...(ic.ExposedPorts ?? {}), ...(req.exposedPorts ?? {}) },
    volumes: { ...(ic.Volumes ?? {}), ...(req.volumes ?? {}) },
  };
}

export function newRecord(fields: {
  id: string; name: string; image: ImageRecord; config: ContainerConfig; hostConfig: HostConfig;
  driver: string; dir: string;
}): ContainerRecord {
  // The config is already merged with the image's, so no image defaults apply here.
  const { path, args } = resolveArgs({}, fields.config);
  return {
    id: fields.id,
    name: fields.name,
    created: new Date().toISOString(),
    imageId: fields.image.id,
    path,
    args,
    config: fields.config,
    hostConfig: fields.hostConfig,
    state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME },
    restartCount: 0,
    driver: fields.driver,
    mountLabel: '',
    mounts: fields.hostConfig.binds.map((b) => {
      const [source, destination, mode = ''] = b.split(':');
      return { type: 'bind' as const, source: source!, destination: destination!, mode, rw: !mode.split(',').includes('ro'), propagation: 'rprivate' };
    }),
    logPath: `${fields.dir}/ctr.log`,
    resolvConfPath: `${fields.dir}/resolv.conf`,
    hostnamePath: `${fields.dir}/hostname`,
    hostsPath: `${fields.dir}/hosts`,
  };
}
