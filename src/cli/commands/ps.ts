// berth ps: GET /containers/json, printed with docker's container formatter.

import type { CommandDef } from '../command.ts';
import { noArgs } from '../command.ts';
import { filterFlag, formatFlag, list, str } from './common.ts';
import { filtersToJson, parseFilters } from '../options/filters.ts';
import { CONTAINER_HEADER, containerContext } from '../format/contexts.ts';
import { DEFAULT_QUIET_FORMAT, FormatError, TABLE, renderPlain } from '../format/plain.ts';

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** formatter.NewContainerFormat */
export function containerFormat(source: string, quiet: boolean, size: boolean): string {
  switch (source) {
    case TABLE:
    case '':
      if (quiet) return DEFAULT_QUIET_FORMAT;
      return size ? `${DEFAULT_TABLE}\\t{{.Size}}` : DEFAULT_TABLE;
    case 'raw': {
      if (quiet) return 'container_id: {{.ID}}';
      let f = 'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\n' +
        'state: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';
      if (size) f += 'size: {{.Size}}\\n';
      return f;
    }
    default:
      return quiet ? DEFAULT_QUIET_FORMAT : source;
  }
}

/**
 * Parses and dry-runs a custom format, as docker does, to learn whether it reads .Size.
 * The template engine is imported here and in run() only when a format needs it: ps's
 * default table is plain (plain.ts), and the engine is ~45 KiB to compile at every start.
 */
async function formatUsesSize(format: string): Promise<boolean> {
  const { Template, TemplateExecError, TemplateParseError } = await import('../format/template.ts');
  let tmpl: InstanceType<typeof Template>;
  try {
    tmpl = new Template(format);
  } catch (err) {
    if (err instanceof TemplateParseError) throw new FormatError(`failed to parse template: ${err.message}`);
    throw err;
  }
  let used = false;
  const probe = containerContext({ Id: '', Names: [], Image: '', ImageID: '', Command: '', Created: 0, State: '', Status: '' },
    { trunc: true, onSize: () => { used = true; } });
  try {
    tmpl.execute(probe);
  } catch (err) {
    if (err instanceof TemplateExecError) throw new FormatError(`failed to execute template: ${err.message}`);
    throw err;
  }
  return used;
}

export const ps: CommandDef = {
  name: 'ps',
  usage: '[OPTIONS]',
  description: 'List containers',
  args: noArgs,
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display container IDs' },
    { name: 'size', short: 's', type: 'bool', usage: 'Display total file sizes' },
    { name: 'all', short: 'a', type: 'bool', usage: 'Show all containers (default shows just running)' },
    { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
    { name: 'latest', short: 'l', type: 'bool', usage: 'Show the latest created container (includes all states)' },
    { name: 'last', short: 'n', type: 'int', default: -1, usage: 'Show n last created containers (includes all states)' },
    formatFlag,
    filterFlag,
  ],
  async run(ctx, _args, flags) {
    const quiet = flags.values.quiet === true;
    const format = str(flags.values.format);
    if (format && quiet) ctx.err('WARNING: Ignoring custom format, because both --format and --quiet are set.');
    let size = flags.values.size === true;
    if (format && await formatUsesSize(format) && !quiet && !size && !flags.changed.has('size')) size = true;
    let limit = flags.values.last as number;
    if (flags.values.latest === true && limit === -1) limit = 1;
    const containers = await ctx.client.containers.list({
      all: flags.values.all === true,
      limit,
      size,
      filters: filtersToJson(parseFilters(list(flags.values.filter))),
    });
    const trunc = flags.values['no-trunc'] !== true;
    const now = ctx.now();
    const rows = containers.map((c) => containerContext(c, { trunc, now }));
    const fmt = containerFormat(format, quiet, size);
    ctx.io.stdout.write(renderPlain(fmt, rows, CONTAINER_HEADER) ?? (await import('../format/formatter.ts')).renderTemplate(fmt, rows, CONTAINER_HEADER));
  },
};
