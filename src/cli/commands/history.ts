// berth history: GET /images/{name}/history.

import type { CommandDef } from '../command.ts';
import { exactArgs } from '../command.ts';
import { formatFlag, str } from './common.ts';
import { HISTORY_HEADER, historyContext } from '../format/contexts.ts';
import { DEFAULT_QUIET_FORMAT, TABLE, renderFormat } from '../format/formatter.ts';

const HUMAN_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const NON_HUMAN_TABLE = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

export const history: CommandDef = {
  name: 'history',
  usage: '[OPTIONS] IMAGE',
  description: 'Show the history of an image',
  args: exactArgs(1),
  flags: [
    { name: 'human', short: 'H', type: 'bool', default: true, usage: 'Print sizes and dates in human readable format' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only show image IDs' },
    { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
    formatFlag,
  ],
  async run(ctx, args, flags) {
    const items = await ctx.client.images.history(args[0]);
    const human = flags.values.human === true;
    let format = str(flags.values.format) || TABLE;
    if (format === TABLE) format = flags.values.quiet === true ? DEFAULT_QUIET_FORMAT : human ? HUMAN_TABLE : NON_HUMAN_TABLE;
    const trunc = flags.values['no-trunc'] !== true;
    const now = ctx.now();
    ctx.io.stdout.write(renderFormat(format, items.map((h) => historyContext(h, trunc, human, now)), HISTORY_HEADER));
  },
};
