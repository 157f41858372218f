// berth image prune: dangling images, or with -a every image no container
// uses; docker's prompt, filters (until, label, label!) and report.

import type { CommandDef } from '../command.ts';
import { noArgs } from '../command.ts';
import { list, pruneFilterFlag } from './common.ts';
import { addFilter, filtersToJson, parseFilters } from '../options/filters.ts';
import { humanSize } from '../format/units.ts';
import { readAnswer } from '../prompt.ts';

export const imagePrune: CommandDef = {
  name: 'image prune',
  usage: '[OPTIONS]',
  description: 'Remove unused images',
  args: noArgs,
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Remove all unused images, not just dangling ones' },
    pruneFilterFlag,
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  async run(ctx, _args, flags) {
    const filters = parseFilters(list(flags.values.filter));
    const all = flags.values.all === true;
    // As docker's CLI: the dangling filter always says which kind of prune this is.
    addFilter(filters, 'dangling', String(!all));
    if (flags.values.force !== true) {
      const what = all ? 'all images without at least one container associated to them' : 'all dangling images';
      ctx.io.stdout.write(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `);
      const answer = await readAnswer(ctx.io.stdin);
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const r = await ctx.client.images.prune(filtersToJson(filters));
    let out = '';
    if (r.ImagesDeleted?.length) {
      out += 'Deleted Images:\n';
      for (const d of r.ImagesDeleted) out += d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`;
      out += '\n';
    }
    out += `Total reclaimed space: ${humanSize(r.SpaceReclaimed, 4)}\n`;
    ctx.io.stdout.write(out);
  },
};
