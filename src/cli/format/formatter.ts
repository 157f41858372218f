// docker's formatter.Context: a --format string is "table ..." (aligned
// columns with a header row), "json" ({{json .}} per line), or a custom
// template (one line per item). Literal "\t" and "\n" in the format become
// tab and newline. Errors read "template parsing error: ...", as docker's.

import { Template, TemplateExecError, TemplateParseError } from './template.ts';
import type { TemplateFunc } from './template.ts';
import { headerFuncs } from './template-funcs.ts';
import { tabwrite } from './tabwriter.ts';
import { FormatError, isTable, preFormat, renderPlain } from './plain.ts';

export { DEFAULT_QUIET_FORMAT, FormatError, JSON_FORMAT, TABLE, isTable, preFormat, renderPlain } from './plain.ts';

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
  // Plain formats first (plain.ts): the engine runs cold in every process.
  return renderPlain(format, items, header) ?? renderTemplate(format, items, header);
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
