// Image config + container config + host config -> OCI runtime spec
// (config.json), the way Docker builds it:
//
//   const { path, args } = resolveArgs(image.config, record.config);
//   const spec = buildSpec({
//     id, image: image.config.config, config: record.config, hostConfig: record.hostConfig,
//     rootfs, process: { path, args }, cgroupsPath: cgroupsPathFor(id),
//     network: 'none', hostsPath, hostnamePath, resolvConfPath,
//   });
//   await runtime.create({ id, bundle, spec, ... });
//
// Everything Docker fills in by default is here: env, cwd, user and groups
// (from the rootfs's own passwd/group), hostname, the kernel filesystems,
// capabilities, masked/read-only paths, seccomp, namespaces, device rules,
// rlimits (clamped to the host), cgroup resources, binds. No user namespace.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { invalid } from '../core/errors.ts';
import type { ContainerConfig, HostConfig } from '../core/container.ts';
import type { ImageRunConfig } from '../core/image.ts';
import type { OciSpec } from '../core/runtime.ts';
import { resolveCapabilities } from './capabilities.ts';
import { detectCgroups, type CgroupInfo } from './cgroups.ts';
import { DEFAULT_DEVICE_RULES, PRIVILEGED_DEVICE_RULES, hostDevices } from './devices.ts';
import { MASKED_PATHS, READONLY_PATHS, defaultMounts, etcMounts, mergeMounts, parseBind, type OciMount } from './mounts.ts';
import { buildEnv, type ResolvedArgs } from './process.ts';
import { DEFAULT_RLIMITS, clampRlimits, type HostLimits } from './rlimits.ts';
import { DEFAULT_SECCOMP_PROFILE, loadSeccompProfile, seccompForContainer } from './seccomp.ts';
import { parseSecurityOpts } from './security.ts';
import { resolveUser } from './users.ts';

export const OCI_VERSION = '1.0.2-dev';

/**
 * 'none': a new network namespace with only loopback (runc brings lo up);
 * 'host': the host's network namespace;
 * { path }: join a namespace prepared by the network layer (CNI).
 */
export type SpecNetwork = 'none' | 'host' | { path: string };

export interface SpecInput {
  id: string;
  /** The image's run config (ImageConfigFile.config); undefined for an image without one. */
  image?: ImageRunConfig;
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** Host path of the mounted rootfs. */
  rootfs: string;
  /** From resolveArgs(). */
  process: ResolvedArgs;
  cgroupsPath: string;
  network: SpecNetwork;
  hostsPath?: string;
  hostnamePath?: string;
  resolvConfPath?: string;
  /**
   * Every user mount, resolved by the caller (src/volumes: volumes, binds,
   * tmpfs). Absent: the user mounts are hostConfig.binds (host paths only).
   */
  mounts?: OciMount[];
  oomScoreAdj?: number;
  seccompProfilePath?: string;
  /** The init binary for HostConfig.init (--init); default: docker-init or tini-static found on the host. */
  initPath?: string;
  /** Host facts, injectable for tests. */
  host?: { capabilities?: string[]; limits?: HostLimits; cgroups?: CgroupInfo; arch?: string; kernel?: string; hostname?: string };
}

export function buildSpec(input: SpecInput): OciSpec {
  const { config, hostConfig: hc } = input;
  const image = input.image ?? {};
  const security = parseSecurityOpts(hc.securityOpt);
  const privileged = !!hc.privileged;
  const hostNet = input.network === 'host';

  const hostname = config.hostname || (hostNet ? (input.host?.hostname ?? os.hostname()) : input.id.slice(0, 12));
  const tty = !!config.tty;
  const user = resolveUser(input.rootfs, config.user || image.User || '');
  const cwd = config.workingDir || image.WorkingDir || '/';
  if (!path.posix.isAbsolute(cwd)) throw invalid(`the working directory '${cwd}' is invalid, it needs to be an absolute path`);

  const caps = resolveCapabilities({ capAdd: hc.capAdd, capDrop: hc.capDrop, privileged, available: input.host?.capabilities });

  const userMounts = input.mounts ? [...input.mounts] : (hc.binds ?? []).map(parseBind);
  let args = [input.process.path, ...input.process.args];
  if (hc.init) {
    // Docker's --init: a tiny init as pid 1 that reaps zombies and forwards signals.
    const initPath = input.initPath ?? findInit();
    userMounts.push({ destination: CONTAINER_INIT_PATH, type: 'bind', source: initPath, options: ['bind', 'ro'] });
    args = [CONTAINER_INIT_PATH, '--', ...args];
  }
  const taken = new Set(userMounts.map((m) => m.destination));
  const etc = etcMounts(input).filter((m) => !taken.has(m.destination));
  const mounts = mergeMounts(defaultMounts({ shmSize: hc.shmSize, privileged }), [...etc, ...userMounts]);

  const linux: Record<string, any> = {
    resources: resources(hc, privileged, input.host?.cgroups ?? detectCgroups()),
    cgroupsPath: input.cgroupsPath,
    namespaces: namespaces(input.network, input.host?.cgroups ?? detectCgroups()),
  };
  if (!hostNet) {
    // Docker's defaults for a namespaced network: any user may bind low ports and ping.
    linux.sysctl = { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' };
  }
  if (privileged) {
    linux.devices = hostDevices();
  } else {
    if (security.seccomp !== 'unconfined') {
      const profile = security.seccomp ?? loadSeccompProfile(input.seccompProfilePath ?? DEFAULT_SECCOMP_PROFILE);
      linux.seccomp = seccompForContainer(profile, { caps, arch: input.host?.arch, kernel: input.host?.kernel });
    }
    if (!security.unconfinedSystemPaths) {
      linux.maskedPaths = [...MASKED_PATHS];
      linux.readonlyPaths = [...READONLY_PATHS];
    }
  }

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: tty,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args,
      env: buildEnv({ imageEnv: image.Env, userEnv: config.env, hostname, tty }),
      cwd,
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
      rlimits: clampRlimits(DEFAULT_RLIMITS, input.host?.limits),
      noNewPrivileges: security.noNewPrivileges,
      oomScoreAdj: input.oomScoreAdj ?? 0,
    },
    root: { path: input.rootfs, readonly: !!hc.readonlyRootfs },
    hostname,
    mounts,
    linux,
  };
  if (config.domainname) spec.domainname = config.domainname;
  return spec;
}

const CONTAINER_INIT_PATH = '/sbin/docker-init';
const INIT_CANDIDATES = ['/usr/bin/docker-init', '/usr/libexec/docker/docker-init', '/usr/local/bin/docker-init', '/usr/bin/tini-static', '/usr/bin/tini'];

function findInit(): string {
  const found = INIT_CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) throw invalid('exec: "docker-init": executable file not found in $PATH');
  return found;
}

function namespaces(network: SpecNetwork, cg: CgroupInfo): Array<{ type: string; path?: string }> {
  const ns: Array<{ type: string; path?: string }> = [{ type: 'mount' }];
  if (network === 'none') ns.push({ type: 'network' });
  else if (typeof network === 'object' && network !== null) {
    if (!path.isAbsolute(network.path)) throw invalid(`network namespace path must be absolute: ${network.path}`);
    ns.push({ type: 'network', path: network.path });
  } else if (network !== 'host') {
    // Anything else would silently share the host's network: refuse it.
    throw invalid(`unsupported network for the runtime spec: ${JSON.stringify(network)} (want "none", "host" or a namespace path)`);
  }
  ns.push({ type: 'uts' }, { type: 'pid' }, { type: 'ipc' });
  // Docker's default cgroupns is private on v2 and the host's on v1.
  if (cg.version === '2') ns.push({ type: 'cgroup' });
  return ns;
}

const CPU_PERIOD = 100_000;

function resources(hostConfig: HostConfig, privileged: boolean, cg: CgroupInfo): Record<string, any> {
  // Records from older berth versions may lack fields: absent means unlimited.
  const hc = { memory: hostConfig.memory ?? 0, cpuShares: hostConfig.cpuShares ?? 0, nanoCpus: hostConfig.nanoCpus ?? 0, pidsLimit: hostConfig.pidsLimit ?? 0 };
  const r: Record<string, any> = { devices: [...(privileged ? PRIVILEGED_DEVICE_RULES : DEFAULT_DEVICE_RULES)] };
  if (hc.memory < 0) throw invalid(`invalid memory limit: ${hc.memory}`);
  if (hc.memory > 0) {
    if (hc.memory < 6 * 1024 * 1024) throw invalid('Minimum memory limit allowed is 6MB');
    r.memory = { limit: hc.memory };
    // Docker's default: as much swap as memory (memory+swap = 2x).
    if (cg.swapAccounting) r.memory.swap = hc.memory * 2;
  }
  const cpu: Record<string, number> = {};
  if (hc.cpuShares < 0) throw invalid(`invalid CPU shares: ${hc.cpuShares}`);
  if (hc.cpuShares > 0) cpu.shares = hc.cpuShares;
  if (hc.nanoCpus < 0) throw invalid(`invalid NanoCPUs: ${hc.nanoCpus}`);
  if (hc.nanoCpus > 0) {
    const ncpu = os.availableParallelism();
    if (hc.nanoCpus > ncpu * 1e9) {
      throw invalid(`range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
    }
    cpu.quota = Math.round((hc.nanoCpus * CPU_PERIOD) / 1e9);
    cpu.period = CPU_PERIOD;
    if (cpu.quota < 1000) throw invalid('range of CPUs is from 0.01 to the number of CPUs available');
  }
  if (Object.keys(cpu).length > 0) r.cpu = cpu;
  if (hc.pidsLimit > 0) r.pids = { limit: hc.pidsLimit };
  return r;
}
