// Log drivers as Docker names them. Underneath every driver that keeps
// output is conmon's k8s-file (src/runtime/log-format.ts): conmon writes
// it without berthd in the path, so a slow or absent reader never blocks
// the container and output written while berthd is down is kept. What the
// drivers differ in is what Docker's do: the options each accepts, their
// defaults and messages, LogPath in inspect, and `none` keeping nothing.
//
//   create: resolveLogConfig()  the daemon's default merged in; unknown
//                               drivers and options are a 400 (as dockerd)
//   start:  logFileOptions()    option values parsed; a bad one fails the
//                               start with dockerd's "failed to initialize
//                               logging driver: ..." (dockerd creates such
//                               a container and refuses to start it)
//   logs:   logAttrs()          --details' key=value list

import type { ContainerConfig, LogConfig } from '../../core/container.ts';
import { invalid } from '../../core/errors.ts';
import type { LogFileOptions } from '../../core/runtime.ts';

export const LOG_DRIVERS = ['json-file', 'local', 'none'] as const;
export const DEFAULT_LOG_CONFIG: LogConfig = { type: 'json-file', config: {} };

/** Options any driver takes (dockerd's ValidateLogOpts handles them before the driver's own check). */
const COMMON_OPTS = ['mode', 'max-buffer-size'];
const DRIVER_OPTS: Record<string, { opts: string[]; unknown: (k: string) => string }> = {
  'json-file': {
    opts: ['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'],
    unknown: (k) => `unknown log opt '${k}' for json-file log driver`,
  },
  local: { opts: ['max-file', 'max-size', 'compress'], unknown: (k) => `unknown log opt '${k}' for log driver local` },
  // dockerd takes any option for none through the API (the docker CLI refuses them).
  none: { opts: [], unknown: () => '' },
};

/** Throws dockerd's 400 for an unknown driver or option. */
export function validateLogConfig(lc: LogConfig): void {
  const driver = DRIVER_OPTS[lc.type];
  if (!driver) throw invalid(`error looking up logging plugin ${lc.type}: plugin "${lc.type}" not found`);
  const mode = lc.config.mode;
  if (mode !== undefined && mode !== '' && mode !== 'blocking' && mode !== 'non-blocking') {
    throw invalid(`logger: logging mode not supported: ${mode}`);
  }
  if (lc.config['max-buffer-size'] !== undefined && mode !== 'non-blocking') {
    throw invalid("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  }
  if (lc.type === 'none') return;
  for (const k of Object.keys(lc.config)) {
    if (!COMMON_OPTS.includes(k) && !driver.opts.includes(k)) throw invalid(driver.unknown(k));
  }
}

/**
 * dockerd's mergeAndVerifyLogConfig: no driver means the daemon's; the
 * daemon's options fill in what the container leaves unset when both name
 * the same driver.
 */
export function resolveLogConfig(requested: LogConfig | undefined, daemonDefault: LogConfig = DEFAULT_LOG_CONFIG): LogConfig {
  const type = requested?.type || daemonDefault.type;
  const config = { ...(requested?.config ?? {}) };
  if (type === daemonDefault.type) {
    for (const [k, v] of Object.entries(daemonDefault.config)) if (!(k in config)) config[k] = v;
  }
  const lc = { type, config };
  validateLogConfig(lc);
  return lc;
}

/** What the runtime keeps and rotates, from the options; throws dockerd's start error for a bad value. */
export function logFileOptions(lc: LogConfig | undefined): LogFileOptions {
  const { type, config } = lc ?? DEFAULT_LOG_CONFIG;
  if (type === 'none') return { keep: false };
  try {
    return type === 'local' ? localOptions(config) : jsonFileOptions(config);
  } catch (err) {
    throw invalid(`failed to initialize logging driver: ${(err as Error).message}`);
  }
}

function jsonFileOptions(c: Record<string, string>): LogFileOptions {
  let maxSize: number | undefined;
  if (c['max-size'] !== undefined) {
    maxSize = parseSize(c['max-size'], BINARY);
    if (maxSize <= 0) throw new Error('max-size must be a positive number');
  }
  let maxFiles = 1;
  if (c['max-file'] !== undefined) {
    maxFiles = atoi(c['max-file']);
    if (maxFiles < 1) throw new Error('max-file cannot be less than 1');
  }
  const compress = c.compress !== undefined ? parseBool(c.compress) : false;
  if (compress && (maxFiles < 2 || maxSize === undefined)) {
    throw new Error('compress cannot be true when max-file is less than 2 or max-size is not set');
  }
  // Without max-size, json-file never rotates: max-file alone means nothing.
  return maxSize === undefined ? { keep: true } : { keep: true, maxSize, maxFiles, compress };
}

// Docker's local driver: 20 MiB files, 5 of them, compressed, unless told otherwise.
function localOptions(c: Record<string, string>): LogFileOptions {
  const maxSize = c['max-size'] !== undefined ? parseSize(c['max-size'], DECIMAL) : 20 * 1024 * 1024;
  let maxFiles = 5;
  if (c['max-file'] !== undefined) {
    try {
      maxFiles = atoi(c['max-file']);
    } catch (err) {
      throw new Error(`error reading max-file: ${(err as Error).message}`);
    }
  }
  let compress = true;
  if (c.compress !== undefined) {
    try {
      compress = parseBool(c.compress);
    } catch (err) {
      throw new Error(`error reading compress log option: ${(err as Error).message}`);
    }
  }
  if (maxSize < 0) throw new Error('max size should be a positive number');
  if (maxFiles < 0) throw new Error('max file count cannot be less than 0');
  if (compress && maxFiles <= 1) throw new Error('compression cannot be enabled when max file count is 1');
  // A max-size of 0 keeps one unbounded file, as Docker's local driver does.
  return maxSize === 0 ? { keep: true } : { keep: true, maxSize, maxFiles: Math.max(1, maxFiles), compress };
}

/**
 * json-file's attributes for --details (dockerd's Info.ExtraAttributes):
 * the labels and env variables the labels/env options name or their
 * -regex options match, sorted by key.
 */
export function logAttrs(lc: LogConfig | undefined, config: Pick<ContainerConfig, 'labels' | 'env'>): Array<[string, string]> {
  if (!lc || lc.type !== 'json-file') return [];
  const o = lc.config;
  const out = new Map<string, string>();
  const labels = config.labels ?? {};
  for (const k of list(o.labels)) if (Object.hasOwn(labels, k)) out.set(k, labels[k]!);
  const labelsRe = regex(o['labels-regex']);
  if (labelsRe) for (const [k, v] of Object.entries(labels)) if (labelsRe.test(k)) out.set(k, v);
  const env = new Map<string, string>();
  for (const e of config.env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) env.set(e.slice(0, i), e.slice(i + 1));
  }
  for (const k of list(o.env)) if (env.has(k)) out.set(k, env.get(k)!);
  const envRe = regex(o['env-regex']);
  if (envRe) for (const [k, v] of env) if (envRe.test(k)) out.set(k, v);
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const list = (s: string | undefined) => (s ? s.split(',') : []);

function regex(s: string | undefined): RegExp | null {
  if (!s) return null;
  try {
    return new RegExp(s);
  } catch {
    return null;
  }
}

const BINARY = 1024;
const DECIMAL = 1000;

/** go-units: RAMInBytes (binary) for json-file, FromHumanSize (decimal) for local. */
function parseSize(s: string, base: number): number {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const power = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.trunc(Number(m[1]) * base ** power);
}

function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

function parseBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}
