// berth cp: docker's flow over /containers/{id}/archive. Out of a container:
// GET the path's tar (after following its link with -L) and unpack it where
// the destination says (renamed when the destination is a new name), or
// write the tar to stdout for "-". Into one: HEAD the destination to learn
// whether it is a directory, tar the local path (or take a tar from stdin
// for "-") named so that the daemon's unpacking gives the intended result,
// and PUT it. With a terminal on stdout (unless -q; -q=false forces it),
// "Successfully copied SIZE to DEST" follows on stderr, SIZE the tar bytes
// moved.

import { Readable, Transform } from 'node:stream';
import { promises as fs } from 'node:fs';
import { posix } from 'node:path';
import type { CommandContext, CommandDef } from '../command.ts';
import { exactArgs } from '../command.ts';
import { fileModeProblem, isDirMode, isSymlinkMode } from '../../client/archive.ts';
import { humanSize } from '../format/units.ts';
import {
  containerEntries, destinationInfo, getRebaseName, goClean, preserveTrailing, prepareArchiveCopy, rebaseEntries,
  sourceInfo, splitPathDirEntry, tarLocal, untarLocal,
} from './cp-local.ts';
import type { CopyInfo } from './cp-local.ts';

interface CopyOptions {
  container: string;
  srcPath: string;
  dstPath: string;
  followLink: boolean;
  copyUIDGID: boolean;
  quiet: boolean;
}

/** CONTAINER:PATH, unless the argument is an absolute path or starts with "." (./file:name). */
export function splitCpArg(arg: string): [string, string] {
  if (arg.startsWith('/')) return ['', arg];
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return ['', arg];
  return [arg.slice(0, colon), arg.slice(colon + 1)];
}

function resolveLocalPath(ctx: CommandContext, p: string): string {
  return preserveTrailing(posix.resolve(ctx.io.cwd, p), p);
}

/**
 * Counts the tar bytes that pass, for the summary. (docker 28 draws no
 * progress line: its check for a terminal on stderr never holds.)
 */
class Progress {
  bytes = 0;
  #ctx: CommandContext;

  constructor(ctx: CommandContext) {
    this.#ctx = ctx;
  }

  counter(): Transform {
    return new Transform({ transform: (chunk: Buffer, _enc, done) => { this.bytes += chunk.length; done(null, chunk); } });
  }

  finish(dest: string): void {
    this.#ctx.io.stderr.write(`Successfully copied ${humanSize(this.bytes)} to ${dest}\n`);
  }
}

async function copyFromContainer(ctx: CommandContext, o: CopyOptions): Promise<void> {
  let dstPath = o.dstPath;
  if (dstPath !== '-') {
    dstPath = resolveLocalPath(ctx, dstPath);
    await validateOutputPath(dstPath);
  }
  let srcPath = o.srcPath;
  let rebaseName = '';
  if (o.followLink) {
    const st = await ctx.client.archive.stat(o.container, srcPath).catch(() => undefined);
    if (st && isSymlinkMode(st.mode)) {
      let target = st.linkTarget;
      if (!target.startsWith('/')) target = posix.join(splitPathDirEntry(srcPath)[0], target);
      [srcPath, rebaseName] = getRebaseName(srcPath, target);
    }
  }
  const { stat, tar } = await ctx.client.archive.get(o.container, srcPath);
  if (dstPath === '-') {
    for await (const chunk of tar) if (!ctx.io.stdout.write(chunk)) await new Promise((r) => ctx.io.stdout.once('drain', r));
    return;
  }
  const src: CopyInfo = { path: srcPath, exists: true, isDir: isDirMode(stat.mode), rebaseName };
  const progress = o.quiet ? undefined : new Progress(ctx);
  let body: AsyncIterable<Buffer> = progress ? tar.pipe(progress.counter()) : tar;
  if (rebaseName) {
    const base = splitPathDirEntry(src.path)[1];
    body = Readable.from(rebasedTar(body, base, rebaseName));
  }
  let failure: unknown;
  try {
    const dst = await destinationInfo(dstPath);
    const plan = prepareArchiveCopy(src, dst);
    await untarLocal(containerEntries(body, plan.rebase), plan.dir);
  } catch (err) {
    failure = err;
    tar.destroy();
  }
  progress?.finish(dstPath);
  if (failure) throw failure;
}

async function* rebasedTar(tar: AsyncIterable<Buffer>, oldBase: string, newBase: string): AsyncGenerator<Buffer> {
  const { tarChunks } = await import('../../stores/tar/writer.ts');
  yield* tarChunks(rebaseEntries(tar, oldBase, newBase));
}

/** command.ValidateOutputPath: the parent must exist; an existing path must be a directory or a regular file. */
async function validateOutputPath(path: string): Promise<void> {
  const dir = posix.dirname(goClean(path));
  if (dir !== '' && dir !== '.') {
    try {
      await fs.stat(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`invalid output path: directory ${JSON.stringify(dir)} does not exist`);
    }
  }
  const st = await fs.stat(path).catch(() => undefined);
  if (st && !st.isDirectory() && !st.isFile()) {
    const problem = st.isBlockDevice() || st.isCharacterDevice() ? 'got a device' : 'got an irregular file';
    throw new Error(`invalid output path: ${JSON.stringify(path)} must be a directory or a regular file: ${problem}`);
  }
}

async function copyToContainer(ctx: CommandContext, o: CopyOptions): Promise<void> {
  const srcPath = o.srcPath === '-' ? '-' : resolveLocalPath(ctx, o.srcPath);
  const dst: CopyInfo = { path: o.dstPath, exists: false, isDir: false, rebaseName: '' };
  try {
    let st = await ctx.client.archive.stat(o.container, o.dstPath);
    if (isSymlinkMode(st.mode)) {
      let target = st.linkTarget;
      if (!target.startsWith('/')) target = posix.join(splitPathDirEntry(o.dstPath)[0], target);
      dst.path = target;
      st = await ctx.client.archive.stat(o.container, target);
    }
    const problem = fileModeProblem(st.mode);
    if (problem) throw new Error(`destination "${o.container}:${o.dstPath}" must be a directory or a regular file: ${problem}`);
    dst.exists = true;
    dst.isDir = isDirMode(st.mode);
  } catch (err) {
    // A path that does not exist yet is fine: its parent may, and the unpacking decides.
    if ((err as Error).message.startsWith('destination "')) throw err;
  }

  let content: Readable;
  let dir: string;
  const progress = o.quiet ? undefined : new Progress(ctx);
  if (srcPath === '-') {
    if (!dst.isDir) throw new Error(`destination "${o.container}:${o.dstPath}" must be a directory`);
    content = ctx.io.stdin;
    dir = dst.path;
  } else {
    const src = await sourceInfo(srcPath, o.followLink);
    const plan = prepareArchiveCopy(src, dst);
    dir = plan.dir;
    const local = tarLocal(src) as Readable;
    content = plan.rebase ? Readable.from(rebasedTar(local, plan.rebase[0], plan.rebase[1])) : local;
    if (progress) content = content.pipe(progress.counter());
  }
  let failure: unknown;
  try {
    await ctx.client.archive.put(o.container, dir, content, { copyUIDGID: o.copyUIDGID });
  } catch (err) {
    failure = err;
  }
  progress?.finish(`${o.container}:${dst.path}`);
  if (failure) throw failure;
}

export const cp: CommandDef = {
  name: 'cp',
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  description: 'Copy files/folders between a container and the local filesystem',
  args: exactArgs(2),
  flags: [
    { name: 'follow-link', short: 'L', type: 'bool', usage: 'Always follow symlink in SRC_PATH' },
    { name: 'archive', short: 'a', type: 'bool', usage: 'Archive mode (copy all uid/gid information)' },
    {
      name: 'quiet', short: 'q', type: 'bool',
      usage: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached',
    },
  ],
  async run(ctx, args, flags) {
    const [source, destination] = args as [string, string];
    if (source === '') throw new Error('source can not be empty');
    if (destination === '') throw new Error('destination can not be empty');
    const quiet = flags.changed.has('quiet') ? flags.values.quiet === true : !ctx.io.stdout.isTTY;
    const [srcContainer, srcPath] = splitCpArg(source);
    const [dstContainer, dstPath] = splitCpArg(destination);
    const base = { srcPath, dstPath, followLink: flags.values['follow-link'] === true, copyUIDGID: flags.values.archive === true, quiet };
    if (srcContainer && dstContainer) throw new Error('copying between containers is not supported');
    if (srcContainer) return copyFromContainer(ctx, { ...base, container: srcContainer });
    if (dstContainer) return copyToContainer(ctx, { ...base, container: dstContainer });
    throw new Error('must specify at least one container source');
  },
};
