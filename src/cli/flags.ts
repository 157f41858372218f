// Flag parsing with pflag's rules, which docker's commands use and scripts
// rely on: "--rm=false", "-it", "-p80:80", "-e=K=V", "--" ends flags,
// run/create stop at the image name (non-interspersed). The messages are
// pflag's ("unknown flag: --foo", "flag needs an argument: 'e' in -e").
// Commander dispatches commands; each command's own flags are read here.

export type FlagType = 'bool' | 'string' | 'int' | 'list' | 'filter' | 'duration' | 'bytes' | 'decimal';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  usage: string;
  /** Shown as "(default ...)" in help and used when the flag is absent. */
  default?: string | number | boolean;
  hidden?: boolean;
  /** pflag prints "Flag --NAME has been deprecated, MESSAGE" when the flag is used. */
  deprecated?: string;
  /** Validates or normalises one value; throw to reject it (the message follows "invalid argument"). */
  validate?: (value: string) => string;
}

export interface ParsedFlags {
  values: Record<string, unknown>;
  /** Flags given on the command line (pflag's Changed). */
  changed: Set<string>;
  args: string[];
  help: boolean;
  warnings: string[];
}

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function displayName(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

function zeroValue(spec: FlagSpec): unknown {
  if (spec.default !== undefined) return spec.default;
  switch (spec.type) {
    case 'bool': return false;
    case 'int': return 0;
    case 'list': case 'filter': return [];
    default: return '';
  }
}

/** strconv.ParseInt(s, 0, 64), as pflag's int flags read values. */
export function parseGoInt(s: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|[1-9][0-9_]*|0)$/.exec(s);
  if (!m) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const body = m[2].replace(/_/g, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (body.length > 1 && body.startsWith('0')) n = parseInt(body.slice(1), 8);
  else n = parseInt(body, 10);
  if (!Number.isSafeInteger(n)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return m[1] === '-' ? -n : n;
}

export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[], interspersed = true): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const values: Record<string, unknown> = {};
  for (const s of specs) values[s.name] = zeroValue(s);
  const changed = new Set<string>();
  const warnings: string[] = [];
  const args: string[] = [];
  let help = false;

  const set = (spec: FlagSpec, raw: string) => {
    let value: unknown;
    try {
      const v = spec.validate ? spec.validate(raw) : raw;
      switch (spec.type) {
        case 'bool':
          if (TRUE.has(v)) value = true;
          else if (FALSE.has(v)) value = false;
          else throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
          break;
        case 'int': value = parseGoInt(v); break;
        case 'list': case 'filter':
          value = [...(changed.has(spec.name) ? values[spec.name] as string[] : []), v];
          break;
        default: value = v;
      }
    } catch (err) {
      throw new FlagError(`invalid argument ${JSON.stringify(raw)} for ${JSON.stringify(displayName(spec))} flag: ${(err as Error).message}`);
    }
    values[spec.name] = value;
    if (spec.deprecated && !changed.has(spec.name)) warnings.push(`Flag --${spec.name} has been deprecated, ${spec.deprecated}`);
    changed.add(spec.name);
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { args.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith('-') || a === '-') {
      if (!interspersed) { args.push(...argv.slice(i)); break; }
      args.push(a);
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = byName.get(name);
      if (!spec) {
        if (name === 'help') { help = true; continue; }
        throw new FlagError(`unknown flag: --${name}`);
      }
      if (eq >= 0) set(spec, a.slice(eq + 1));
      else if (spec.type === 'bool') set(spec, 'true');
      else if (i + 1 < argv.length) set(spec, argv[++i]);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    // A run of shorthands: "-it", "-p80", "-e=K=V", "-d=false".
    const shorts = a.slice(1);
    for (let j = 0; j < shorts.length; j++) {
      const c = shorts[j];
      const spec = byShort.get(c);
      if (!spec) {
        if (c === 'h') { help = true; continue; }
        throw new FlagError(`unknown shorthand flag: '${c}' in -${shorts.slice(j)}`);
      }
      const rest = shorts.slice(j + 1);
      if (rest.startsWith('=')) { set(spec, rest.slice(1)); break; }
      if (spec.type === 'bool') { set(spec, 'true'); continue; }
      if (rest.length > 0) { set(spec, rest); break; }
      if (i + 1 < argv.length) { set(spec, argv[++i]); break; }
      throw new FlagError(`flag needs an argument: '${c}' in -${shorts.slice(j)}`);
    }
  }
  return { values, changed, args, help, warnings };
}

function typeLabel(spec: FlagSpec): string {
  return spec.type === 'bool' ? '' : spec.type === 'filter' ? 'filter' : spec.type;
}

/** pflag's FlagUsages layout: sorted, aligned, "(default ...)" for non-zero defaults. */
export function flagUsages(specs: readonly FlagSpec[]): string {
  const visible = [...specs].filter((s) => !s.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines = visible.map((s) => {
    let line = s.short ? `  -${s.short}, --${s.name}` : `      --${s.name}`;
    const label = typeLabel(s);
    if (label) line += ` ${label}`;
    let usage = s.usage;
    const d = s.default;
    if (d !== undefined && d !== '' && d !== false && d !== 0) {
      usage += s.type === 'string' ? ` (default ${JSON.stringify(d)})` : ` (default ${d})`;
    }
    if (s.deprecated) usage += ` (DEPRECATED: ${s.deprecated})`;
    return { head: line, usage };
  });
  const maxlen = Math.max(0, ...lines.map((l) => l.head.length));
  const indent = ' '.repeat(maxlen + 3);
  return lines.map((l) => `${l.head} ${' '.repeat(maxlen - l.head.length + 1)} ${l.usage.split('\n').join(`\n${indent}`)}`).join('\n');
}
