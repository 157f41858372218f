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
import type { ContainerConfig, ContainerResources, HostConfig } from '../core/container.ts';
import type { ImageRunConfig } from '../core/image.ts';
import type { OciSpec } from '../core/runtime.ts';
import type { IdMaps } from '../core/idmap.ts';
import { userNamespace } from './userns-spec.ts';
import { resolveCapabilities } from './capabilities.ts';
import { detectCgroups, type CgroupInfo } from './cgroups.ts';
import { hostDevices } from './devices.ts';
import { MASKED_PATHS, READONLY_PATHS, defaultMounts, etcMounts, mergeMounts, parseBind, type OciMount } from './mounts.ts';
import { buildEnv, type ResolvedArgs } from './process.ts';
import { checkWorkingDir } from './workdir.ts';
import { DEFAULT_RLIMITS, clampRlimits, hostLimits, type HostLimits } from './rlimits.ts';
import { mergeRlimits, rlimitsFor, specResources } from './resources.ts';
import { DEFAULT_SECCOMP_PROFILE, loadSeccompProfile, seccompForContainer } from './seccomp.ts';
import { parseSecurityOpts } from './security.ts';
import { parseGroup, resolveUser } from './users.ts';
import { readFileInRoot } from './rootfs.ts';

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
  /**
   * Namespaces of other containers to join (--ipc/--pid container:<id>), as
   * /proc/<pid>/ns paths: the caller resolves the container and checks it runs.
   */
  join?: {
    ipc?: string; pid?: string; /** Host dir bound at /dev/shm (a shared IPC namespace's tmpfs). */ shm?: string;
    /** With userns: the user namespace to join (pinned, or another container's) instead of making one. */
    user?: string;
  };
  /** The init binary for HostConfig.init (--init); default: docker-init or tini-static found on the host. */
  initPath?: string;
  /** --userns-remap: run in a user namespace with these mappings (a new one unless join.user names it). */
  userns?: IdMaps;
  /** Host facts, injectable for tests. */
  host?: { capabilities?: string[]; limits?: HostLimits; cgroups?: CgroupInfo; arch?: string; kernel?: string; hostname?: string };
}

export function buildSpec(input: SpecInput): OciSpec {
  const { config, hostConfig: hc } = input;
  const image = input.image ?? {};
  const security = parseSecurityOpts(hc.securityOpt);
  const privileged = !!hc.privileged;
  const hostNet = input.network === 'host';

  const hostUts = hc.resources?.utsMode === 'host';
  const hostname = config.hostname || (hostNet || hostUts ? (input.host?.hostname ?? os.hostname()) : input.id.slice(0, 12));
  const tty = !!config.tty;
  const user = resolveUser(input.rootfs, config.user || image.User || '');
  const cwd = config.workingDir || image.WorkingDir || '/';
  if (!path.posix.isAbsolute(cwd)) throw invalid(`the working directory '${cwd}' is invalid, it needs to be an absolute path`);
  checkWorkingDir(cwd, input.rootfs);

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
  const ipcMode = hc.resources?.ipcMode;
  let base = defaultMounts({ shmSize: hc.shmSize, privileged });
  // --ipc none: no /dev/shm at all; --ipc host: the host's own; shareable and container:<id>: the tmpfs
  // berthd mounted on the host for the shareable one (src/engine/containers/shm.ts), as dockerd does.
  if (ipcMode === 'none') base = base.filter((m) => m.destination !== '/dev/shm');
  const shmFrom = ipcMode === 'host' ? '/dev/shm' : input.join?.shm;
  if (shmFrom) base = base.map((m) => (m.destination === '/dev/shm' ? { destination: '/dev/shm', type: 'bind', source: shmFrom, options: ['rbind', 'rprivate'] } : m));
  const mounts = mergeMounts(base, [...etc, ...userMounts]);

  const cgroups = input.host?.cgroups ?? detectCgroups();
  const res = hc.resources ?? {};
  const { resources, devices } = specResources(hc, privileged, cgroups);
  const linux: Record<string, any> = {
    resources,
    cgroupsPath: input.cgroupsPath,
    namespaces: namespaces(input.network, cgroups, res, input.join),
  };
  if (!hostNet) {
    // Docker's defaults for a namespaced network: any user may bind low ports and ping.
    linux.sysctl = { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' };
  }
  if (res.sysctls) linux.sysctl = { ...linux.sysctl, ...res.sysctls };
  if (devices.length > 0) linux.devices = devices;
  if (privileged) {
    linux.devices = [...hostDevices(), ...devices];
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
      user: { uid: user.uid, gid: user.gid, additionalGids: [...new Set([...user.additionalGids, ...groupAddGids(input.rootfs, res.groupAdd)])] },
      args,
      env: buildEnv({ imageEnv: image.Env, userEnv: config.env, hostname, tty }),
      cwd,
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
      rlimits: mergeRlimits(clampRlimits(DEFAULT_RLIMITS, input.host?.limits), rlimitsFor(res.ulimits, input.host?.limits ?? hostLimits())),
      noNewPrivileges: security.noNewPrivileges,
      oomScoreAdj: input.oomScoreAdj ?? res.oomScoreAdj ?? 0,
    },
    root: { path: input.rootfs, readonly: !!hc.readonlyRootfs },
    ...(hostUts ? {} : { hostname }),
    mounts,
    linux,
  };
  if (input.userns) userNamespace(spec, input.userns, input.network, input.join?.user);
  if (config.domainname) spec.domainname = config.domainname;
  if (tty && hc.consoleSize && hc.consoleSize.height > 0 && hc.consoleSize.width > 0) {
    spec.process.consoleSize = { height: hc.consoleSize.height, width: hc.consoleSize.width };
  }
  return spec;
}

const CONTAINER_INIT_PATH = '/sbin/docker-init';
const INIT_CANDIDATES = ['/usr/bin/docker-init', '/usr/libexec/docker/docker-init', '/usr/local/bin/docker-init', '/usr/bin/tini-static', '/usr/bin/tini'];

function findInit(): string {
  const found = INIT_CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) throw invalid('exec: "docker-init": executable file not found in $PATH');
  return found;
}

function namespaces(network: SpecNetwork, cg: CgroupInfo, r: ContainerResources, join: SpecInput['join']): Array<{ type: string; path?: string }> {
  const ns: Array<{ type: string; path?: string }> = [{ type: 'mount' }];
  if (network === 'none') ns.push({ type: 'network' });
  else if (typeof network === 'object' && network !== null) {
    if (!path.isAbsolute(network.path)) throw invalid(`network namespace path must be absolute: ${network.path}`);
    ns.push({ type: 'network', path: network.path });
  } else if (network !== 'host') {
    // Anything else would silently share the host's network: refuse it.
    throw invalid(`unsupported network for the runtime spec: ${JSON.stringify(network)} (want "none", "host" or a namespace path)`);
  }
  if (r.utsMode !== 'host') ns.push({ type: 'uts' });
  if (r.pidMode?.startsWith('container:')) {
    if (!join?.pid) throw invalid(`cannot join PID of container ${r.pidMode.slice(10)}: its namespace was not resolved`);
    ns.push({ type: 'pid', path: join.pid });
  } else if (r.pidMode !== 'host') ns.push({ type: 'pid' });
  if (r.ipcMode?.startsWith('container:')) {
    if (!join?.ipc) throw invalid(`cannot join IPC of container ${r.ipcMode.slice(10)}: its namespace was not resolved`);
    ns.push({ type: 'ipc', path: join.ipc });
  } else if (r.ipcMode !== 'host') ns.push({ type: 'ipc' });
  // Docker's default cgroupns is private on v2 and the host's on v1.
  const cgroupns = r.cgroupnsMode ?? (cg.version === '2' ? 'private' : 'host');
  if (cgroupns === 'private') ns.push({ type: 'cgroup' });
  return ns;
}

/** --group-add: numbers as they are, names from the container's /etc/group. */
function groupAddGids(rootfs: string, groups: string[] | undefined): number[] {
  if (!groups?.length) return [];
  let entries: ReturnType<typeof parseGroup> | undefined;
  return groups.map((g) => {
    if (/^\d+$/.test(g)) return Number(g);
    entries ??= parseGroup(readFileInRoot(rootfs, '/etc/group'));
    const found = entries.find((e) => e.name === g);
    if (!found) throw invalid(`Unable to find group ${g}: no matching entries in group file`);
    return found.gid;
  });
}

