// berth logs: GET /containers/{id}/logs, demultiplexed unless the
// container has a TTY (docker asks the container first, then streams).

import type { CommandDef } from '../command.ts';
import { exactArgs } from '../command.ts';
import { str } from './common.ts';
import { copyDemuxed, copyRaw } from '../../client/index.ts';
import { getTimestamp } from '../options/timestamp.ts';

export const logs: CommandDef = {
  name: 'logs',
  usage: '[OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  args: exactArgs(1),
  flags: [
    { name: 'follow', short: 'f', type: 'bool', usage: 'Follow log output' },
    { name: 'since', type: 'string', usage: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'until', type: 'string', usage: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'timestamps', short: 't', type: 'bool', usage: 'Show timestamps' },
    { name: 'details', type: 'bool', usage: 'Show extra details provided to logs' },
    { name: 'tail', short: 'n', type: 'string', default: 'all', usage: 'Number of lines to show from the end of the logs' },
  ],
  async run(ctx, args, flags) {
    const { value: c } = await ctx.client.containers.inspect(args[0]);
    const when = (name: 'since' | 'until') => {
      const v = str(flags.values[name]);
      if (!v) return undefined;
      try {
        return getTimestamp(v, ctx.now());
      } catch (err) {
        throw new Error(`invalid value for "${name}": ${(err as Error).message}`);
      }
    };
    const res = await ctx.client.containers.logs(c.Id, {
      stdout: true, stderr: true, since: when('since'), until: when('until'),
      timestamps: flags.values.timestamps === true, follow: flags.values.follow === true,
      tail: str(flags.values.tail), details: flags.values.details === true,
    });
    if (c.Config?.Tty) await copyRaw(res, ctx.io.stdout);
    else await copyDemuxed(res, ctx.io.stdout, ctx.io.stderr);
  },
};
