// berthd's configuration: dockerd's flag names, and a daemon.json with the
// same keys. As with dockerd, a directive given both as a flag and in the
// file is an error rather than a silent override.

import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { invalid } from '../core/errors.ts';
import type { ApiLimits } from '../api/limits.ts';
import { apiLimitsFrom, type RawApiLimits } from './api-limits.ts';
import { layerLimitsFrom, type RawLayerLimits } from './layer-limits.ts';
import type { LayerLimits } from '../stores/snapshots/apply.ts';
import { parseDetachKeys } from '../api/detach.ts';
import { isLogLevel, type LogLevel } from './logger.ts';
import { parseAddRuntime, parseRuntimeEntry, type RuntimeDef } from '../runtime/runtimes.ts';
import type { LogConfig } from '../core/container.ts';
import { validateLogConfig } from '../engine/containers/log-config.ts';
import { listenConfig, type TcpAddress, type TlsFiles } from './listen-config.ts';
import type { RegistryConfig } from '../registry/config.ts';
import { REGISTRY_FILE_KEYS, registryListenerConfig } from './registry-listener.ts';

export interface DaemonConfig {
  host: string;            // unix socket path (without unix://), '' for none
  /** TCP listeners (-H tcp://), served only with mutual TLS (tls). */
  tcpHosts: TcpAddress[];
  tls: TlsFiles | null;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logLevel: LogLevel;
  defaultRuntime: string;
  /** Runtimes besides the built-in runc/crun (daemon.json `runtimes`, `--add-runtime`). */
  runtimes: Record<string, RuntimeDef>;
  storageDriver: 'auto' | 'overlay' | 'copy';
  group: string;
  configFile: string;
  apiLimits: ApiLimits;
  /** Bounds of every archive unpacked (max-layer-size, max-compression-ratio). */
  layerLimits: LayerLimits;
  /** Registries reached over plain HTTP or unverified TLS (host[:port] or CIDR); loopback always is. */
  insecureRegistries: string[];
  /** Mirrors of Docker Hub, tried in order (URLs). */
  registryMirrors: string[];
  /** Networking (dockerd's names): see src/network/config.ts. */
  network: { bridge?: string; bip?: string; pools?: string[]; mtu?: number; iptables?: boolean; ipMasq?: boolean; icc?: boolean; ipv6?: boolean; fixedCidrV6?: string };
  /** Longest a container's `runc create` (through conmon) may take before its start fails. */
  runtimeCreateTimeoutMs: number;
  /** dockerd's cgroup-parent: containers' cgroups go to <cgroupParent>/<id> in every hierarchy. */
  cgroupParent: string;
  /** Default detach keys of attach and exec sessions ("" keeps Docker's ctrl-p,ctrl-q). */
  detachKeys: string;
  /** Containers' default log driver and options (log-driver, log-opts). */
  logConfig: LogConfig;
  /** The read-only registry listener over the image store (--registry-listen; registry-listener.ts), or none. */
  registryListener: RegistryConfig | null;
  /** --userns-remap: '' (none), 'default', 'user', 'user:group' or 'uid:gid' (resolved at start: userns-remap.ts). */
  usernsRemap: string;
}

/** Config fields as flags and daemon.json give them, before parsing. */
type RawField = Exclude<keyof DaemonConfig, 'apiLimits' | 'layerLimits' | 'runtimes' | 'logConfig' | 'tcpHosts' | 'tls' | 'registryListener'> | keyof RawApiLimits | keyof RawLayerLimits
  | `registry${'Listen' | 'Config' | 'Htpasswd' | 'Token' | 'TlsCert' | 'TlsKey'}` | 'logDriver' | 'logOpts' | 'tlsOn' | 'tlsVerify' | 'tlsCaCert' | 'tlsCert' | 'tlsKey';

// List-valued keys travel as JSON-encoded string arrays until parsed.
const LIST_FIELDS = new Set<RawField>(['host', 'insecureRegistries', 'registryMirrors']);
// Boolean keys travel as 'true'/'false'.
const BOOL_FIELDS = new Set<RawField>(['tlsOn', 'tlsVerify', 'registryToken']);
const collect = (v: string, prev: string[] = []) => [...prev, v];

const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

// daemon.json key -> config field
const fileKeys: Record<string, RawField> = {
  'hosts': 'host',
  'data-root': 'dataRoot',
  'exec-root': 'execRoot',
  'pidfile': 'pidfile',
  'log-level': 'logLevel',
  'default-runtime': 'defaultRuntime',
  'storage-driver': 'storageDriver',
  'group': 'group',
  'api-max-json-body': 'apiMaxJsonBody',
  'api-headers-timeout': 'apiHeadersTimeout',
  'api-request-timeout': 'apiRequestTimeout',
  'api-max-header-size': 'apiMaxHeaderSize',
  'max-layer-size': 'maxLayerSize',
  'max-compression-ratio': 'maxCompressionRatio',
  'insecure-registries': 'insecureRegistries',
  'registry-mirrors': 'registryMirrors',
  'runtime-create-timeout': 'runtimeCreateTimeoutMs',
  'cgroup-parent': 'cgroupParent',
  'detach-keys': 'detachKeys',
  'userns-remap': 'usernsRemap',
  'log-driver': 'logDriver',
  'log-opts': 'logOpts',
  'tls': 'tlsOn',
  'tlsverify': 'tlsVerify',
  'tlscacert': 'tlsCaCert',
  'tlscert': 'tlsCert',
  'tlskey': 'tlsKey',
  ...REGISTRY_FILE_KEYS,
};

export function parseDaemonArgs(argv: string[], version: string): DaemonConfig {
  const cmd = new Command('berthd')
    .description('berth daemon: a Docker-compatible container engine')
    .version(version, '-v, --version')
    .addOption(new Option('-H, --host <socket>', 'daemon socket(s) to listen on: unix:///path, tcp://host:port (mutual TLS only; repeatable)').argParser(collect))
    .addOption(new Option('--tls [bool]', 'use TLS; implied by --tlsverify').argParser(flagBool))
    .addOption(new Option('--tlsverify [bool]', 'use TLS and require client certificates signed by --tlscacert').argParser(flagBool))
    .addOption(new Option('--tlscacert <file>', 'trust client certificates signed by this CA only'))
    .addOption(new Option('--tlscert <file>', 'path to the TLS certificate file'))
    .addOption(new Option('--tlskey <file>', 'path to the TLS key file'))
    .addOption(new Option('--data-root <dir>', 'root directory of persistent state'))
    .addOption(new Option('--exec-root <dir>', 'root directory for execution state'))
    .addOption(new Option('-p, --pidfile <file>', 'path to use for the daemon PID file'))
    .addOption(new Option('-l, --log-level <level>', 'logging level (debug, info, warn, error, fatal)'))
    .addOption(new Option('--default-runtime <name>', 'default OCI runtime for containers'))
    .addOption(new Option('--add-runtime <name=path>', 'register an additional OCI runtime (repeatable)').argParser(collect))
    .addOption(new Option('-s, --storage-driver <name>', 'snapshotter to use (overlay, copy)'))
    .addOption(new Option('-G, --group <name>', 'group for the unix socket'))
    .addOption(new Option('--api-max-json-body <size>', 'largest JSON request body (default 16MiB)'))
    .addOption(new Option('--api-headers-timeout <duration>', 'time a client has to send its request headers (default 60s; 0: none)'))
    .addOption(new Option('--api-request-timeout <duration>', 'time a client has to send a request body, attach excepted (default 0: none)'))
    .addOption(new Option('--api-max-header-size <size>', 'largest request head: request line and headers (default 16KiB)'))
    .addOption(new Option('--max-layer-size <size>', 'largest uncompressed layer, build context or archive unpacked (default 32GiB)'))
    .addOption(new Option('--max-compression-ratio <n>', 'refuse a compressed archive expanding more than n times past 256MiB (default 100; 0: no check)'))
    .addOption(new Option('--insecure-registry <host>', 'registry to reach without TLS verification (repeatable)').argParser(collect))
    .addOption(new Option('--registry-mirror <url>', 'preferred Docker Hub mirror (repeatable)').argParser(collect))
    .addOption(new Option('--cgroup-parent <path>', 'parent cgroup for all containers (default /berth)'))
    .addOption(new Option('--runtime-create-timeout <duration>', 'longest a container\'s OCI runtime create may take (e.g. 20s)'))
    .addOption(new Option('--detach-keys <keys>', 'default key sequence for detaching from a container or exec session (default ctrl-p,ctrl-q)'))
    .addOption(new Option('--log-driver <name>', 'default driver for container logs (json-file, local, none)'))
    .addOption(new Option('--log-opt <key=value>', 'default log driver option (repeatable)').argParser(collect))
    .addOption(new Option('--registry-listen <addr>', 'serve the image store read-only as a registry on ADDR:PORT (OCI Distribution)'))
    .addOption(new Option('--registry-config <file>', 'registry listener configuration (JSON, as for berth registry serve: auth, tls)'))
    .addOption(new Option('--registry-htpasswd <file>', 'registry listener: htpasswd file (bcrypt) for Basic authentication or token accounts'))
    .addOption(new Option('--registry-token [bool]', 'registry listener: Bearer tokens from its built-in token service').argParser(flagBool))
    .addOption(new Option('--registry-tls-cert <file>', 'registry listener: TLS certificate file (PEM)'))
    .addOption(new Option('--registry-tls-key <file>', 'registry listener: TLS key file (PEM)'))
    .addOption(new Option('--userns-remap <user/group>', 'user/group setting for user namespaces (default, user, user:group, uid:gid)'))
    .addOption(new Option('--config-file <file>', 'daemon configuration file').default(DEFAULT_CONFIG_FILE))
    .addOption(new Option('-b, --bridge <name>', 'attach containers to a network bridge (default berth0; "none" for no default bridge)'))
    .addOption(new Option('--bip <cidr>', 'IPv4 address and prefix of the default bridge (default 10.66.0.1/16)'))
    .addOption(new Option('--default-address-pool <pool>', 'default address pool for user-defined networks (base=CIDR,size=N)').argParser((v: string, prev: string[] = []) => [...prev, v]))
    .addOption(new Option('--mtu <bytes>', 'MTU of the default bridge and its containers').argParser(Number))
    .addOption(new Option('--iptables [bool]', 'enable the addition of iptables rules').argParser(flagBool))
    .addOption(new Option('--ip-masq [bool]', 'enable IP masquerading').argParser(flagBool))
    .addOption(new Option('--icc [bool]', 'enable inter-container communication on the default bridge').argParser(flagBool))
    .addOption(new Option('--ipv6 [bool]', 'enable IPv6 networking on the default bridge (needs --fixed-cidr-v6)').argParser(flagBool))
    .addOption(new Option('--fixed-cidr-v6 <cidr>', 'IPv6 subnet of the default bridge'))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  cmd.parse(argv, { from: 'user' });
  const opts = cmd.opts<Record<string, string | string[]>>();
  const flags = Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, Array.isArray(v) ? JSON.stringify(v) : typeof v === 'boolean' ? String(v) : v])) as Record<string, string>;
  const net = networkSettings(opts, readNetworkFile(flags.configFile!, flags.configFile !== DEFAULT_CONFIG_FILE));

  const fromFile = readConfigFile(flags.configFile!, flags.configFile !== DEFAULT_CONFIG_FILE);
  const flagFields: Partial<Record<RawField, string>> = {
    host: flags.host, dataRoot: flags.dataRoot, execRoot: flags.execRoot, pidfile: flags.pidfile,
    logLevel: flags.logLevel, defaultRuntime: flags.defaultRuntime, storageDriver: flags.storageDriver, group: flags.group,
    apiMaxJsonBody: flags.apiMaxJsonBody, apiHeadersTimeout: flags.apiHeadersTimeout, apiRequestTimeout: flags.apiRequestTimeout,
    apiMaxHeaderSize: flags.apiMaxHeaderSize, maxLayerSize: flags.maxLayerSize, maxCompressionRatio: flags.maxCompressionRatio,
    insecureRegistries: flags.insecureRegistry, registryMirrors: flags.registryMirror,
    runtimeCreateTimeoutMs: flags.runtimeCreateTimeout, cgroupParent: flags.cgroupParent,
    detachKeys: flags.detachKeys, usernsRemap: flags.usernsRemap, registryListen: flags.registryListen, registryConfig: flags.registryConfig, registryHtpasswd: flags.registryHtpasswd,
    registryToken: flags.registryToken, registryTlsCert: flags.registryTlsCert, registryTlsKey: flags.registryTlsKey,
    tlsOn: flags.tls, tlsVerify: flags.tlsverify, tlsCaCert: flags.tlscacert, tlsCert: flags.tlscert, tlsKey: flags.tlskey,
    logDriver: flags.logDriver, logOpts: flags.logOpt === undefined ? undefined : JSON.stringify(logOptsFromFlags(JSON.parse(flags.logOpt) as string[])),
  };
  const both = Object.entries(fileKeys).filter(([, f]) => flagFields[f] !== undefined && fromFile[f] !== undefined).map(([k]) => k);
  if (both.length) {
    throw invalid(`the following directives are specified both as a flag and in the configuration file: ${both.join(', ')}`);
  }
  const pick = (f: RawField, dflt: string) => flagFields[f] ?? fromFile[f] ?? dflt;

  const execRoot = pick('execRoot', '/run/berth');
  const logLevel = pick('logLevel', 'info');
  if (!isLogLevel(logLevel)) throw invalid(`invalid log level: ${logLevel}`);
  const storageDriver = pick('storageDriver', 'auto');
  if (!['auto', 'overlay', 'overlay2', 'copy', 'vfs'].includes(storageDriver)) {
    throw invalid(`invalid storage driver: ${storageDriver} (valid: overlay, copy)`);
  }
  const detachKeys = pick('detachKeys', '');
  if (detachKeys) {
    try {
      parseDetachKeys(detachKeys);
    } catch {
      throw invalid(`invalid detach keys ${JSON.stringify(detachKeys)}: use a single character or ctrl-<value>, separated by commas`);
    }
  }
  const logConfig: LogConfig = { type: pick('logDriver', 'json-file'), config: JSON.parse(pick('logOpts', '{}')) as Record<string, string> };
  validateLogConfig(logConfig);
  const pickBool = (f: RawField) => { const v = flagFields[f] ?? fromFile[f]; return v === undefined ? undefined : v === 'true'; };
  const listen = listenConfig({
    hosts: JSON.parse(pick('host', '[]')) as string[],
    tls: pickBool('tlsOn'), tlsverify: pickBool('tlsVerify'),
    tlscacert: flagFields.tlsCaCert ?? fromFile.tlsCaCert, tlscert: flagFields.tlsCert ?? fromFile.tlsCert, tlskey: flagFields.tlsKey ?? fromFile.tlsKey,
  });
  return {
    detachKeys,
    usernsRemap: pick('usernsRemap', ''),
    logConfig,
    host: listen.host,
    tcpHosts: listen.tcpHosts,
    tls: listen.tls,
    dataRoot: pick('dataRoot', '/var/lib/berth'),
    execRoot,
    pidfile: pick('pidfile', `${execRoot}/berthd.pid`),
    logLevel,
    defaultRuntime: pick('defaultRuntime', 'runc'),
    storageDriver: storageDriver === 'overlay2' ? 'overlay' : storageDriver === 'vfs' ? 'copy' : storageDriver as DaemonConfig['storageDriver'],
    group: pick('group', 'berth'),
    configFile: flags.configFile!,
    insecureRegistries: JSON.parse(pick('insecureRegistries', '[]')) as string[],
    registryMirrors: registryMirrors(JSON.parse(pick('registryMirrors', '[]')) as string[]),
    apiLimits: apiLimitsFrom({
      apiMaxJsonBody: flagFields.apiMaxJsonBody ?? fromFile.apiMaxJsonBody,
      apiHeadersTimeout: flagFields.apiHeadersTimeout ?? fromFile.apiHeadersTimeout,
      apiRequestTimeout: flagFields.apiRequestTimeout ?? fromFile.apiRequestTimeout,
      apiMaxHeaderSize: flagFields.apiMaxHeaderSize ?? fromFile.apiMaxHeaderSize,
    }),
    layerLimits: layerLimitsFrom({ maxLayerSize: flagFields.maxLayerSize ?? fromFile.maxLayerSize, maxCompressionRatio: flagFields.maxCompressionRatio ?? fromFile.maxCompressionRatio }),
    runtimeCreateTimeoutMs: parseTimeout(pick('runtimeCreateTimeoutMs', '20s')),
    cgroupParent: parseCgroupParent(pick('cgroupParent', '/berth')),
    network: net,
    runtimes: runtimeSettings(opts.addRuntime as string[] | undefined, readRuntimesFile(flags.configFile!)),
    registryListener: registryListenerConfig((f) => flagFields[f] ?? fromFile[f]),
  };
}

/** `runtimes` of daemon.json merged with `--add-runtime` flags (dockerd merges them too; a name in both is an error). */
function runtimeSettings(flags: string[] = [], file: Record<string, RuntimeDef>): Record<string, RuntimeDef> {
  const out = { ...file };
  for (const f of flags) {
    const [name, def] = parseAddRuntime(f);
    if (name in out) throw invalid(`runtime ${name} is specified both as a flag (--add-runtime) and in the configuration file`);
    out[name] = def;
  }
  return out;
}

function logOptsFromFlags(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of list) {
    const i = o.indexOf('=');
    if (i <= 0) throw invalid(`invalid log-opt ${JSON.stringify(o)}: want key=value`);
    out[o.slice(0, i)] = o.slice(i + 1);
  }
  return out;
}

function readRuntimesFile(path: string): Record<string, RuntimeDef> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};  // a missing or broken file is reported by readConfigFile
  }
  const v = json?.runtimes;
  if (v === undefined) return {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${path}: "runtimes" must be an object of name -> {"path": ..., "runtimeArgs": [...]}`);
  return Object.fromEntries(Object.entries(v).map(([name, e]) => [name, parseRuntimeEntry(name, e, path)]));
}

function flagBool(v: string | boolean | undefined): boolean {
  if (v === undefined || v === true || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0') return false;
  throw invalid(`invalid boolean value ${JSON.stringify(v)}`);
}

// daemon.json network keys: not strings, so kept apart from fileKeys.
const NETWORK_KEYS = ['bridge', 'bip', 'default-address-pools', 'mtu', 'iptables', 'ip-masq', 'icc', 'ipv6', 'fixed-cidr-v6'] as const;
// Keys that may be given as a JSON number as well as a string.
const NUMBER_KEYS = new Set(['runtime-create-timeout', 'api-max-json-body', 'api-max-header-size', 'max-layer-size', 'max-compression-ratio']);
// Other object-valued keys, parsed apart from fileKeys.
const OBJECT_KEYS = ['runtimes'];

function readNetworkFile(path: string, required: boolean): Record<string, unknown> {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err: any) {
    if (err.code === 'ENOENT' && !required) return {};
    return {};
  }
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(NETWORK_KEYS.filter((k) => k in json).map((k) => [k, json[k]]));
  } catch { return {}; }
}

function networkSettings(flags: Record<string, any>, file: Record<string, unknown>): DaemonConfig['network'] {
  const both = [['bridge', 'bridge'], ['bip', 'bip'], ['defaultAddressPool', 'default-address-pools'], ['mtu', 'mtu'],
    ['iptables', 'iptables'], ['ipMasq', 'ip-masq'], ['icc', 'icc'], ['ipv6', 'ipv6'], ['fixedCidrV6', 'fixed-cidr-v6']].filter(([f, k]) => flags[f!] !== undefined && file[k!] !== undefined).map(([, k]) => k);
  if (both.length) throw invalid(`the following directives are specified both as a flag and in the configuration file: ${both.join(', ')}`);
  const str = (k: string) => {
    const v = file[k];
    if (v !== undefined && typeof v !== 'string') throw invalid(`configuration file: "${k}" must be a string`);
    return v as string | undefined;
  };
  const bool = (k: string) => {
    const v = file[k];
    if (v !== undefined && typeof v !== 'boolean') throw invalid(`configuration file: "${k}" must be true or false`);
    return v as boolean | undefined;
  };
  let filePools: string[] | undefined;
  if (file['default-address-pools'] !== undefined) {
    const v = file['default-address-pools'];
    if (!Array.isArray(v)) throw invalid('configuration file: "default-address-pools" must be a list of {"base": CIDR, "size": N}');
    filePools = v.map((p: { base?: unknown; size?: unknown }) => `base=${String(p.base)},size=${String(p.size)}`);
  }
  const mtu = flags.mtu ?? (file.mtu as number | undefined);
  if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)) throw invalid(`invalid MTU ${String(mtu)}: want 68 to 65535`);
  return {
    bridge: flags.bridge ?? str('bridge'), bip: flags.bip ?? str('bip'), pools: flags.defaultAddressPool ?? filePools, mtu,
    iptables: flags.iptables ?? bool('iptables'), ipMasq: flags.ipMasq ?? bool('ip-masq'), icc: flags.icc ?? bool('icc'),
    ipv6: flags.ipv6 ?? bool('ipv6'), fixedCidrV6: flags.fixedCidrV6 ?? str('fixed-cidr-v6'),
  };
}

function registryMirrors(list: string[]): string[] {
  for (const m of list) {
    let u: URL;
    try {
      u = new URL(m);
    } catch {
      throw invalid(`invalid mirror: "${m}" is not a valid URI`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`invalid mirror: unsupported scheme "${u.protocol.replace(/:$/, '')}" in "${m}"`);
  }
  return list;
}

function parseCgroupParent(text: string): string {
  const p = '/' + text.replace(/^\/+|\/+$/g, '');
  if (p === '/' || p.split('/').some((c) => c === '.' || c === '..') || /[\s:]/.test(p)) {
    throw invalid(`invalid cgroup-parent ${JSON.stringify(text)}: a cgroup path such as /berth`);
  }
  return p;
}

/** "20s", "1m", "500ms" or a number of seconds; at least 1 s (runc create alone takes ~0.1 s). */
function parseTimeout(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000) : NaN;
  if (!Number.isFinite(ms) || ms < 1000) throw invalid(`invalid runtime-create-timeout ${JSON.stringify(text)}: a duration of at least 1s, like 20s or 1m`);
  return ms;
}

function readConfigFile(path: string, required: boolean): Partial<Record<RawField, string>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err: any) {
    if (err.code === 'ENOENT' && !required) return {};
    throw invalid(`unable to read configuration file ${path}: ${err.message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err: any) {
    throw invalid(`unable to parse configuration file ${path}: ${err.message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw invalid(`configuration file ${path} must hold a JSON object`);
  const unknown = Object.keys(json).filter((k) => !(k in fileKeys) && !(NETWORK_KEYS as readonly string[]).includes(k) && !OBJECT_KEYS.includes(k));
  if (unknown.length) throw invalid(`the following directives don't match any configuration option: ${unknown.join(', ')}`);
  const out: Partial<Record<RawField, string>> = {};
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    if ((NETWORK_KEYS as readonly string[]).includes(k) || OBJECT_KEYS.includes(k)) continue;
    const field = fileKeys[k]!;
    if (BOOL_FIELDS.has(field)) {
      if (typeof v !== 'boolean') throw invalid(`${path}: "${k}" must be true or false`);
      out[field] = String(v);
    } else if (k === 'log-opts') {
      if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        throw invalid(`${path}: "log-opts" must be an object of strings`);
      }
      out[field] = JSON.stringify(v);
    } else if (LIST_FIELDS.has(field)) {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`${path}: "${k}" must be a list of strings`);
      out[field] = JSON.stringify(v);
    } else if (typeof v === 'string') {
      out[field] = v;
    } else if (NUMBER_KEYS.has(k) && typeof v === 'number') {
      out[field] = String(v);
    } else {
      throw invalid(`${path}: "${k}" must be a string`);
    }
  }
  return out;
}
