// berth commit and berth diff: a container's changes as an image, or as a list.

import type { CommandDef } from '../command.ts';
import { exactArgs, rangeArgs } from '../command.ts';
import { list, str } from './common.ts';
import { parseNormalizedNamed, tagNameOnly } from '../options/reference.ts';

export const commit: CommandDef = {
  name: 'commit',
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  args: rangeArgs(1, 2),
  flags: [
    { name: 'author', short: 'a', type: 'string', usage: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', type: 'list', usage: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', usage: 'Commit message' },
    { name: 'pause', short: 'p', type: 'bool', default: true, usage: 'Pause container during commit' },
  ],
  async run(ctx, args, flags) {
    const [container, reference] = args;
    let repo: string | undefined;
    let tag: string | undefined;
    if (reference) {
      let ref;
      try {
        ref = parseNormalizedNamed(reference);
      } catch (err) {
        throw new Error(`invalid reference format: ${(err as Error).message}`);
      }
      if (ref.digest) throw new Error('refusing to create a tag with a digest reference');
      ref = tagNameOnly(ref);
      repo = ref.name;
      tag = ref.tag;
    }
    const res = await ctx.client.build.commit(container!, {
      repo, tag,
      comment: str(flags.values.message) || undefined,
      author: str(flags.values.author) || undefined,
      pause: flags.values.pause !== false,
      changes: list(flags.values.change),
    });
    ctx.out(res.Id);
  },
};

const KINDS = ['C', 'A', 'D'];

export const diff: CommandDef = {
  name: 'diff',
  usage: 'CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  args: exactArgs(1),
  flags: [],
  async run(ctx, args) {
    for (const c of await ctx.client.build.changes(args[0]!)) ctx.out(`${KINDS[c.Kind] ?? '?'} ${c.Path}`);
  },
};
