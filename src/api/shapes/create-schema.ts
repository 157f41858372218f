// The Go types a POST /containers/create body decodes into in dockerd
// (runconfig.ContainerConfigWrapper: container.Config embedded, HostConfig
// with its Resources, NetworkingConfig), and the kernel's limits on the
// strings that reach a syscall. Checked once, at the edge, before the body
// is decoded into the engine's request: a value the runtime would refuse at
// start is refused here, at create, as a 400 that names it.
//
// The table lists every field dockerd's structs hold, also those berth does
// not run yet (those are refused later by name when set): a wrong type or
// an out-of-range number gets Go's message whatever berth does with it.

import { invalid } from '../../core/errors.ts';
import { isRawNumber } from '../json-body.ts';
import {
  any, bool, checkGoValue, int, set, sliceOf, str, strList, strMap, strslice, struct, type GoType,
} from './go-types.ts';

const int64 = int('int64');
const duration = int('time.Duration');

const throttle = sliceOf(struct('blkiodev.ThrottleDevice', { Path: str, Rate: int('uint64') }), '[]*blkiodev.ThrottleDevice');

const mount = struct('mount.Mount', {
  Type: str, Source: str, Target: str, ReadOnly: bool, Consistency: str,
  BindOptions: struct('mount.BindOptions', { Propagation: str, NonRecursive: bool, CreateMountpoint: bool }),
  VolumeOptions: struct('mount.VolumeOptions', {
    NoCopy: bool, Labels: strMap, DriverConfig: struct('mount.Driver', { Name: str, Options: strMap }),
  }),
  TmpfsOptions: struct('mount.TmpfsOptions', { SizeBytes: int64, Mode: int('fs.FileMode') }),
});

const hostConfig = struct('container.HostConfig', {
  Binds: strList, ContainerIDFile: str,
  LogConfig: struct('container.LogConfig', { Type: str, Config: strMap }),
  NetworkMode: str,
  PortBindings: { kind: 'map', of: sliceOf(struct('nat.PortBinding', { HostIp: str, HostPort: str }), '[]nat.PortBinding'), name: 'nat.PortMap' },
  RestartPolicy: struct('container.RestartPolicy', { Name: str, MaximumRetryCount: int('int') }),
  AutoRemove: bool, VolumeDriver: str, VolumesFrom: strList,
  ConsoleSize: { kind: 'array', of: int('uint'), len: 2, name: '[2]uint' },
  Annotations: strMap, CapAdd: strslice, CapDrop: strslice, CgroupnsMode: str,
  Dns: strList, DnsOptions: strList, DnsSearch: strList, ExtraHosts: strList, GroupAdd: strList,
  IpcMode: str, Cgroup: str, Links: strList, OomScoreAdj: int('int'), PidMode: str,
  Privileged: bool, PublishAllPorts: bool, ReadonlyRootfs: bool, SecurityOpt: strList,
  StorageOpt: strMap, Tmpfs: strMap, UTSMode: str, UsernsMode: str, ShmSize: int64, Sysctls: strMap,
  Runtime: str, Isolation: str,
  // container.Resources, embedded
  CpuShares: int64, Memory: int64, NanoCpus: int64, CgroupParent: str, BlkioWeight: int('uint16'),
  BlkioWeightDevice: sliceOf(struct('blkiodev.WeightDevice', { Path: str, Weight: int('uint16') }), '[]*blkiodev.WeightDevice'),
  BlkioDeviceReadBps: throttle, BlkioDeviceWriteBps: throttle, BlkioDeviceReadIOps: throttle, BlkioDeviceWriteIOps: throttle,
  CpuPeriod: int64, CpuQuota: int64, CpuRealtimePeriod: int64, CpuRealtimeRuntime: int64, CpusetCpus: str, CpusetMems: str,
  Devices: sliceOf(struct('container.DeviceMapping', { PathOnHost: str, PathInContainer: str, CgroupPermissions: str }), '[]container.DeviceMapping'),
  DeviceCgroupRules: strList,
  DeviceRequests: sliceOf(struct('container.DeviceRequest', {
    Driver: str, Count: int('int'), DeviceIDs: strList,
    Capabilities: sliceOf(strList, '[][]string'), Options: strMap,
  }), '[]container.DeviceRequest'),
  KernelMemory: int64, KernelMemoryTCP: int64, MemoryReservation: int64, MemorySwap: int64, MemorySwappiness: int64,
  OomKillDisable: bool, PidsLimit: int64,
  Ulimits: sliceOf(struct('units.Ulimit', { Name: str, Hard: int64, Soft: int64 }), '[]*units.Ulimit'),
  CpuCount: int64, CpuPercent: int64, IOMaximumIOps: int('uint64'), IOMaximumBandwidth: int('uint64'),
  // end of Resources
  Mounts: sliceOf(mount, '[]mount.Mount'),
  MaskedPaths: strList, ReadonlyPaths: strList, Init: bool,
});

const endpoint = struct('network.EndpointSettings', {
  IPAMConfig: struct('network.EndpointIPAMConfig', { IPv4Address: str, IPv6Address: str, LinkLocalIPs: strList }),
  Links: strList, Aliases: strList, NetworkID: str, EndpointID: str, Gateway: str, IPAddress: str,
  IPPrefixLen: int('int'), IPv6Gateway: str, GlobalIPv6Address: str, GlobalIPv6PrefixLen: int('int'),
  MacAddress: str, DriverOpts: strMap,
});

/** runconfig.ContainerConfigWrapper: the create body. */
export const CREATE_BODY: GoType = struct('runconfig.ContainerConfigWrapper', {
  Hostname: str, Domainname: str, User: str, AttachStdin: bool, AttachStdout: bool, AttachStderr: bool,
  ExposedPorts: set('nat.PortSet'), Tty: bool, OpenStdin: bool, StdinOnce: bool, Env: strList, Cmd: strslice,
  Healthcheck: struct('container.HealthConfig', {
    Test: strList, Interval: duration, Timeout: duration, StartPeriod: duration, StartInterval: duration, Retries: int('int'),
  }),
  ArgsEscaped: bool, Image: str, Volumes: set('map[string]struct {}'), WorkingDir: str, Entrypoint: strslice,
  NetworkDisabled: bool, MacAddress: str, OnBuild: strList, Labels: strMap, StopSignal: str, StopTimeout: int('int'),
  Shell: strslice,
  HostConfig: hostConfig,
  NetworkingConfig: struct('network.NetworkingConfig', {
    EndpointsConfig: { kind: 'map', of: endpoint, name: 'map[string]*network.EndpointSettings' },
  }),
  Platform: any,
});

// The kernel's limits on strings a container's start hands to a syscall, in
// bytes of the string itself: PATH_MAX and MAX_ARG_STRLEN count the
// terminating NUL, __NEW_UTS_LEN does not.
const HOST_NAME_MAX = 64;             // sethostname(2), setdomainname(2): __NEW_UTS_LEN
const PATH_MAX = 4096 - 1;            // any path the runtime opens or mounts
const MAX_ARG_STRLEN = 131072 - 1;    // execve(2): one argument or environment string (32 pages)

interface StringLimit {
  path: readonly string[];
  max: number;
  what: string;
  list?: boolean;
}

const STRING_LIMITS: readonly StringLimit[] = [
  { path: ['Hostname'], max: HOST_NAME_MAX, what: 'hostname (sethostname)' },
  { path: ['Domainname'], max: HOST_NAME_MAX, what: 'domain name (setdomainname)' },
  { path: ['WorkingDir'], max: PATH_MAX, what: 'working directory (PATH_MAX)' },
  { path: ['Env'], max: MAX_ARG_STRLEN, what: 'environment variable (MAX_ARG_STRLEN)', list: true },
  { path: ['Cmd'], max: MAX_ARG_STRLEN, what: 'command argument (MAX_ARG_STRLEN)', list: true },
  { path: ['Entrypoint'], max: MAX_ARG_STRLEN, what: 'entrypoint argument (MAX_ARG_STRLEN)', list: true },
];

function at(root: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = root;
  for (const k of path) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

function preview(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);
}

/**
 * Checks a create body against dockerd's Go types and the kernel's string
 * limits; throws a 400 naming the first bad field.
 */
export function checkCreateBody(body: unknown): void {
  if (body === null) return;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || isRawNumber(body)) {
    const kind = Array.isArray(body) ? 'array' : typeof body === 'string' ? 'string' : typeof body === 'boolean' ? 'bool' : 'number';
    throw invalid(`invalid JSON: json: cannot unmarshal ${kind} into Go value of type runconfig.ContainerConfigWrapper`);
  }
  checkGoValue(body, CREATE_BODY, { struct: 'ContainerConfigWrapper', path: '' });
  const root = body as Record<string, unknown>;
  for (const limit of STRING_LIMITS) {
    const v = at(root, limit.path);
    const values = typeof v === 'string' ? [v] : Array.isArray(v) && limit.list ? v.filter((s) => typeof s === 'string') : [];
    for (const s of values as string[]) {
      const bytes = Buffer.byteLength(s);
      if (bytes > limit.max) {
        throw invalid(`invalid ${limit.path.join('.')}: ${preview(s)} is ${bytes} bytes long; a ${limit.what} holds at most ${limit.max}`);
      }
    }
  }
}
