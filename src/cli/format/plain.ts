// The half of docker's formatter.Context that needs no template engine:
// what a --format string stands for ("table ...", "json", a custom
// template), and the printing of formats of text and `{{.Field}}` only
// (the default tables of ps, images...) whose fields are all strings.
// formatter.ts prints everything else through the engine; a command whose
// default output is plain (ps) imports formatter.ts only when it needs it,
// so that its start does not load, compile and evaluate the engine
// (~45 KiB; docs/benchmarks.md, CLI start time).

import { tabwrite } from './tabwriter.ts';
import { isMap, isTyped } from './gofmt.ts';

export const TABLE = 'table';
export const JSON_FORMAT = 'json';
export const DEFAULT_QUIET_FORMAT = '{{.ID}}';

export function isTable(format: string): boolean {
  return format.startsWith(TABLE);
}

/** The template text a format string stands for. */
export function preFormat(format: string): string {
  let f = format;
  if (isTable(f)) f = f.slice(TABLE.length);
  else if (f === JSON_FORMAT) f = '{{json .}}';
  return f.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

/**
 * renderFormat (formatter.ts) for a format of text and `{{.Field}}` only
 * whose fields all print as plain strings: no template to lex, parse and run
 * cold at every start. Undefined for anything else, which the template
 * engine prints (test/unit/cli/formatter-plain.test.ts checks both agree).
 */
export function renderPlain(format: string, items: readonly unknown[], header: Record<string, string>): string | undefined {
  const parts = preFormat(format).split(/\{\{\.([A-Za-z_][A-Za-z0-9_]*)\}\}/);
  if (parts.some((p, i) => i % 2 === 0 && p.includes('{{'))) return undefined;
  const line = (item: unknown): string | undefined => {
    let out = parts[0];
    for (let i = 1; i < parts.length; i += 2) {
      const v = plainField(item, parts[i]);
      if (v === undefined) return undefined;
      out += v + parts[i + 1];
    }
    return out;
  };
  let body = '';
  for (const item of items) {
    const l = line(item);
    if (l === undefined) return undefined;
    body += `${l}\n`;
  }
  if (!isTable(format)) return body;
  const head = line(header);
  return head === undefined ? undefined : tabwrite(`${head}\n${body}`);
}

/** What `{{.name}}` prints for `item` when that is a string; undefined where the template engine must say. */
function plainField(item: unknown, name: string): string | undefined {
  let v: unknown;
  if (isTyped(item)) {
    if (!(name in item)) return undefined;
    v = item[name];
    if (typeof v === 'function') {
      try {
        v = (v as () => unknown)();
      } catch {
        return undefined;
      }
    }
  } else if (isMap(item) && Object.prototype.hasOwnProperty.call(item, name)) {
    v = item[name];
  }
  return typeof v === 'string' ? v : undefined;
}
