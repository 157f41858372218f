// berth export: the container's filesystem as a tar, to -o FILE (written
// atomically, mode 0600) or to stdout when stdout is not a terminal.

import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CommandDef } from '../command.ts';
import { exactArgs } from '../command.ts';
import { str } from './common.ts';

export const exportCmd: CommandDef = {
  name: 'export',
  usage: '[OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  args: exactArgs(1),
  flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Write to a file, instead of STDOUT' }],
  async run(ctx, args, flags) {
    const output = str(flags.values.output);
    if (!output) {
      if (ctx.io.stdout.isTTY) throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
      const res = await ctx.client.containers.export(args[0]);
      await pipeline(res, ctx.io.stdout, { end: false });
      return;
    }
    const target = resolve(ctx.io.cwd, output);
    const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    let out;
    try {
      out = createWriteStream(tmp, { mode: 0o600, flags: 'wx' });
      await new Promise<void>((resolve, reject) => { out!.once('open', () => resolve()); out!.once('error', reject); });
    } catch (err) {
      throw new Error(`failed to export container: ${(err as Error).message}`);
    }
    try {
      const res = await ctx.client.containers.export(args[0]);
      await pipeline(res, out);
      renameSync(tmp, target);
    } catch (err) {
      out.destroy();
      rmSync(tmp, { force: true });
      throw err;
    }
  },
};
