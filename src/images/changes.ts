// `docker import --change` / `docker commit --change`: Dockerfile
// instructions applied to an image's run config. Same words, quoting and
// $VAR expansion as a Dockerfile; only the instructions that change config.

import path from 'node:path';
import { invalid } from '../core/errors.ts';
import type { ImageRunConfig } from '../core/image.ts';
import { healthcheckChange } from './change-healthcheck.ts';

const VALID = new Set(['cmd', 'entrypoint', 'env', 'expose', 'healthcheck', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

/** Splits change strings into instructions: joined by newlines, "\" continues a line, "#" comments. */
function instructions(changes: string[]): Array<{ cmd: string; rest: string }> {
  const out: Array<{ cmd: string; rest: string }> = [];
  let pending = '';
  for (const raw of changes.join('\n').split('\n')) {
    const line = raw.trimStart();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (/\\\s*$/.test(line)) { pending += line.replace(/\\\s*$/, ''); continue; }
    const full = (pending + line).trim();
    pending = '';
    if (full === '') continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(full)!;
    out.push({ cmd: m[1].toLowerCase(), rest: m[2].trim() });
  }
  if (pending.trim()) {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(pending.trim())!;
    out.push({ cmd: m[1].toLowerCase(), rest: m[2].trim() });
  }
  return out;
}

export function applyChanges(base: ImageRunConfig, changes: string[]): ImageRunConfig {
  const cfg: ImageRunConfig = structuredClone(base);
  const list = instructions(changes);
  for (const { cmd } of list) {
    if (!VALID.has(cmd)) throw invalid(`${cmd} is not a valid change command`);
  }
  let cmdSet = false;
  for (const { cmd, rest } of list) {
    const env = cfg.Env ?? [];
    switch (cmd) {
      case 'cmd':
        cfg.Cmd = commandForm(rest, cfg);
        cmdSet = true;
        break;
      case 'entrypoint':
        cfg.Entrypoint = commandForm(rest, cfg);
        // Docker: a new ENTRYPOINT drops the inherited CMD unless CMD was set here too.
        if (!cmdSet) cfg.Cmd = null;
        break;
      case 'env':
        for (const [k, v] of pairs(rest, env, 'ENV')) cfg.Env = setEnv(cfg.Env ?? [], k, v);
        break;
      case 'label':
        cfg.Labels = { ...cfg.Labels };
        for (const [k, v] of pairs(rest, env, 'LABEL')) cfg.Labels[k] = v;
        break;
      case 'expose':
        cfg.ExposedPorts = { ...cfg.ExposedPorts };
        for (const w of words(rest, env)) for (const p of parsePorts(w)) cfg.ExposedPorts[p] = {};
        break;
      case 'user':
        cfg.User = one(rest, env, 'USER');
        break;
      case 'volume': {
        cfg.Volumes = { ...cfg.Volumes };
        const vols = jsonArray(rest) ?? words(rest, env);
        if (vols.length === 0) throw invalid('VOLUME requires at least one argument');
        for (const v of vols) {
          if (v.trim() === '') throw invalid('VOLUME specified can not be an empty string');
          cfg.Volumes[v] = {};
        }
        break;
      }
      case 'workdir': {
        const dir = one(rest, env, 'WORKDIR');
        cfg.WorkingDir = path.posix.isAbsolute(dir) ? path.posix.normalize(dir) : path.posix.join(cfg.WorkingDir || '/', dir);
        break;
      }
      case 'stopsignal': {
        const sig = one(rest, env, 'STOPSIGNAL');
        validateSignal(sig);
        cfg.StopSignal = sig;
        break;
      }
      case 'healthcheck':
        cfg.Healthcheck = healthcheckChange(rest, cfg.Healthcheck);
        break;
      case 'onbuild': {
        const trigger = /^(\S+)/.exec(rest)?.[1]?.toUpperCase();
        if (!trigger) throw invalid('ONBUILD requires at least one argument');
        if (trigger === 'ONBUILD') throw invalid('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
        if (trigger === 'FROM' || trigger === 'MAINTAINER') throw invalid(`${trigger} isn't allowed as an ONBUILD trigger`);
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest];
        break;
      }
    }
  }
  return cfg;
}

function jsonArray(rest: string): string[] | null {
  if (!rest.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(rest);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {}
  return null;
}

function commandForm(rest: string, cfg: ImageRunConfig): string[] {
  const exec = jsonArray(rest);
  if (exec) return exec;
  return [...(cfg.Shell?.length ? cfg.Shell : ['/bin/sh', '-c']), rest];
}

/** USER, WORKDIR, STOPSIGNAL: the whole rest of the line is the one argument. */
function one(rest: string, env: string[], what: string): string {
  if (rest === '') throw invalid(`${what} requires exactly one argument`);
  return words(rest, env, false).join('');
}

function setEnv(env: string[], key: string, value: string): string[] {
  const out = env.filter((e) => e.split('=')[0] !== key);
  out.push(`${key}=${value}`);
  return out;
}

/** ENV/LABEL arguments: `k=v k2="v 2"`, or the legacy `k value with spaces`. */
function pairs(rest: string, env: string[], what: string): Array<[string, string]> {
  const first = /^\S+/.exec(rest)?.[0] ?? '';
  if (first === '') throw invalid(`${what} requires at least one argument`);
  if (!first.includes('=')) {
    const value = rest.slice(first.length).trim();
    if (value === '') throw invalid(`${what} must have two arguments`);
    return [[first, words(value, env, false).join('')]];
  }
  return words(rest, env).map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw invalid(`${what} names can not be blank: "${w}"`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** Splits on unquoted whitespace (unless split is false), removes quotes, expands $VAR and ${VAR...}. */
export function words(s: string, env: string[], split = true): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  const vars = envMap(env);
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (split && /\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '\\' && i + 1 < s.length) { cur += s[++i]; continue; }
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw invalid(`unexpected end of statement while looking for matching single-quote in "${s}"`);
      cur += s.slice(i + 1, end);
      i = end;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '"$\\'.includes(s[j + 1])) { cur += s[++j]; continue; }
        if (s[j] === '$') { const [v, n] = expandAt(s, j, vars); cur += v; j = n - 1; continue; }
        cur += s[j];
      }
      if (j >= s.length) throw invalid(`unexpected end of statement while looking for matching double-quote in "${s}"`);
      i = j;
      continue;
    }
    if (c === '$') { const [v, n] = expandAt(s, i, vars); cur += v; i = n - 1; continue; }
    cur += c;
  }
  if (inWord) out.push(cur);
  return out;
}

function envMap(env: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env) {
    const eq = e.indexOf('=');
    if (eq > 0) m.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return m;
}

/** Expands the variable starting at s[i] === '$'; returns the value and the index after it. */
function expandAt(s: string, i: number, vars: Map<string, string>): [string, number] {
  if (s[i + 1] === '{') {
    const end = s.indexOf('}', i + 2);
    if (end < 0) throw invalid(`missing '}' in "${s}"`);
    const inner = s.slice(i + 2, end);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([\s\S]*))?$/.exec(inner);
    if (!m) throw invalid(`bad substitution: \${${inner}}`);
    const val = vars.get(m[1]);
    if (m[2] === '-') return [val ? val : m[3], end + 1];
    if (m[2] === '+') return [val ? m[3] : '', end + 1];
    return [val ?? '', end + 1];
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
  if (!m) return ['$', i + 1];
  return [vars.get(m[0]) ?? '', i + 1 + m[0].length];
}

/** "80", "80/udp", "8000-8010/tcp" -> ["80/tcp", ...]. */
export function parsePorts(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/([a-zA-Z]+))?$/.exec(spec);
  if (!m) throw invalid(`invalid port "${spec}"`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw invalid(`invalid proto "${m[3]}" in port "${spec}"`);
  const start = Number(m[1]);
  const end = m[2] !== undefined ? Number(m[2]) : start;
  if (start < 1 || end > 65535 || end < start) throw invalid(`invalid port "${spec}"`);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

const SIGNALS = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE',
  'POLL', 'PROF', 'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU',
  'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ',
]);

export function validateSignal(sig: string): void {
  if (/^\d+$/.test(sig)) {
    const n = Number(sig);
    if (n >= 1 && n <= 64) return;
  } else {
    const name = sig.toUpperCase().replace(/^SIG/, '');
    if (SIGNALS.has(name) || /^RTMIN(\+\d+)?$|^RTMAX(-\d+)?$/.test(name)) return;
  }
  throw invalid(`Invalid signal: ${sig}`);
}
