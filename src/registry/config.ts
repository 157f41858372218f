// The registry's configuration: a JSON file (--config) overridden by flags.
//
//   {
//     "listen": "127.0.0.1:5000",
//     "root": "/var/lib/berth-registry",
//     "readOnly": false,
//     "delete": true,
//     "maxManifestBytes": 4194304,
//     "tls": { "cert": "/path/cert.pem", "key": "/path/key.pem" },
//     "gc": { "interval": "24h", "grace": "1h" },
//     "proxy": { "remoteurl": "https://upstream.example", "username": "u", "password": "p" },
//     "auth": { "htpasswd": "/path/htpasswd", "realm": "berth",
//               "token": { "service": "berth-registry", "expiresIn": 300,
//                          "acl": [{ "account": "*", "name": "*", "actions": ["*"] }] } }
//     "auth": { "htpasswd": "/path/htpasswd", "realm": "berth" }
//   }
//
// Every value is checked here, once, with a message naming the bad one.

import * as fs from 'node:fs';
import { invalid } from '../core/errors.ts';

export interface AuthConfig {
  /** htpasswd file (bcrypt entries). */
  htpasswd?: string;
  realm?: string;
  /** Built-in token service: the registry issues and checks its own JWTs. */
  token?: { issuer?: string; service?: string; expiresIn?: number; key?: string; acl?: AclEntry[] };
}

/** Who may do what: account glob ("*" anyone authenticated), repository glob, actions. */
export interface AclEntry {
  account: string;
  name: string;
  actions: string[];
}

export interface RegistryConfig {
  listen: string;
  root: string;
  readOnly: boolean;
  deleteEnabled: boolean;
  maxManifestBytes: number;
  tls?: { cert: Buffer; key: Buffer; certFile: string; keyFile: string };
  auth?: AuthConfig;
  /** Garbage collection while serving: every intervalMs (0: never); blobs younger than graceMs stay. */
  gc: { intervalMs: number; graceMs: number };
  /** Pull-through cache of this upstream (pushes and deletes refused). */
  proxy?: { remoteUrl: string; username?: string; password?: string };
  /** Log sink for server faults (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface RegistryFlags {
  config?: string;
  listen?: string;
  root?: string;
  readOnly?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  htpasswd?: string;
  /** Bearer tokens from the built-in token service. */
  token?: boolean;
  gcInterval?: string;
  gcGrace?: string;
  /** Upstream URL: run as a pull-through cache. */
  proxyUpstream?: string;
}

const DURATION_MS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** A Go-style duration ("24h", "1h30m", "90s", "0") in milliseconds. */
export function parseDurationMs(v: unknown, what: string): number {
  if (v === 0 || v === '0') return 0;
  const s = typeof v === 'string' ? v.trim() : '';
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let ms = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    ms += Number(m[1]) * DURATION_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (!s || pos !== s.length) throw invalid(`invalid ${what} ${JSON.stringify(v)} (want a duration such as "24h", "30m" or "0")`);
  return Math.round(ms);
}

const DEFAULTS = { listen: '127.0.0.1:5000', root: '/var/lib/berth-registry', maxManifestBytes: 4 << 20 };

function readFile(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    throw invalid(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function loadConfig(flags: RegistryFlags): RegistryConfig {
  let file: Record<string, any> = {};
  if (flags.config) {
    try {
      file = JSON.parse(readFile(flags.config, 'config file').toString());
    } catch (err) {
      if (err instanceof SyntaxError) throw invalid(`config file ${flags.config}: ${err.message}`);
      throw err;
    }
    if (!file || typeof file !== 'object' || Array.isArray(file)) throw invalid(`config file ${flags.config}: not a JSON object`);
    const known = new Set(['listen', 'root', 'readOnly', 'delete', 'maxManifestBytes', 'tls', 'auth', 'gc', 'proxy']);
    for (const k of Object.keys(file)) if (!known.has(k)) throw invalid(`config file ${flags.config}: unknown key "${k}"`);
  }
  const listen = flags.listen ?? file.listen ?? DEFAULTS.listen;
  if (typeof listen !== 'string' || !/^(\[[^\]]+\]|[^:]*):\d{1,5}$/.test(listen)) throw invalid(`invalid listen address ${JSON.stringify(listen)} (want ADDR:PORT)`);
  const root = flags.root ?? file.root ?? DEFAULTS.root;
  if (typeof root !== 'string' || !root) throw invalid('root directory must be a path');
  const maxManifestBytes = file.maxManifestBytes ?? DEFAULTS.maxManifestBytes;
  if (!Number.isSafeInteger(maxManifestBytes) || maxManifestBytes < 1024) throw invalid(`invalid maxManifestBytes ${JSON.stringify(maxManifestBytes)}`);
  const cfg: RegistryConfig = {
    listen, root,
    readOnly: flags.readOnly ?? file.readOnly === true,
    deleteEnabled: file.delete !== false,
    maxManifestBytes,
    gc: {
      intervalMs: parseDurationMs(flags.gcInterval ?? file.gc?.interval ?? '0', 'gc interval'),
      graceMs: parseDurationMs(flags.gcGrace ?? file.gc?.grace ?? '1h', 'gc grace period'),
    },
  };
  if (file.gc !== undefined && (typeof file.gc !== 'object' || Array.isArray(file.gc) || Object.keys(file.gc).some((k) => k !== 'interval' && k !== 'grace'))) {
    throw invalid(`config file ${flags.config}: "gc" takes only "interval" and "grace"`);
  }
  const proxy = file.proxy as Record<string, unknown> | undefined;
  if (proxy !== undefined && (typeof proxy !== 'object' || Array.isArray(proxy) || Object.keys(proxy).some((k) => !['remoteurl', 'username', 'password'].includes(k)))) {
    throw invalid(`config file ${flags.config}: "proxy" takes only "remoteurl", "username" and "password"`);
  }
  const remote = flags.proxyUpstream ?? proxy?.remoteurl;
  if (remote !== undefined) {
    let u: URL | null;
    try { u = new URL(String(remote)); } catch { u = null; }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || (u.pathname !== '/' && u.pathname !== '')) {
      throw invalid(`invalid proxy upstream ${JSON.stringify(remote)} (want http(s)://HOST[:PORT])`);
    }
    cfg.proxy = {
      remoteUrl: `${u.protocol}//${u.host}`,
      ...(typeof proxy?.username === 'string' ? { username: proxy.username } : {}),
      ...(typeof proxy?.password === 'string' ? { password: proxy.password } : {}),
    };
  }
  if (cfg.gc.intervalMs > 0 && cfg.gc.intervalMs < 1000) throw invalid('gc interval must be at least 1s');
  const certFile = flags.tlsCert ?? file.tls?.cert;
  const keyFile = flags.tlsKey ?? file.tls?.key;
  if (!!certFile !== !!keyFile) throw invalid('TLS needs both a certificate and a key (--tls-cert and --tls-key)');
  if (certFile && keyFile) {
    cfg.tls = { cert: readFile(certFile, 'TLS certificate'), key: readFile(keyFile, 'TLS key'), certFile, keyFile };
  }
  const auth: AuthConfig = { ...(file.auth ?? {}) };
  if (flags.htpasswd) auth.htpasswd = flags.htpasswd;
  if (flags.token) auth.token = { ...(auth.token ?? {}) };
  if (auth.token && !auth.htpasswd && !(auth.token.acl ?? []).length) throw invalid('token auth needs an htpasswd file or an ACL granting anonymous access');
  if (auth.htpasswd || auth.token) cfg.auth = auth;
  return cfg;
}
