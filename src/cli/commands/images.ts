// berth images: GET /images/json, one row per repository:tag.

import type { CommandDef } from '../command.ts';
import { maxArgs } from '../command.ts';
import { filterFlag, formatFlag, list, str } from './common.ts';
import { addFilter, filtersToJson, parseFilters } from '../options/filters.ts';
import { IMAGE_HEADER, imageContext, imageRows } from '../format/contexts.ts';
import { DEFAULT_QUIET_FORMAT, TABLE, isTable, renderFormat } from '../format/formatter.ts';

const DEFAULT_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const DIGEST_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

/** formatter.NewImageFormat */
export function imageFormat(source: string, quiet: boolean, digest: boolean): string {
  if (source === TABLE) return quiet ? DEFAULT_QUIET_FORMAT : digest ? DIGEST_TABLE : DEFAULT_TABLE;
  if (source === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return digest
      ? 'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n'
      : 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
  }
  if (isTable(source) && digest && !source.includes('{{.Digest}}')) return `${source}\t{{.Digest}}`;
  return source;
}

export const images: CommandDef = {
  name: 'images',
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  args: maxArgs(1),
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only show image IDs' },
    { name: 'all', short: 'a', type: 'bool', usage: 'Show all images (default hides intermediate images)' },
    { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
    { name: 'digests', type: 'bool', usage: 'Show digests' },
    formatFlag,
    filterFlag,
  ],
  async run(ctx, args, flags) {
    const filters = parseFilters(list(flags.values.filter));
    if (args[0]) addFilter(filters, 'reference', args[0]);
    const found = await ctx.client.images.list({ all: flags.values.all === true, filters: filtersToJson(filters) });
    const quiet = flags.values.quiet === true;
    const digests = flags.values.digests === true;
    const format = imageFormat(str(flags.values.format) || TABLE, quiet, digests);
    const trunc = flags.values['no-trunc'] !== true;
    const now = ctx.now();
    const rows = imageRows(found, digests, format.includes('{{.Digest}}')).map((r) => imageContext(r, trunc, now));
    ctx.io.stdout.write(renderFormat(format, rows, IMAGE_HEADER));
  },
};
