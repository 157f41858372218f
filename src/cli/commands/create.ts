// berth create, and the container creation run shares with it: pull the
// image when the daemon does not have it (--pull missing, docker's default),
// print the daemon's warnings, write --cidfile.

import { registryAuthFor } from './credentials.ts';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { CommandContext, CommandDef } from '../command.ts';
import { PROGRAM, minArgs } from '../command.ts';
import type { ParsedFlags } from '../flags.ts';
import { isNotFound } from '../../client/index.ts';
import { StatusError } from '../errors.ts';
import { containerFlags } from '../options/container-flags.ts';
import { buildCreateSpec } from '../options/container-config.ts';
import type { CreateSpec } from '../options/container-config.ts';
import { familiarString, parseAnyReference, tagNameOnly } from '../options/reference.ts';
import type { Reference } from '../options/reference.ts';
import { displayJsonMessages } from '../format/jsonmessage.ts';

/** "berth: <message>\n\nRun 'berth <command> --help' for more information" (docker's withHelp). */
export function withHelp(command: string, message: string): string {
  return `${PROGRAM}: ${message}\n\nRun '${PROGRAM} ${command} --help' for more information`;
}

/** Flags to a create spec; a bad value is exit 125 with the help hint, as docker. */
export function specFromFlags(ctx: CommandContext, command: string, args: string[], flags: ParsedFlags): CreateSpec {
  try {
    return buildCreateSpec({ values: flags.values, changed: flags.changed, args, env: ctx.io.env, cwd: ctx.io.cwd });
  } catch (err) {
    throw new StatusError(125, withHelp(command, (err as Error).message));
  }
}

async function pull(ctx: CommandContext, ref: Reference, spec: CreateSpec): Promise<void> {
  const res = await ctx.client.images.pull(ref.name, ref.digest ?? ref.tag ?? 'latest', spec.platform || undefined, registryAuthFor(ctx, ref.domain));
  const sink = spec.quiet ? new Writable({ write: (_c, _e, cb) => cb() }) : ctx.io.stderr;
  await displayJsonMessages(res, sink, !spec.quiet && (ctx.io.stderr as { isTTY?: boolean }).isTTY === true);
}

class CidFile {
  #path: string;
  #fd = -1;
  #written = false;

  constructor(path: string) {
    this.#path = path;
    if (!path) return;
    try {
      this.#fd = openSync(path, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(`container ID file found, make sure the other container isn't running or delete ${path}`);
      }
      throw new Error(`failed to create the container ID file: ${(err as Error).message}`);
    }
  }

  write(id: string): void {
    if (this.#fd < 0) return;
    writeSync(this.#fd, id);
    this.#written = true;
  }

  close(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    if (!this.#written) rmSync(this.#path, { force: true });
  }
}

/** Creates the container and returns its ID. */
export async function createContainer(ctx: CommandContext, spec: CreateSpec): Promise<string> {
  const cid = new CidFile(spec.cidfile ? resolve(ctx.io.cwd, spec.cidfile) : '');
  try {
    const parsed = parseAnyReference(spec.body.Image ?? '');
    const named = 'name' in parsed ? tagNameOnly(parsed) : undefined;
    if (spec.pull === 'always' && named) await pull(ctx, named, spec);
    const { stdout } = ctx.io;
    if (stdout.isTTY && stdout.rows && stdout.columns) spec.body.HostConfig.ConsoleSize = [stdout.rows, stdout.columns];
    const create = () => ctx.client.containers.create(spec.body, { name: spec.name || undefined, platform: spec.platform || undefined });
    let res;
    try {
      res = await create();
    } catch (err) {
      if (!(isNotFound(err) && named && spec.pull === 'missing')) throw err;
      if (!spec.quiet) ctx.err(`Unable to find image '${familiarString(named)}' locally`);
      await pull(ctx, named, spec);
      res = await create();
    }
    for (const w of res.Warnings ?? []) ctx.err(`WARNING: ${w}`);
    cid.write(res.Id);
    return res.Id;
  } finally {
    cid.close();
  }
}

export const create: CommandDef = {
  name: 'create',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  args: minArgs(1),
  interspersed: false,
  flags: containerFlags,
  async run(ctx, args, flags) {
    const spec = specFromFlags(ctx, 'create', args, flags);
    ctx.out(await createContainer(ctx, spec));
  },
};
