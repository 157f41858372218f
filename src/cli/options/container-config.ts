// Turns run/create flags into the POST /containers/create body, as docker's
// parse() does: attach defaults, binds vs anonymous volumes, env files and
// -e, labels, restart policy, entrypoint reset, ports, resources. Pure
// apart from reading env/label/seccomp files, so it is tested without a
// daemon.

import { parseDevice, parseThrottle, parseUlimit, parseWeightDevice } from './resources.ts';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ContainerCreateBody, HostConfigBody, RestartPolicyBody } from '../../client/types.ts';
import { expandEnvValue, kvToMap, readEnv, readLabels } from './envfile.ts';
import { parseExpose, parsePortSpecs } from './ports.ts';
import { nanoCpus, ramInBytes } from './units.ts';
import { parseMountFlag } from './mount.ts';
import { compactJson } from '../format/jsonindent.ts';
import { healthConfig } from './health.ts';

export interface ContainerInput {
  values: Record<string, unknown>;
  changed: ReadonlySet<string>;
  /** IMAGE [COMMAND] [ARG...] */
  args: readonly string[];
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface CreateSpec {
  name: string;
  platform: string;
  pull: string;
  quiet: boolean;
  cidfile: string;
  body: ContainerCreateBody;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** opts.ParseRestartPolicy */
export function parseRestartPolicy(policy: string): RestartPolicyBody {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const i = policy.indexOf(':');
  const name = i >= 0 ? policy.slice(0, i) : policy;
  const count = i >= 0 ? policy.slice(i + 1) : '';
  if (i >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  let max = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
    max = Number(count);
  }
  return { Name: name, MaximumRetryCount: max };
}

/**
 * A -v value: "SRC:DST[:MODE]" is a bind (or named volume) for HostConfig.Binds,
 * a lone "DST" an anonymous volume for Config.Volumes. Relative host paths
 * ("./data") are made absolute, as docker does.
 */
export function splitVolume(spec: string, cwd: string): { bind?: string; volume?: string } {
  const parts = spec.split(':');
  if (parts.length === 1) {
    if (spec === '') throw new Error('invalid empty volume spec');
    return { volume: spec };
  }
  if (parts.length > 3) throw new Error(`invalid spec: ${spec}: too many colons`);
  const [src, ...rest] = parts;
  if (src === '') throw new Error(`invalid spec: ${spec}: empty section between colons`);
  if (rest[0] === '') throw new Error(`invalid spec: ${spec}: empty section between colons`);
  const host = !isAbsolute(src) && src.startsWith('.') ? resolve(cwd, src) : src;
  return { bind: [host, ...rest].join(':') };
}

/** parseSecurityOpts + parseSystemPaths: seccomp profiles are sent inline. */
export function parseSecurityOpts(opts: readonly string[]): { securityOpt: string[]; unconfinedPaths: boolean } {
  const out: string[] = [];
  let unconfinedPaths = false;
  for (const opt of opts) {
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const k = sep >= 0 ? opt.slice(0, sep) : opt;
    const v = sep >= 0 ? opt.slice(sep + 1) : '';
    if ((sep < 0 || v === '') && k !== 'no-new-privileges') throw new Error(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (k === 'systempaths' && v === 'unconfined') {
      unconfinedPaths = true;
      continue;
    }
    if (k === 'seccomp' && v !== 'builtin' && v !== 'unconfined') {
      let text: string;
      try {
        text = readFileSync(v, 'utf8');
      } catch (err) {
        throw new Error(`opening seccomp profile (${v}) failed: ${(err as Error).message}`);
      }
      try {
        JSON.parse(text);
      } catch (err) {
        throw new Error(`compacting json for seccomp profile (${v}) failed: ${(err as Error).message}`);
      }
      out.push(`seccomp=${compactJson(text)}`);
      continue;
    }
    out.push(opt);
  }
  return { securityOpt: out, unconfinedPaths };
}

export function buildCreateSpec(input: ContainerInput): CreateSpec {
  const v = input.values;
  const [image, ...cmd] = input.args;

  const pull = str(v.pull);
  if (!['always', 'missing', 'never', ''].includes(pull)) {
    throw new Error(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }

  const attach = list(v.attach);
  const interactive = v.interactive === true;
  const attachStdin = attach.includes('stdin') || interactive;
  const attachStdout = attach.length === 0 || attach.includes('stdout');
  const attachStderr = attach.length === 0 || attach.includes('stderr');

  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const spec of list(v.volume)) {
    const { bind, volume } = splitVolume(spec, input.cwd);
    if (bind) binds.push(bind);
    if (volume) volumes[volume] = {};
  }

  const tmpfs: Record<string, string> = {};
  for (const t of list(v.tmpfs)) {
    const i = t.indexOf(':');
    tmpfs[i >= 0 ? t.slice(0, i) : t] = i >= 0 ? t.slice(i + 1) : '';
  }

  let entrypoint: string[] | null = null;
  if (str(v.entrypoint) !== '') entrypoint = [str(v.entrypoint)];
  else if (input.changed.has('entrypoint')) entrypoint = [''];

  const { exposed, bindings } = parsePortSpecs(list(v.publish));
  parseExpose(list(v.expose), exposed);

  const env = readEnv(list(v['env-file']), list(v.env).map((e) => expandEnvValue(e, input.env)), input.env);
  const labels = kvToMap(readLabels(list(v['label-file']), list(v.label)));
  const restartPolicy = parseRestartPolicy(str(v.restart));
  const autoRemove = v.rm === true;
  if (autoRemove && restartPolicy.Name !== 'no' && restartPolicy.Name !== '') {
    throw new Error('conflicting options: cannot specify both --restart and --rm');
  }
  const logOpts: Record<string, string> = {};
  for (const o of list(v['log-opt'])) {
    const i = o.indexOf('=');
    if (i < 0) throw new Error(`invalid key value pair format in log-opt: ${o}`);
    logOpts[o.slice(0, i)] = o.slice(i + 1);
  }
  const sysctls: Record<string, string> = {};
  for (const s of list(v.sysctl)) {
    const i = s.indexOf('=');
    if (i < 0) throw new Error(`sysctl '${s}' is not allowed`);
    sysctls[s.slice(0, i)] = s.slice(i + 1);
  }
  const { securityOpt, unconfinedPaths } = parseSecurityOpts(list(v['security-opt']));
  const healthcheck = healthConfig(v);
  const network = str(v.network) || str(v.net) || 'default';
  const bytes = (name: string) => (str(v[name]) ? ramInBytes(str(v[name])) : 0);

  const hostConfig: HostConfigBody & Record<string, unknown> = {
    Binds: binds.length ? binds : null,
    ContainerIDFile: str(v.cidfile),
    LogConfig: { Type: str(v['log-driver']), Config: logOpts },
    NetworkMode: network,
    PortBindings: bindings,
    RestartPolicy: restartPolicy,
    AutoRemove: autoRemove,
    VolumesFrom: list(v['volumes-from']).length ? list(v['volumes-from']) : null,
    CapAdd: list(v['cap-add']).length ? list(v['cap-add']) : null,
    CapDrop: list(v['cap-drop']).length ? list(v['cap-drop']) : null,
    Dns: list(v.dns),
    DnsOptions: [...list(v['dns-option']), ...list(v['dns-opt'])],
    DnsSearch: list(v['dns-search']),
    ExtraHosts: list(v['add-host']).length ? list(v['add-host']) : null,
    GroupAdd: list(v['group-add']).length ? list(v['group-add']) : null,
    IpcMode: str(v.ipc),
    PidMode: str(v.pid),
    UTSMode: str(v.uts),
    Privileged: v.privileged === true,
    PublishAllPorts: v['publish-all'] === true,
    ReadonlyRootfs: v['read-only'] === true,
    SecurityOpt: securityOpt.length ? securityOpt : null,
    ShmSize: bytes('shm-size'),
    CpuShares: (v['cpu-shares'] as number) ?? 0,
    Memory: bytes('memory'),
    NanoCpus: str(v.cpus) ? nanoCpus(str(v.cpus)) : 0,
    CpuPeriod: (v['cpu-period'] as number) ?? 0,
    CpuQuota: (v['cpu-quota'] as number) ?? 0,
    CpusetCpus: str(v['cpuset-cpus']),
    MemoryReservation: bytes('memory-reservation'),
    MemorySwap: str(v['memory-swap']) === '-1' ? -1 : bytes('memory-swap'),
    PidsLimit: (v['pids-limit'] as number) ?? 0,
    Runtime: str(v.runtime),
    KernelMemory: bytes('kernel-memory'),
    OomKillDisable: v['oom-kill-disable'] === true,
    OomScoreAdj: (v['oom-score-adj'] as number) ?? 0,
    CpusetMems: str(v['cpuset-mems']),
    BlkioWeight: (v['blkio-weight'] as number) ?? 0,
    BlkioWeightDevice: list(v['blkio-weight-device']).map(parseWeightDevice),
    BlkioDeviceReadBps: list(v['device-read-bps']).map((d) => parseThrottle(d, 'bytes')),
    BlkioDeviceWriteBps: list(v['device-write-bps']).map((d) => parseThrottle(d, 'bytes')),
    BlkioDeviceReadIOps: list(v['device-read-iops']).map((d) => parseThrottle(d, 'iops')),
    BlkioDeviceWriteIOps: list(v['device-write-iops']).map((d) => parseThrottle(d, 'iops')),
    Devices: list(v.device).map(parseDevice),
    DeviceCgroupRules: list(v['device-cgroup-rule']).length ? list(v['device-cgroup-rule']) : null,
    Ulimits: list(v.ulimit).map(parseUlimit),
    CgroupnsMode: str(v.cgroupns),
    UsernsMode: str(v.userns),
    Isolation: str(v.isolation),
  };
  // docker sends -1 (or nothing) for "not set"; only a chosen value goes out.
  if (input.changed.has('memory-swappiness')) hostConfig.MemorySwappiness = v['memory-swappiness'] as number;
  if (Object.keys(tmpfs).length) hostConfig.Tmpfs = tmpfs;
  const mounts = list(v.mount).map(parseMountFlag);
  if (mounts.length) hostConfig.Mounts = mounts;
  if (Object.keys(sysctls).length) hostConfig.Sysctls = sysctls;
  if (unconfinedPaths) {
    hostConfig.MaskedPaths = [];
    hostConfig.ReadonlyPaths = [];
  }
  if (input.changed.has('init')) hostConfig.Init = v.init === true;

  const body: ContainerCreateBody = {
    Hostname: str(v.hostname),
    Domainname: str(v.domainname),
    User: str(v.user),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    Tty: v.tty === true,
    OpenStdin: interactive,
    // When stdin is attached, closing it ends the container's stdin.
    StdinOnce: interactive && attachStdin,
    Env: env,
    Cmd: cmd.length ? cmd : null,
    Image: image,
    Volumes: volumes,
    WorkingDir: str(v.workdir),
    Entrypoint: entrypoint,
    Labels: labels,
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: endpointsConfig(network, v) },
  };
  if (list(v.link).length) hostConfig.Links = list(v.link);
  if (str(v['stop-signal'])) body.StopSignal = str(v['stop-signal']);
  if (input.changed.has('stop-timeout')) body.StopTimeout = v['stop-timeout'] as number;
  if (healthcheck) body.Healthcheck = healthcheck;
  return {
    name: str(v.name),
    platform: str(v.platform),
    pull: pull || 'missing',
    quiet: v.quiet === true,
    cidfile: str(v.cidfile),
    body,
  };
}

/** --ip, --ip6, --mac-address, --network-alias and --link: the endpoint settings of the container's network, as docker sends them. */
function endpointsConfig(network: string, v: Record<string, unknown>): Record<string, object> {
  const aliases = [...list(v['network-alias']), ...list(v['net-alias'])];
  const ip = str(v.ip);
  const ip6 = str(v.ip6);
  const mac = str(v['mac-address']);
  if (!aliases.length && !ip && !ip6 && !mac) return {};
  return {
    [network]: {
      ...(ip || ip6 ? { IPAMConfig: { ...(ip ? { IPv4Address: ip } : {}), ...(ip6 ? { IPv6Address: ip6 } : {}) } } : {}),
      ...(aliases.length ? { Aliases: aliases } : {}),
      ...(mac ? { MacAddress: mac } : {}),
    },
  };
}
