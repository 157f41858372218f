// Containers on the wire: the engine's camelCase records as docker's
// ContainerSummary (`docker ps`) and ContainerInspectResponse.

import { toNetworkSettings, toSummaryNetworks, toSummaryPorts } from './networks.ts';
import type { ContainerConfig, ContainerMount, ContainerState, ContainerView } from '../../core/container.ts';
import { statusText, unixSeconds } from '../time.ts';
import { versionAtLeast } from '../version.ts';
import { toDockerHostConfig } from './host-config.ts';
import type { HealthConfig, HealthState } from '../../core/health.ts';

/** `docker ps`'s COMMAND: path and args, args with a space in single quotes (dockerd's view.go). */
export function commandText(path: string, args: readonly string[]): string {
  if (args.length === 0) return path;
  return `${path} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

export function toDockerConfig(c: ContainerConfig): Record<string, unknown> {
  return {
    Hostname: c.hostname,
    Domainname: c.domainname,
    User: c.user,
    AttachStdin: c.attachStdin,
    AttachStdout: c.attachStdout,
    AttachStderr: c.attachStderr,
    ...(c.exposedPorts && Object.keys(c.exposedPorts).length ? { ExposedPorts: c.exposedPorts } : {}),
    Tty: c.tty,
    OpenStdin: c.openStdin,
    StdinOnce: c.stdinOnce,
    Env: c.env.length ? c.env : null,
    Cmd: c.cmd,
    ...(c.healthcheck ? { Healthcheck: toDockerHealthConfig(c.healthcheck) } : {}),
    Image: c.image,
    Volumes: c.volumes && Object.keys(c.volumes).length ? c.volumes : null,
    WorkingDir: c.workingDir,
    Entrypoint: c.entrypoint,
    Labels: c.labels ?? {},
    ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
    ...(c.stopTimeout !== undefined ? { StopTimeout: c.stopTimeout } : {}),
    ...(c.shell?.length ? { Shell: c.shell } : {}),
  };
}

/** Docker's HealthConfig: every field omitempty. */
export function toDockerHealthConfig(h: HealthConfig): Record<string, unknown> {
  return {
    ...(h.test?.length ? { Test: h.test } : {}),
    ...(h.interval ? { Interval: h.interval } : {}),
    ...(h.timeout ? { Timeout: h.timeout } : {}),
    ...(h.startPeriod ? { StartPeriod: h.startPeriod } : {}),
    ...(h.startInterval ? { StartInterval: h.startInterval } : {}),
    ...(h.retries ? { Retries: h.retries } : {}),
  };
}

/** State.Health; absent until a container with a probe first started (dockerd's omitempty). */
function toDockerHealth(h: HealthState): Record<string, unknown> {
  return {
    Status: h.status,
    FailingStreak: h.failingStreak,
    Log: h.log.map((r) => ({ Start: r.start, End: r.end, ExitCode: r.exitCode, Output: r.output })),
  };
}

export function toDockerState(s: ContainerState): Record<string, unknown> {
  // dockerd reports a paused or restarting container as running too.
  const running = s.status === 'running' || s.status === 'paused' || s.status === 'restarting';
  return {
    Status: s.status,
    Running: running,
    Paused: s.status === 'paused',
    Restarting: s.status === 'restarting',
    OOMKilled: s.oomKilled,
    Dead: s.status === 'dead',
    Pid: s.pid,
    ExitCode: s.exitCode,
    Error: s.error,
    StartedAt: s.startedAt,
    FinishedAt: s.finishedAt,
    ...(s.health ? { Health: toDockerHealth(s.health) } : {}),
  };
}

export function toDockerMounts(mounts: readonly ContainerMount[]): Record<string, unknown>[] {
  return mounts.map((m) => ({
    Type: m.type,
    ...(m.type === 'volume' ? { Name: m.name ?? '' } : {}),
    Source: m.source,
    Destination: m.destination,
    ...(m.type === 'volume' ? { Driver: m.driver ?? 'local' } : {}),
    Mode: m.mode,
    RW: m.rw,
    Propagation: m.propagation,
  }));
}

export function toSummary(v: ContainerView, version: string, now = Date.now()): Record<string, unknown> {
  return {
    Id: v.id,
    Names: [`/${v.name}`],
    Image: v.imageRef,
    ImageID: v.imageId,
    Command: commandText(v.path, v.args),
    Created: unixSeconds(v.created),
    Ports: toSummaryPorts(v.network),
    // omitempty in dockerd: absent unless sizes were asked for and non-zero.
    ...(v.sizeRw ? { SizeRw: v.sizeRw } : {}),
    ...(v.sizeRootFs ? { SizeRootFs: v.sizeRootFs } : {}),
    Labels: v.config.labels ?? {},
    State: v.state.status,
    Status: statusText(v.state, now),
    HostConfig: { NetworkMode: v.hostConfig.networkMode },
    ...(versionAtLeast(version, '1.52') ? { Health: { Status: v.state.health?.status ?? 'none', FailingStreak: v.state.health?.failingStreak ?? 0 } } : {}),
    NetworkSettings: { Networks: toSummaryNetworks(v.network) },
    Mounts: toDockerMounts(v.mounts),
  };
}

const summaryHeads = new WeakMap<ContainerView, { version: string; head: string }>();

/**
 * toSummary as JSON text. All but Status (which says how long ago) is
 * encoded once per view and API version and kept while the view lives: the
 * engine hands out the same view object until the container or its
 * network settings change, so `ps` with thousands of containers encodes
 * only their Status strings. Status comes last in the object.
 */
export function summaryJson(v: ContainerView, version: string, now = Date.now()): string {
  let cached = summaryHeads.get(v);
  if (!cached || cached.version !== version) {
    const { Status: _status, ...rest } = toSummary(v, version, now);
    cached = { version, head: JSON.stringify(rest).slice(0, -1) };
    summaryHeads.set(v, cached);
  }
  return `${cached.head},"Status":${JSON.stringify(statusText(v.state, now))}}`;
}

// Before API 1.52 NetworkSettings also carried the default network's
// settings at its top level; berth has no address to report there yet.
const LEGACY_NETWORK_SETTINGS = {
  Bridge: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
  SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', Gateway: '', GlobalIPv6Address: '',
  GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '',
};

/** `execIds`: the container's sessions not yet ended (dockerd's ExecIDs, null when none). */
export function toInspect(v: ContainerView, sized: boolean, version: string, execIds: readonly string[] = []): Record<string, unknown> {
  return {
    Id: v.id,
    Created: v.created,
    Path: v.path,
    Args: v.args,
    State: toDockerState(v.state),
    Image: v.imageId,
    ResolvConfPath: v.resolvConfPath,
    HostnamePath: v.hostnamePath,
    HostsPath: v.hostsPath,
    // dockerd shows a path only for json-file: local's files are its own business, none has none.
    LogPath: (v.hostConfig.logConfig?.type ?? 'json-file') === 'json-file' ? v.logPath : '',
    Name: `/${v.name}`,
    RestartCount: v.restartCount,
    Driver: v.driver,
    Platform: 'linux',
    MountLabel: v.mountLabel,
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds.length > 0 ? execIds : null,
    HostConfig: toDockerHostConfig(v.hostConfig, v.name),
    GraphDriver: { Data: v.graphDriver.data, Name: v.graphDriver.name },
    ...(sized ? { SizeRw: v.sizeRw ?? 0, SizeRootFs: v.sizeRootFs ?? 0 } : {}),
    Mounts: toDockerMounts(v.mounts),
    Config: toDockerConfig(v.config),
    NetworkSettings: v.network ? toNetworkSettings(v.network, !versionAtLeast(version, '1.52')) : {
      SandboxID: '', SandboxKey: '', Ports: {},
      ...(versionAtLeast(version, '1.52') ? {} : LEGACY_NETWORK_SETTINGS),
      Networks: {},
    },
  };
}
