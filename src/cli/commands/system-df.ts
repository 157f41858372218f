// berth system df: docker's summary table (or, with -v, a table per kind),
// --format with the same contexts docker's templates see.

import type { CommandDef } from '../command.ts';
import { noArgs } from '../command.ts';
import { formatFlag, str } from './common.ts';
import { volumeContext } from './volume.ts';
import { CONTAINER_HEADER, IMAGE_HEADER } from '../format/contexts.ts';
import {
  CACHE_HEADER, CACHE_TABLE, CONTAINERS_TABLE, IMAGES_TABLE, SUMMARY_HEADER, SUMMARY_RAW, SUMMARY_TABLE, VOLUMES_TABLE,
  buildCacheContext, dfContainerContext, dfImageContext, sortBuildCache, summaryContext, summaryRows,
} from '../format/disk-usage.ts';
import { FormatError, TABLE, isTable, parseFormat, renderFormat } from '../format/formatter.ts';
import { GO_STRUCT, GO_TYPE, HTML_ESCAPED_JSON } from '../format/gofmt.ts';
import { TemplateExecError } from '../format/template.ts';
import { humanSize } from '../format/units.ts';
import type { DiskUsageResponse } from '../../client/types.ts';

const VOLUME_HEADER = { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' };

function verboseTables(du: DiskUsageResponse, now: number): string {
  const cache = sortBuildCache(du.BuildCache ?? []);
  const cacheSize = cache.reduce((n, b) => n + (b.Shared ? 0 : b.Size), 0);
  return 'Images space usage:\n\n'
    + renderFormat(IMAGES_TABLE, (du.Images ?? []).map((i) => dfImageContext(i, true, now)), IMAGE_HEADER)
    + '\nContainers space usage:\n\n'
    + renderFormat(CONTAINERS_TABLE, (du.Containers ?? []).map((c) => dfContainerContext(c, true, now)), CONTAINER_HEADER)
    + '\nLocal Volumes space usage:\n\n'
    + renderFormat(VOLUMES_TABLE, (du.Volumes ?? []).map(volumeContext), VOLUME_HEADER)
    + `\nBuild cache usage: ${humanSize(cacheSize, 4)}\n\n`
    + renderFormat(CACHE_TABLE, cache.map((b) => buildCacheContext(b, true, now)), CACHE_HEADER);
}

/** -v with a template: it sees .Images, .Containers, .Volumes and .BuildCache at once. */
function verboseTemplate(du: DiskUsageResponse, format: string, now: number): string {
  const trunc = isTable(format);
  const data = {
    [GO_TYPE]: '*formatter.diskUsageContext',
    // A struct (field order kept) of contexts that marshal themselves HTML-escaped.
    [GO_STRUCT]: true as const,
    [HTML_ESCAPED_JSON]: true as const,
    Images: (du.Images ?? []).map((i) => dfImageContext(i, trunc, now)),
    Containers: (du.Containers ?? []).map((c) => dfContainerContext(c, trunc, now)),
    Volumes: (du.Volumes ?? []).map(volumeContext),
    BuildCache: sortBuildCache(du.BuildCache ?? []).map((b) => buildCacheContext(b, trunc, now)),
  };
  try {
    return parseFormat(format).execute(data, { missingKey: 'default' });
  } catch (err) {
    if (err instanceof TemplateExecError) throw new FormatError(`template parsing error: ${err.message}`);
    throw err;
  }
}

export const systemDf: CommandDef = {
  name: 'system df',
  usage: '[OPTIONS]',
  description: 'Show berth disk usage',
  args: noArgs,
  flags: [
    formatFlag,
    { name: 'verbose', short: 'v', type: 'bool', usage: 'Show detailed information on space usage' },
  ],
  async run(ctx, _args, flags) {
    const format = str(flags.values.format) || TABLE;
    const verbose = flags.values.verbose === true;
    const du = await ctx.client.system.diskUsage();
    const now = Date.now();
    if (verbose) {
      ctx.io.stdout.write(format === TABLE ? verboseTables(du, now) : verboseTemplate(du, format, now));
      return;
    }
    const source = format === TABLE ? SUMMARY_TABLE : format === 'raw' ? SUMMARY_RAW : format;
    ctx.io.stdout.write(renderFormat(source, summaryRows(du).map(summaryContext), SUMMARY_HEADER));
  },
};
