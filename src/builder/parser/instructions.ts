// Instructions to typed commands and stages. Arguments stay unexpanded
// here: expansion needs the ENV and ARG values in force at that step,
// which only the executor knows. Flags are checked per instruction
// (Docker's "Unknown flag" errors), argument counts too, with line numbers.

import { parseDockerfile, parseError, type Directives, type Heredoc, type Instruction } from './parser.ts';

export interface Flags {
  get(name: string): string | undefined;
  all(name: string): string[];
  bool(name: string): boolean;
}

type FlagKind = 'string' | 'bool' | 'list';

function parseFlags(ins: Instruction, allowed: Record<string, FlagKind>): Flags {
  const values = new Map<string, string[]>();
  for (const f of ins.flags) {
    const body = f.slice(2);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const kind = allowed[name];
    if (!kind) throw parseError(ins.line, `Unknown flag: ${name}`);
    if (eq < 0 && kind !== 'bool') throw parseError(ins.line, `Missing a value on flag: ${name}`);
    const value = eq < 0 ? 'true' : body.slice(eq + 1);
    if (kind === 'bool' && !/^(true|false)$/i.test(value)) throw parseError(ins.line, `expecting boolean value for flag ${name}, not: ${value}`);
    if (kind !== 'list' && values.has(name)) throw parseError(ins.line, `Duplicate flag specified: ${name}`);
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return {
    get: (n) => values.get(n)?.[0],
    all: (n) => values.get(n) ?? [],
    bool: (n) => (values.get(n)?.[0] ?? 'false').toLowerCase() === 'true',
  };
}

/** JSON array of strings, or null for the shell form. */
export function jsonArgs(s: string): string[] | null {
  if (!s.trimStart().startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch { /* shell form */ }
  return null;
}

/** Docker's parseWords: whitespace-separated, quotes and escapes kept for later expansion. */
export function rawWords(s: string, escape: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (!quote && /\s/.test(c)) { if (cur) { out.push(cur); cur = ''; } continue; }
    if (c === escape && i + 1 < s.length && quote !== "'") { cur += c + s[i + 1]; i++; continue; }
    if (quote && c === quote) quote = '';
    else if (!quote && (c === '"' || c === "'")) quote = c;
    cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

export type Command =
  | { kind: 'from'; image: string; name?: string; platform?: string }
  | { kind: 'run'; exec: string[] | null; script: string; mounts: string[]; network?: string; heredocs: Heredoc[] }
  | { kind: 'cmd' | 'entrypoint' | 'shell'; exec: string[] | null; script: string }
  | { kind: 'env' | 'label'; pairs: Array<[string, string]>; /** Not expanded (the API's labels). */ literal?: boolean }
  | { kind: 'arg'; args: Array<{ name: string; value?: string }> }
  | {
    kind: 'copy' | 'add'; sources: string[]; dest: string; from?: string; chown?: string; chmod?: string; link: boolean;
    exclude: string[]; heredocs: Heredoc[]; checksum?: string; keepGitDir: boolean; parents: boolean;
  }
  | { kind: 'expose' | 'volume'; values: string[]; json: boolean }
  | { kind: 'user' | 'workdir' | 'stopsignal' | 'maintainer'; value: string }
  | { kind: 'onbuild'; expression: string }
  | {
    kind: 'healthcheck'; test: string[]; interval?: string; timeout?: string; startPeriod?: string;
    startInterval?: string; retries?: string;
  };

export type Step = Command & { ins: Instruction };

export interface Stage {
  index: number;
  name?: string;
  from: Step & { kind: 'from' };
  steps: Step[];
}

export interface Dockerfile {
  directives: Directives;
  /** ARGs before the first FROM. */
  metaArgs: Array<Step & { kind: 'arg' }>;
  stages: Stage[];
  warnings: string[];
}

function pairs(ins: Instruction, escape: string, what: string): Array<[string, string]> {
  const words = rawWords(ins.args, escape);
  if (words.length === 0) throw parseError(ins.line, `${what} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    // Legacy "ENV key value with spaces".
    const value = ins.args.trim().slice(words[0]!.length).trim();
    if (!value) throw parseError(ins.line, `${what} must have two arguments`);
    return [[words[0]!, value]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) throw parseError(ins.line, `Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (eq === 0) throw parseError(ins.line, `${what} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

export function toCommand(ins: Instruction, escape: string): Command {
  const a = ins.args.trim();
  const need = (n: number, what: string) => {
    if (a === '' && ins.heredocs.length === 0) throw parseError(ins.line, `${what} requires at least ${n === 1 ? 'one argument' : `${n} arguments`}`);
  };
  switch (ins.cmd) {
    case 'from': {
      const f = parseFlags(ins, { platform: 'string' });
      const w = a.split(/\s+/).filter(Boolean);
      if (w.length !== 1 && !(w.length === 3 && w[1]!.toLowerCase() === 'as')) {
        throw parseError(ins.line, 'FROM requires either one or three arguments');
      }
      if (w.length === 3 && !/^[a-z][a-z0-9-_.]*$/i.test(w[2]!)) {
        throw parseError(ins.line, `invalid name for build stage: "${w[2]}", name can't start with a number or contain symbols`);
      }
      return { kind: 'from', image: w[0]!, ...(w[2] ? { name: w[2].toLowerCase() } : {}), ...(f.get('platform') ? { platform: f.get('platform') } : {}) };
    }
    case 'run': {
      const f = parseFlags(ins, { mount: 'list', network: 'string', security: 'string' });
      need(1, 'RUN');
      const net = f.get('network');
      if (net && !['default', 'none', 'host'].includes(net)) throw parseError(ins.line, `unsupported network mode: ${net}`);
      return { kind: 'run', exec: jsonArgs(a), script: a, mounts: f.all('mount'), ...(net ? { network: net } : {}), heredocs: ins.heredocs };
    }
    case 'cmd': case 'entrypoint': case 'shell': {
      parseFlags(ins, {});
      const exec = jsonArgs(a);
      if (ins.cmd === 'shell') {
        if (!exec) throw parseError(ins.line, 'SHELL requires the arguments to be in JSON form');
        if (exec.length === 0) throw parseError(ins.line, 'SHELL requires at least one argument');
      }
      return { kind: ins.cmd, exec, script: a };
    }
    case 'env': case 'label':
      parseFlags(ins, {});
      return { kind: ins.cmd, pairs: pairs(ins, escape, ins.cmd.toUpperCase()) };
    case 'arg': {
      parseFlags(ins, {});
      const words = rawWords(a, escape);
      if (words.length === 0) throw parseError(ins.line, 'ARG requires at least one argument');
      return {
        kind: 'arg',
        args: words.map((w) => {
          const eq = w.indexOf('=');
          if (eq === 0) throw parseError(ins.line, 'ARG names can not be blank');
          return eq < 0 ? { name: w } : { name: w.slice(0, eq), value: w.slice(eq + 1) };
        }),
      };
    }
    case 'copy': case 'add': {
      const allowed: Record<string, FlagKind> = { chown: 'string', chmod: 'string', link: 'bool', exclude: 'list', parents: 'bool' };
      if (ins.cmd === 'copy') allowed.from = 'string';
      else { allowed.checksum = 'string'; allowed['keep-git-dir'] = 'bool'; }
      const f = parseFlags(ins, allowed);
      const exec = jsonArgs(a);
      const words = exec ?? a.split(/\s+/).filter(Boolean);
      const nHere = ins.heredocs.length;
      if (words.length < 2 && !(nHere > 0 && words.length >= 1)) {
        throw parseError(ins.line, `${ins.cmd.toUpperCase()} requires at least two arguments, but only ${words.length} provided`);
      }
      return {
        kind: ins.cmd, sources: words.slice(0, -1), dest: words[words.length - 1]!,
        ...(f.get('from') ? { from: f.get('from') } : {}), ...(f.get('chown') ? { chown: f.get('chown') } : {}),
        ...(f.get('chmod') ? { chmod: f.get('chmod') } : {}), ...(f.get('checksum') ? { checksum: f.get('checksum') } : {}),
        link: f.bool('link'), exclude: f.all('exclude'), heredocs: ins.heredocs, keepGitDir: f.bool('keep-git-dir'), parents: f.bool('parents'),
      };
    }
    case 'expose': case 'volume': {
      parseFlags(ins, {});
      need(1, ins.cmd.toUpperCase());
      const exec = ins.cmd === 'volume' ? jsonArgs(a) : null;
      return { kind: ins.cmd, values: exec ?? a.split(/\s+/).filter(Boolean), json: exec !== null };
    }
    case 'user': case 'workdir': case 'stopsignal': case 'maintainer':
      parseFlags(ins, {});
      if (a === '') throw parseError(ins.line, `${ins.cmd.toUpperCase()} requires exactly one argument`);
      return { kind: ins.cmd, value: a };
    case 'onbuild': {
      parseFlags(ins, {});
      const trigger = /^(\S+)/.exec(a)?.[1]?.toUpperCase();
      if (!trigger) throw parseError(ins.line, 'ONBUILD requires at least one argument');
      if (trigger === 'ONBUILD') throw parseError(ins.line, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trigger === 'FROM' || trigger === 'MAINTAINER') throw parseError(ins.line, `${trigger} isn't allowed as an ONBUILD trigger`);
      return { kind: 'onbuild', expression: a };
    }
    case 'healthcheck': {
      const f = parseFlags(ins, { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' });
      const m = /^(\S+)\s*([\s\S]*)$/.exec(a);
      if (!m) throw parseError(ins.line, 'HEALTHCHECK requires an argument');
      const type = m[1]!.toUpperCase();
      let test: string[];
      if (type === 'NONE') {
        if (m[2]) throw parseError(ins.line, 'HEALTHCHECK NONE takes no arguments');
        test = ['NONE'];
      } else if (type === 'CMD') {
        if (!m[2]) throw parseError(ins.line, 'Missing command after HEALTHCHECK CMD');
        const exec = jsonArgs(m[2]);
        test = exec ? ['CMD', ...exec] : ['CMD-SHELL', m[2]];
      } else {
        throw parseError(ins.line, `Unknown type "${type}" in HEALTHCHECK (try CMD)`);
      }
      return {
        kind: 'healthcheck', test,
        ...(f.get('interval') ? { interval: f.get('interval') } : {}), ...(f.get('timeout') ? { timeout: f.get('timeout') } : {}),
        ...(f.get('start-period') ? { startPeriod: f.get('start-period') } : {}),
        ...(f.get('start-interval') ? { startInterval: f.get('start-interval') } : {}),
        ...(f.get('retries') ? { retries: f.get('retries') } : {}),
      };
    }
  }
  throw parseError(ins.line, `unknown instruction: ${ins.cmd.toUpperCase()}`);
}

export function parse(text: string): Dockerfile {
  const parsed = parseDockerfile(text);
  const esc = parsed.directives.escape;
  const metaArgs: Array<Step & { kind: 'arg' }> = [];
  const stages: Stage[] = [];
  for (const ins of parsed.instructions) {
    const c = { ...toCommand(ins, esc), ins } as Step;
    if (c.kind === 'from') {
      stages.push({ index: stages.length, ...(c.name ? { name: c.name } : {}), from: c, steps: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) {
      if (c.kind !== 'arg') throw parseError(ins.line, `no build stage in current context`);
      metaArgs.push(c);
      continue;
    }
    stage.steps.push(c);
  }
  if (stages.length === 0) throw invalidFile('file with no instructions');
  const names = new Set<string>();
  for (const s of stages) {
    if (s.name && names.has(s.name)) throw parseError(s.from.ins.line, `duplicate stage name "${s.name}"`);
    if (s.name) names.add(s.name);
  }
  return { directives: parsed.directives, metaArgs, stages, warnings: parsed.warnings };
}

function invalidFile(msg: string): Error {
  return parseError(1, msg);
}
