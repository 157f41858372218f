// tag, rmi, import: changing the image store.

import { createReadStream, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { CommandDef } from '../command.ts';
import { exactArgs, minArgs, rangeArgs } from '../command.ts';
import { list, str } from './common.ts';
import { isNotFound } from '../../client/index.ts';
import { joinErrors } from '../errors.ts';
import { parseAnyReference, parseNormalizedNamed, tagNameOnly } from '../options/reference.ts';
import { displayJsonMessages } from '../format/jsonmessage.ts';

export const tag: CommandDef = {
  name: 'tag',
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  args: exactArgs(2),
  interspersed: false,
  flags: [],
  async run(ctx, args) {
    const [source, target] = args;
    try {
      parseAnyReference(source);
    } catch (err) {
      throw new Error(`Error parsing reference: ${JSON.stringify(source)} is not a valid repository/tag: ${(err as Error).message}`);
    }
    let ref;
    try {
      ref = parseNormalizedNamed(target);
    } catch (err) {
      throw new Error(`Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: ${(err as Error).message}`);
    }
    if (ref.digest) throw new Error('refusing to create a tag with a digest reference');
    ref = tagNameOnly(ref);
    await ctx.client.images.tag(source, ref.name, ref.tag);
  },
};

export const rmi: CommandDef = {
  name: 'rmi',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  args: minArgs(1),
  flags: [
    { name: 'force', short: 'f', type: 'bool', usage: 'Force removal of the image' },
    { name: 'no-prune', type: 'bool', usage: 'Do not delete untagged parents' },
  ],
  async run(ctx, args, flags) {
    const force = flags.values.force === true;
    const errors: unknown[] = [];
    let fatal = false;
    for (const image of args) {
      try {
        const deleted = await ctx.client.images.remove(image, { force, noPrune: flags.values['no-prune'] === true });
        for (const d of deleted) ctx.out(d.Deleted ? `Deleted: ${d.Deleted}` : `Untagged: ${d.Untagged ?? ''}`);
      } catch (err) {
        if (!isNotFound(err)) fatal = true;
        errors.push(err);
      }
    }
    const err = joinErrors(errors);
    if (!err) return;
    // With --force, images that were not there are only worth a message.
    if (!force || fatal) throw err;
    ctx.err(err.message);
  },
};

export const importCmd: CommandDef = {
  name: 'import',
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  description: 'Import the contents from a tarball to create a filesystem image',
  args: rangeArgs(1, 2),
  flags: [
    { name: 'change', short: 'c', type: 'list', usage: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', usage: 'Set commit message for imported image' },
    { name: 'platform', type: 'string', usage: 'Set platform if server is multi-platform capable' },
  ],
  async run(ctx, args, flags) {
    const [src, repo] = args;
    if (repo) parseNormalizedNamed(repo);
    let source: Readable | undefined;
    let fromSrc = '-';
    let contentLength: number | undefined;
    if (src === '-') {
      source = ctx.io.stdin;
    } else if (/^https?:\/\//.test(src)) {
      fromSrc = src;
    } else {
      const path = resolve(ctx.io.cwd, src);
      try {
        contentLength = statSync(path).size;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(`open ${src}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
      }
      source = createReadStream(path);
    }
    const res = await ctx.client.images.import({
      source, fromSrc, repo, contentLength,
      message: str(flags.values.message) || undefined,
      changes: list(flags.values.change),
      platform: str(flags.values.platform) || undefined,
    });
    await displayJsonMessages(res, ctx.io.stdout, false);
  },
};
