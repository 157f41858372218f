// berth search: GET /images/search, printed as docker's CLI prints it
// (NAME DESCRIPTION STARS OFFICIAL; descriptions on one line, cut at 45
// characters unless --no-trunc; OFFICIAL is "[OK]" in a template and
// "true"/"false" in {{json .}}, as docker's searchContext marshals it).

import type { ImageSearchResult } from '../../client/types.ts';
import type { CommandDef } from '../command.ts';
import { exactArgs } from '../command.ts';
import { filterFlag, list, str } from './common.ts';
import { registryAuthFor } from './credentials.ts';
import { filtersToJson, parseFilters } from '../options/filters.ts';
import { TABLE, renderFormat } from '../format/formatter.ts';
import { GO_TYPE, HTML_ESCAPED_JSON, JSON_FIELDS, type TypedObject } from '../format/gofmt.ts';
import { ellipsis } from '../format/display.ts';

const DEFAULT_TABLE = 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}';
const SEARCH_HEADER: Record<string, string> = { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL' };

/** The registry a term names, for its stored credentials (docker's splitReposSearchTerm). */
function searchDomain(term: string): string {
  const i = term.indexOf('/');
  const first = i < 0 ? '' : term.slice(0, i);
  return i >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

function searchContext(r: ImageSearchResult, trunc: boolean): TypedObject {
  const desc = (r.description ?? '').replace(/\n/g, ' ').replace(/\r/g, ' ');
  return {
    [GO_TYPE]: '*registry.searchContext',
    [HTML_ESCAPED_JSON]: true,
    [JSON_FIELDS]: { IsOfficial: String(r.is_official === true) },
    Description: trunc ? ellipsis(desc, 45) : desc,
    IsOfficial: r.is_official ? '[OK]' : '',
    Name: r.name,
    StarCount: String(r.star_count ?? 0),
  };
}

export const search: CommandDef = {
  name: 'search',
  usage: '[OPTIONS] TERM',
  description: 'Search Docker Hub for images',
  args: exactArgs(1),
  flags: [
    filterFlag,
    { name: 'format', type: 'string', usage: 'Pretty-print search using a Go template' },
    { name: 'limit', type: 'int', usage: 'Max number of search results' },
    { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
  ],
  async run(ctx, args, flags) {
    const term = args[0]!;
    const filters = filtersToJson(parseFilters(list(flags.values.filter)));
    const limit = Number(flags.values.limit ?? 0);
    const results = await ctx.client.images.search(term, { limit, filters }, registryAuthFor(ctx, searchDomain(term)));
    let format = str(flags.values.format) || TABLE;
    if (format === TABLE) format = DEFAULT_TABLE;
    const trunc = flags.values['no-trunc'] !== true;
    ctx.io.stdout.write(renderFormat(format, results.map((r) => searchContext(r, trunc)), SEARCH_HEADER));
  },
};

