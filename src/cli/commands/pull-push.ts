// berth pull / push: the daemon's JSON progress stream drawn as docker draws
// it (per-layer lines rewritten in place on a terminal), then the
// reference pulled or the digest pushed.

import type { CommandContext, CommandDef } from '../command.ts';
import { exactArgs } from '../command.ts';
import { str } from './common.ts';
import { Writable } from 'node:stream';
import { displayJsonMessages } from '../format/jsonmessage.ts';
import { familiarName, parseNormalizedNamed, tagNameOnly } from '../options/reference.ts';
import { registryAuthFor } from './credentials.ts';

function sinkFor(ctx: CommandContext, quiet: boolean): { out: Writable; terminal: boolean } {
  if (quiet) return { out: new Writable({ write: (_c, _e, cb) => cb() }), terminal: false };
  return { out: ctx.io.stdout, terminal: (ctx.io.stdout as { isTTY?: boolean }).isTTY === true };
}

export const pull: CommandDef = {
  name: 'pull',
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  args: exactArgs(1),
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', usage: 'Download all tagged images in the repository' },
    { name: 'disable-content-trust', type: 'bool', default: true, usage: 'Skip image verification' },
    { name: 'platform', type: 'string', usage: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress verbose output' },
  ],
  async run(ctx, args, flags) {
    let ref = parseNormalizedNamed(args[0]!);
    const all = flags.values['all-tags'] === true;
    if (all && (ref.tag || ref.digest)) throw new Error('tag can\'t be used with --all-tags/-a');
    if (!all) ref = tagNameOnly(ref);
    const quiet = flags.values.quiet === true;
    const { out, terminal } = sinkFor(ctx, quiet);
    if (!all && !quiet) {
      // docker prints "Using default tag: latest" when it added the tag.
      if (!parseNormalizedNamed(args[0]!).tag && !ref.digest) ctx.out('Using default tag: latest');
    }
    const res = await ctx.client.images.pull(ref.name, ref.digest ?? ref.tag ?? '', str(flags.values.platform) || undefined,
      registryAuthFor(ctx, ref.domain));
    await displayJsonMessages(res, out, terminal);
    ctx.out(all ? ref.name : `${ref.name}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}`);
  },
};

export const push: CommandDef = {
  name: 'push',
  usage: '[OPTIONS] NAME[:TAG]',
  description: 'Upload an image to a registry',
  args: exactArgs(1),
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', usage: 'Push all tags of an image to the repository' },
    { name: 'disable-content-trust', type: 'bool', default: true, usage: 'Skip image signing' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress verbose output' },
  ],
  async run(ctx, args, flags) {
    let ref = parseNormalizedNamed(args[0]!);
    const all = flags.values['all-tags'] === true;
    if (all && ref.tag) throw new Error('tag can\'t be used with --all-tags/-a');
    if (ref.digest) throw new Error('cannot push a digest reference');
    if (!all) {
      if (!ref.tag) ctx.out('Using default tag: latest');
      ref = tagNameOnly(ref);
    }
    const quiet = flags.values.quiet === true;
    const { out, terminal } = sinkFor(ctx, quiet);
    const res = await ctx.client.images.push(familiarName(ref), ref.tag ?? '', registryAuthFor(ctx, ref.domain));
    await displayJsonMessages(res, out, terminal);
    if (quiet) ctx.out(all ? ref.name : `${ref.name}:${ref.tag}`);
  },
};
