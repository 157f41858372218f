// docker's resource and isolation options of HostConfig (container.Resources
// and the namespace modes) between the wire and the engine's
// ContainerResources. The Go types were checked already (create-schema.ts);
// this maps names and drops docker's "not set" values (0, "", null, -1 for
// swappiness) so the engine sees only what the user asked for.

import type { ContainerResources, DeviceMapping, ThrottleDevice, Ulimit, WeightDevice } from '../../core/container.ts';

type Raw = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && v !== 0 ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const list = <T>(v: unknown, map: (x: Raw) => T): T[] | undefined =>
  (Array.isArray(v) && v.length > 0 ? v.filter((x) => x && typeof x === 'object').map((x) => map(x as Raw)) : undefined);
const strs = (v: unknown): string[] | undefined =>
  (Array.isArray(v) && v.length > 0 ? v.filter((x): x is string => typeof x === 'string') : undefined);

const throttle = (x: Raw): ThrottleDevice => ({ path: String(x.Path ?? ''), rate: Number(x.Rate ?? 0) });
const weight = (x: Raw): WeightDevice => ({ path: String(x.Path ?? ''), weight: Number(x.Weight ?? 0) });
const device = (x: Raw): DeviceMapping => ({
  pathOnHost: String(x.PathOnHost ?? ''), pathInContainer: String(x.PathInContainer ?? ''), cgroupPermissions: String(x.CgroupPermissions ?? ''),
});
const ulimit = (x: Raw): Ulimit => ({ name: String(x.Name ?? ''), soft: Number(x.Soft ?? 0), hard: Number(x.Hard ?? 0) });

/** The set options of a wire HostConfig; undefined when none is set. */
export function decodeResources(raw: Raw): ContainerResources | undefined {
  const r: ContainerResources = {
    memoryReservation: num(raw.MemoryReservation),
    memorySwap: num(raw.MemorySwap),
    // -1 is docker's "inherit from the parent": the same as not set.
    memorySwappiness: typeof raw.MemorySwappiness === 'number' && raw.MemorySwappiness !== -1 ? raw.MemorySwappiness : undefined,
    kernelMemory: num(raw.KernelMemory),
    oomKillDisable: raw.OomKillDisable === true ? true : undefined,
    oomScoreAdj: num(raw.OomScoreAdj),
    cpuPeriod: num(raw.CpuPeriod),
    cpuQuota: num(raw.CpuQuota),
    cpuRealtimePeriod: num(raw.CpuRealtimePeriod),
    cpuRealtimeRuntime: num(raw.CpuRealtimeRuntime),
    cpusetCpus: text(raw.CpusetCpus),
    cpusetMems: text(raw.CpusetMems),
    blkioWeight: num(raw.BlkioWeight),
    blkioWeightDevice: list(raw.BlkioWeightDevice, weight),
    blkioDeviceReadBps: list(raw.BlkioDeviceReadBps, throttle),
    blkioDeviceWriteBps: list(raw.BlkioDeviceWriteBps, throttle),
    blkioDeviceReadIOps: list(raw.BlkioDeviceReadIOps, throttle),
    blkioDeviceWriteIOps: list(raw.BlkioDeviceWriteIOps, throttle),
    ulimits: list(raw.Ulimits, ulimit),
    sysctls: raw.Sysctls && typeof raw.Sysctls === 'object' && Object.keys(raw.Sysctls).length > 0 ? { ...(raw.Sysctls as Record<string, string>) } : undefined,
    devices: list(raw.Devices, device),
    deviceCgroupRules: strs(raw.DeviceCgroupRules),
    groupAdd: strs(raw.GroupAdd),
    ipcMode: text(raw.IpcMode),
    pidMode: text(raw.PidMode),
    utsMode: text(raw.UTSMode),
    cgroupnsMode: text(raw.CgroupnsMode),
    usernsMode: text(raw.UsernsMode),
    isolation: text(raw.Isolation),
  };
  for (const k of Object.keys(r) as Array<keyof ContainerResources>) if (r[k] === undefined) delete r[k];
  return Object.keys(r).length > 0 ? r : undefined;
}

/** The wire fields of these options as dockerd reports them in inspect (its values for "not set" where unset). */
export function encodeResources(r: ContainerResources = {}): Record<string, unknown> {
  const throttles = (v: ThrottleDevice[] | undefined) => (v ?? []).map((d) => ({ Path: d.path, Rate: d.rate }));
  return {
    CgroupnsMode: r.cgroupnsMode ?? '',
    GroupAdd: r.groupAdd ?? null,
    IpcMode: r.ipcMode ?? 'private',
    OomScoreAdj: r.oomScoreAdj ?? 0,
    PidMode: r.pidMode ?? '',
    UTSMode: r.utsMode ?? '',
    UsernsMode: r.usernsMode ?? '',
    Isolation: r.isolation ?? '',
    Sysctls: r.sysctls,
    BlkioWeight: r.blkioWeight ?? 0,
    BlkioWeightDevice: (r.blkioWeightDevice ?? []).map((d) => ({ Path: d.path, Weight: d.weight })),
    BlkioDeviceReadBps: throttles(r.blkioDeviceReadBps),
    BlkioDeviceWriteBps: throttles(r.blkioDeviceWriteBps),
    BlkioDeviceReadIOps: throttles(r.blkioDeviceReadIOps),
    BlkioDeviceWriteIOps: throttles(r.blkioDeviceWriteIOps),
    CpuPeriod: r.cpuPeriod ?? 0,
    CpuQuota: r.cpuQuota ?? 0,
    CpuRealtimePeriod: r.cpuRealtimePeriod ?? 0,
    CpuRealtimeRuntime: r.cpuRealtimeRuntime ?? 0,
    CpusetCpus: r.cpusetCpus ?? '',
    CpusetMems: r.cpusetMems ?? '',
    Devices: (r.devices ?? []).map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.cgroupPermissions })),
    DeviceCgroupRules: r.deviceCgroupRules ?? null,
    KernelMemory: r.kernelMemory ?? 0,
    MemoryReservation: r.memoryReservation ?? 0,
    MemorySwap: r.memorySwap ?? 0,
    MemorySwappiness: r.memorySwappiness ?? null,
    OomKillDisable: r.oomKillDisable ?? null,
    Ulimits: (r.ulimits ?? []).map((u) => ({ Name: u.name, Hard: u.hard, Soft: u.soft })),
  };
}
