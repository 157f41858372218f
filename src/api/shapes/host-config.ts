// HostConfig on the wire (inspect): the engine's values where it has them,
// the values dockerd reports for a container created with no such option
// for the rest, so clients that read any field find it with its type.

import type { HostConfig } from '../../core/container.ts';
import { encodeMounts } from './mounts.ts';
import { encodeResources } from './resources.ts';

// Docker's default masked and read-only paths (moby daemon/pkg/oci/defaults.go),
// which the runtime applies to every unprivileged container.
const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats',
  '/sys/devices/virtual/powercap', '/sys/firmware',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const orNull = <T>(list: T[]): T[] | null => (list.length ? list : null);

const BUILTIN_MODES = new Set(['', 'default', 'bridge', 'none', 'host']);

/**
 * dockerd shows the legacy links of its link graph, "/target:/container/alias"
 * ("db:my-db" on /app is "/db:/app/my-db"); a container on a user-defined
 * network has no legacy links (there a link is a DNS alias), so null.
 */
function legacyLinks(name: string, h: HostConfig): string[] | null {
  const mode = h.networkMode ?? '';
  if (!h.links?.length || !(BUILTIN_MODES.has(mode) || mode.startsWith('container:'))) return null;
  return h.links.map((l) => {
    const [target = '', alias] = l.split(':');
    const t = target.replace(/^\//, '');
    return `/${t}:/${name}/${alias ? alias.split('/').pop() : t}`;
  });
}

export function toDockerHostConfig(h: HostConfig, name: string): Record<string, unknown> {
  return {
    Binds: orNull(h.binds),
    ContainerIDFile: '',
    LogConfig: { Type: h.logConfig?.type ?? 'json-file', Config: h.logConfig?.config ?? {} },
    NetworkMode: h.networkMode,
    PortBindings: Object.fromEntries(Object.entries(h.portBindings ?? {}).map(([k, v]) => [k, v ? v.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort })) : null])),
    RestartPolicy: { Name: h.restartPolicy.name || 'no', MaximumRetryCount: h.restartPolicy.maximumRetryCount },
    AutoRemove: h.autoRemove,
    VolumeDriver: '',
    VolumesFrom: h.volumesFrom?.length ? h.volumesFrom : null,
    ConsoleSize: h.consoleSize ? [h.consoleSize.height, h.consoleSize.width] : [0, 0],
    CapAdd: orNull(h.capAdd),
    CapDrop: orNull(h.capDrop),
    Dns: h.dns,
    DnsOptions: h.dnsOptions,
    DnsSearch: h.dnsSearch,
    ExtraHosts: orNull(h.extraHosts),
    Cgroup: '',
    Links: legacyLinks(name, h),
    Privileged: h.privileged,
    PublishAllPorts: h.publishAllPorts ?? false,
    ReadonlyRootfs: h.readonlyRootfs,
    SecurityOpt: orNull(h.securityOpt),
    ShmSize: h.shmSize,
    Runtime: h.runtime,
    CpuShares: h.cpuShares,
    Memory: h.memory,
    NanoCpus: h.nanoCpus,
    CgroupParent: '',
    DeviceRequests: null,
    PidsLimit: h.pidsLimit > 0 ? h.pidsLimit : null,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: h.privileged ? null : MASKED_PATHS,
    ReadonlyPaths: h.privileged ? null : READONLY_PATHS,
    ...encodeResources(h.resources),
    ...(h.init ? { Init: true } : {}),
    ...(h.mounts?.length ? { Mounts: encodeMounts(h.mounts) } : {}),
    ...(h.tmpfs && Object.keys(h.tmpfs).length ? { Tmpfs: h.tmpfs } : {}),
  };
}
