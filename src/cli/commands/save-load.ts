// berth save / berth load: docker's image archives. save writes to -o FILE
// (atomically, mode 0600) or to stdout when it is not a terminal; load
// reads -i FILE or stdin, and shows "Loading layer" bars on a terminal.

import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CommandDef } from '../command.ts';
import { minArgs, noArgs } from '../command.ts';
import { displayJsonMessages } from '../format/jsonmessage.ts';
import { str } from './common.ts';

export const save: CommandDef = {
  name: 'save',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  args: minArgs(1),
  flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Write to a file, instead of STDOUT' }],
  async run(ctx, args, flags) {
    const output = str(flags.values.output);
    if (!output) {
      if (ctx.io.stdout.isTTY) throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
      const res = await ctx.client.images.save(args);
      await pipeline(res, ctx.io.stdout, { end: false });
      return;
    }
    const target = resolve(ctx.io.cwd, output);
    const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    let out;
    try {
      out = createWriteStream(tmp, { mode: 0o600, flags: 'wx' });
      await new Promise<void>((res, rej) => { out!.once('open', () => res()); out!.once('error', rej); });
    } catch (err) {
      throw new Error(`failed to save image: ${(err as Error).message}`);
    }
    try {
      const res = await ctx.client.images.save(args);
      await pipeline(res, out);
      renameSync(tmp, target);
    } catch (err) {
      out.destroy();
      rmSync(tmp, { force: true });
      throw err;
    }
  },
};

export const load: CommandDef = {
  name: 'load',
  usage: '[OPTIONS]',
  description: 'Load an image from a tar archive or STDIN',
  args: noArgs,
  flags: [
    { name: 'input', short: 'i', type: 'string', usage: 'Read from tar archive file, instead of STDIN' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress the load output' },
  ],
  async run(ctx, _args, flags) {
    const input = str(flags.values.input);
    let source;
    let contentLength: number | undefined;
    if (input) {
      const path = resolve(ctx.io.cwd, input);
      try {
        contentLength = statSync(path).size;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(`open ${input}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
      }
      source = createReadStream(path);
    } else {
      if (ctx.io.stdin.isTTY) throw new Error('requested load from stdin, but stdin is empty');
      source = ctx.io.stdin;
    }
    const terminal = !!ctx.io.stdout.isTTY;
    // As docker: progress only where it can be drawn.
    const quiet = flags.values.quiet === true || !terminal;
    const res = await ctx.client.images.load(source, quiet, contentLength);
    await displayJsonMessages(res, ctx.io.stdout, terminal);
  },
};
