// /version and /info on the wire. The shapes follow dockerd's SystemVersion
// and system.Info closely enough that `docker version` and `docker info`
// render every section; fields berth has no notion of (swarm, plugins it
// does not load) carry the values dockerd reports when they are unused.

import type { SystemInfo, VersionInfo } from '../../core/system.ts';
import { API_VERSION, MIN_API_VERSION } from '../../core/system.ts';
import { versionBelow } from '../version.ts';

export function toVersion(v: VersionInfo): Record<string, unknown> {
  // Negotiation uses the core constants: /version must report the same range.
  return {
    Platform: { Name: 'berth' },
    Components: [{
      Name: 'Engine',
      Version: v.version,
      Details: {
        ApiVersion: API_VERSION,
        Arch: v.arch,
        BuildTime: v.buildTime,
        Experimental: 'false',
        GitCommit: v.gitCommit,
        GoVersion: v.goVersion,
        KernelVersion: v.kernelVersion,
        MinAPIVersion: MIN_API_VERSION,
        Os: v.os,
      },
    }],
    Version: v.version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: v.gitCommit,
    GoVersion: v.goVersion,
    Os: v.os,
    Arch: v.arch,
    KernelVersion: v.kernelVersion,
    BuildTime: v.buildTime,
  };
}

const osVersion = (pretty: string): string => /\b(\d+(?:\.\d+)*)\b/.exec(pretty)?.[1] ?? '';

export function toInfo(i: SystemInfo, version: string, listeners: number): Record<string, unknown> {
  const runtimes: Record<string, unknown> = {};
  for (const r of i.runtimes) {
    const known = i.runtimeInfo?.[r];
    const base: Record<string, unknown> = { path: known?.path ?? r, ...(known?.args.length ? { runtimeArgs: known.args } : {}) };
    runtimes[r] = versionBelow(version, '1.44') ? base : { ...base, status: {} };
  }
  const out: Record<string, unknown> = {
    ID: i.id,
    Containers: i.containers,
    ContainersRunning: i.containersRunning,
    ContainersPaused: i.containersPaused,
    ContainersStopped: i.containersStopped,
    Images: i.images,
    Driver: i.driver,
    DriverStatus: i.driverStatus ?? [],
    Plugins: { Volume: ['local'], Network: ['host', 'null'], Authorization: null, Log: ['json-file', 'local'] },
    MemoryLimit: true,
    SwapLimit: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: false,
    PidsLimit: true,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: i.loggingDriver,
    CgroupDriver: i.cgroupDriver,
    CgroupVersion: i.cgroupVersion,
    NEventsListener: listeners,
    KernelVersion: i.kernelVersion,
    OperatingSystem: i.operatingSystem,
    OSVersion: osVersion(i.operatingSystem),
    OSType: i.osType,
    Architecture: i.architecture,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      InsecureRegistryCIDRs: [],
      IndexConfigs: {},
      Mirrors: [],
      ...(versionBelow(version, '1.47') ? { AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null } : {}),
    },
    NCPU: i.ncpu,
    MemTotal: i.memTotal,
    GenericResources: null,
    DockerRootDir: i.dataRoot,
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    Name: i.name,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: i.serverVersion,
    Runtimes: runtimes,
    DefaultRuntime: i.defaultRuntime,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: i.securityOptions,
    CDISpecDirs: [],
    Warnings: i.warnings.length ? i.warnings : null,
  };
  if (versionBelow(version, '1.49')) {
    for (const k of ['ContainerdCommit', 'RuncCommit', 'InitCommit']) out[k] = { ID: '', Expected: '' };
  }
  if (versionBelow(version, '1.50')) {
    out.BridgeNfIptables = false;
    out.BridgeNfIp6tables = false;
  }
  return out;
}
