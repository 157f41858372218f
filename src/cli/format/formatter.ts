// docker's formatter.Context: a --format string is "table ..." (aligned
// columns with a header row), "json" ({{json .}} per line), or a custom
// template (one line per item). Literal "\t" and "\n" in the format become
// tab and newline. Errors read "template parsing error: ...", as docker's.

import { Template, TemplateExecError, TemplateParseError } from './template.ts';
import type { TemplateFunc } from './template.ts';
import { headerFuncs } from './template-funcs.ts';
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

export function parseFormat(format: string, funcs?: Record<string, TemplateFunc>): Template {
  try {
    return new Template(preFormat(format), { funcs });
  } catch (err) {
    if (err instanceof TemplateParseError) throw new FormatError(`template parsing error: ${err.message}`);
    throw err;
  }
}

/**
 * Renders items with a format. `header` maps field names to column titles
 * for "table" formats (docker's SubHeaderContext).
 */
export function renderFormat(format: string, items: readonly unknown[], header: Record<string, string>): string {
  return renderPlain(format, items, header) ?? renderTemplate(format, items, header);
}

/**
 * renderFormat for a format of text and `{{.Field}}` only (the default
 * tables of ps, images...) whose fields all print as plain strings: no
 * template to lex, parse and run cold at every start (docs/benchmarks.md,
 * CLI start time). Undefined for anything else, which the template engine
 * prints (test/unit/cli/formatter-plain.test.ts checks both agree).
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

/** renderFormat through the template engine. */
export function renderTemplate(format: string, items: readonly unknown[], header: Record<string, string>): string {
  const tmpl = parseFormat(format);
  let body = '';
  for (const item of items) {
    try {
      body += `${tmpl.execute(item, { missingKey: 'default' })}\n`;
    } catch (err) {
      if (err instanceof TemplateExecError) throw new FormatError(`template parsing error: ${err.message}`);
      throw err;
    }
  }
  if (!isTable(format)) return body;
  // docker ignores errors while rendering the header row and keeps what was written.
  const head = tmpl.executePartial(header, { funcs: headerFuncs });
  return tabwrite(`${head}\n${body}`);
}
