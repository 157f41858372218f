// POST /containers/create: docker's Config + HostConfig body into the
// engine's CreateContainerRequest. Types are checked field by field (a bad
// one is a 400 naming it). Options berth does not implement yet are refused
// when set to anything but their empty value, never silently dropped: the
// docker CLI sends every field, mostly empty.

import type { CreateContainerRequest, HostConfig, RestartPolicy } from '../../core/container.ts';
import type { EndpointConfig, PortMap } from '../../core/network.ts';
import type { HealthConfig } from '../../core/health.ts';
import { invalid } from '../../core/errors.ts';
import { versionBelow } from '../version.ts';
import { checkCreateBody } from './create-schema.ts';
import { JsonFields } from './json-fields.ts';
import { decodeMounts } from './mounts.ts';
import { decodeResources } from './resources.ts';

const NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateContainerName(name: string): void {
  if (!NAME.test(name)) throw invalid(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
}

// Config fields that, when present, prove the body carries a Config (dockerd's
// embedded *Config stays nil when none of its fields appear).
const CONFIG_KEYS = ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts',
  'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Healthcheck', 'ArgsEscaped', 'Image', 'Volumes', 'WorkingDir',
  'Entrypoint', 'NetworkDisabled', 'MacAddress', 'OnBuild', 'Labels', 'StopSignal', 'StopTimeout', 'Shell'];

/** HostConfig options the engine does not run yet, with the values that mean "not used". */
const UNSUPPORTED_HOST: Record<string, (v: unknown) => boolean> = {
  VolumeDriver: (v) => isEmpty(v) || v === 'local',
  DeviceRequests: isEmpty, StorageOpt: isEmpty, Annotations: isEmpty, Cgroup: isEmpty,
  CgroupParent: isEmpty, KernelMemoryTCP: isEmpty,
  // Windows-only resources: dockerd on Linux refuses them too.
  CpuCount: isEmpty, CpuPercent: isEmpty, IOMaximumIOps: isEmpty, IOMaximumBandwidth: isEmpty,
};

const UNSUPPORTED_CONFIG: Record<string, (v: unknown) => boolean> = {
  NetworkDisabled: isEmpty,
};

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function refuseUnsupported(obj: Record<string, unknown>, table: Record<string, (v: unknown) => boolean>, where: string): void {
  for (const [key, unused] of Object.entries(table)) {
    if (Object.hasOwn(obj, key) && !unused(obj[key])) {
      throw invalid(`${where}.${key} is not supported by berth yet (got ${JSON.stringify(obj[key])})`);
    }
  }
}

export function decodeCreateRequest(body: unknown, name: string | null, version: string): CreateContainerRequest {
  if (body === undefined) throw invalid('invalid JSON: got EOF while reading request body');
  checkCreateBody(body);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('invalid JSON: the request body must be a JSON object');
  const root = body as Record<string, unknown>;
  if (!CONFIG_KEYS.some((k) => Object.hasOwn(root, k))) throw invalid('config cannot be empty in order to create a container');
  if (name) validateContainerName(name);

  refuseUnsupported(root, UNSUPPORTED_CONFIG, 'Config');
  const c = new JsonFields(root, '');
  const config: CreateContainerRequest['config'] = { image: c.str('Image') ?? '' };
  const set = <K extends keyof typeof config>(k: K, v: (typeof config)[K] | undefined) => { if (v !== undefined) config[k] = v; };
  set('hostname', c.str('Hostname'));
  set('domainname', c.str('Domainname'));
  set('user', c.str('User'));
  set('attachStdin', c.bool('AttachStdin'));
  set('attachStdout', c.bool('AttachStdout'));
  set('attachStderr', c.bool('AttachStderr'));
  set('tty', c.bool('Tty'));
  set('openStdin', c.bool('OpenStdin'));
  set('stdinOnce', c.bool('StdinOnce'));
  set('env', c.strList('Env') ?? undefined);
  set('cmd', c.command('Cmd'));
  set('entrypoint', c.command('Entrypoint'));
  set('workingDir', c.str('WorkingDir'));
  set('labels', c.strMap('Labels') ?? undefined);
  set('stopSignal', c.str('StopSignal') || undefined);
  set('stopTimeout', c.int('StopTimeout') ?? undefined);
  set('exposedPorts', c.objMap('ExposedPorts') ?? undefined);
  set('volumes', c.objMap('Volumes') ?? undefined);
  set('healthcheck', decodeHealthcheck(c.obj('Healthcheck')));
  const shell = c.command('Shell');
  if (shell?.length) config.shell = shell;

  const req: CreateContainerRequest = { config };
  if (name) req.name = name.replace(/^\//, '');
  const hcRaw = c.obj('HostConfig');
  if (hcRaw) req.hostConfig = decodeHostConfig(hcRaw, version);
  const networking = decodeNetworking(c.obj('NetworkingConfig'), c.str('MacAddress') ?? '', req.hostConfig?.networkMode ?? 'default');
  if (networking) req.networking = networking;
  return req;
}

/** Config.Healthcheck (null: none); the engine merges it with the image's and validates it. */
function decodeHealthcheck(raw: Record<string, unknown> | undefined): HealthConfig | undefined {
  if (!raw) return undefined;
  const h = new JsonFields(raw, 'Healthcheck.');
  const out: HealthConfig = {};
  const test = h.strList('Test');
  if (test?.length) out.test = test;
  for (const [key, field] of [['Interval', 'interval'], ['Timeout', 'timeout'], ['StartPeriod', 'startPeriod'], ['StartInterval', 'startInterval'], ['Retries', 'retries']] as const) {
    const v = h.int(key);
    if (v) out[field] = v;
  }
  return out;
}

function decodeHostConfig(raw: Record<string, unknown>, version: string): Partial<HostConfig> {
  refuseUnsupported(raw, UNSUPPORTED_HOST, 'HostConfig');
  const h = new JsonFields(raw, 'HostConfig.');
  const out: Partial<HostConfig> = {};
  const set = <K extends keyof HostConfig>(k: K, v: HostConfig[K] | null | undefined) => { if (v !== undefined && v !== null) out[k] = v; };
  // API < 1.25: the client removes the container itself (dockerd ignores AutoRemove).
  if (!versionBelow(version, '1.25')) set('autoRemove', h.bool('AutoRemove'));
  set('networkMode', h.str('NetworkMode') || undefined);
  set('runtime', h.str('Runtime') || undefined);
  const rp = h.obj('RestartPolicy');
  if (rp) {
    const r = new JsonFields(rp, 'HostConfig.RestartPolicy.');
    out.restartPolicy = { name: (r.str('Name') ?? '') as RestartPolicy['name'], maximumRetryCount: r.int('MaximumRetryCount') ?? 0 };
  }
  set('privileged', h.bool('Privileged'));
  set('readonlyRootfs', h.bool('ReadonlyRootfs'));
  set('capAdd', h.strList('CapAdd'));
  set('capDrop', h.strList('CapDrop'));
  set('extraHosts', h.strList('ExtraHosts'));
  set('dns', h.strList('Dns'));
  set('dnsSearch', h.strList('DnsSearch'));
  set('dnsOptions', h.strList('DnsOptions'));
  set('binds', h.strList('Binds'));
  set('mounts', decodeMounts(raw.Mounts));
  set('tmpfs', h.strMap('Tmpfs'));
  set('volumesFrom', h.strList('VolumesFrom'));
  set('securityOpt', h.strList('SecurityOpt'));
  const shm = h.int('ShmSize');
  if (shm) set('shmSize', shm);
  set('memory', h.int('Memory'));
  set('nanoCpus', h.int('NanoCpus'));
  set('cpuShares', h.int('CpuShares'));
  const pids = h.int('PidsLimit');
  if (pids !== undefined && pids !== null && pids > 0) set('pidsLimit', pids);
  set('init', h.bool('Init'));
  set('resources', decodeResources(raw));
  const pb = h.obj('PortBindings');
  if (pb) set('portBindings', decodePortBindings(pb));
  set('publishAllPorts', h.bool('PublishAllPorts'));
  set('links', h.strList('Links'));
  const lc = h.obj('LogConfig');
  if (lc) {
    const l = new JsonFields(lc, 'HostConfig.LogConfig.');
    // Validated against the drivers (and merged with the daemon's default) by the engine.
    out.logConfig = { type: l.str('Type') ?? '', config: l.strMap('Config') ?? {} };
  }
  // [height, width] (its type is checked by the schema); dockerd >= 23 gives a TTY this size from the start.
  const cs = raw.ConsoleSize;
  if (Array.isArray(cs) && typeof cs[0] === 'number' && typeof cs[1] === 'number' && cs[0] > 0 && cs[1] > 0) {
    out.consoleSize = { height: cs[0], width: cs[1] };
  }
  return out;
}

function decodePortBindings(raw: Record<string, unknown>): PortMap {
  const out: PortMap = {};
  for (const [port, list] of Object.entries(raw)) {
    if (list === null) { out[port] = null; continue; }
    if (!Array.isArray(list)) throw invalid(`HostConfig.PortBindings.${port} must be a list`);
    out[port] = list.map((b: unknown, i) => {
      const f = new JsonFields((b ?? {}) as Record<string, unknown>, `HostConfig.PortBindings.${port}[${i}].`);
      return { hostIp: f.str('HostIp') ?? '', hostPort: f.str('HostPort') ?? '' };
    });
  }
  return out;
}

/** NetworkingConfig.EndpointsConfig (and the legacy Config.MacAddress for the primary network). */
function decodeNetworking(raw: Record<string, unknown> | undefined, legacyMac: string, mode: string): Record<string, Partial<EndpointConfig>> | undefined {
  const out: Record<string, Partial<EndpointConfig>> = {};
  const eps = raw ? new JsonFields(raw, 'NetworkingConfig.').obj('EndpointsConfig') : undefined;
  for (const [name, v] of Object.entries(eps ?? {})) {
    if (v === null) { out[name] = {}; continue; }
    const f = new JsonFields(v as Record<string, unknown>, `NetworkingConfig.EndpointsConfig.${name}.`);
    const ipam = f.obj('IPAMConfig');
    const i = ipam ? new JsonFields(ipam, `NetworkingConfig.EndpointsConfig.${name}.IPAMConfig.`) : undefined;
    const ip6 = i?.str('IPv6Address');
    out[name] = {
      aliases: f.strList('Aliases') ?? [], links: f.strList('Links') ?? [], ipv4Address: i?.str('IPv4Address') ?? '', macAddress: f.str('MacAddress') ?? '',
      ...(ip6 ? { ipv6Address: ip6 } : {}),
    };
  }
  if (legacyMac) {
    const key = Object.keys(out)[0] ?? mode;
    out[key] = { ...(out[key] ?? {}), macAddress: out[key]?.macAddress || legacyMac };
  }
  return Object.keys(out).length ? out : undefined;
}
