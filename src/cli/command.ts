// What a command is (name, usage, flags, argument rule, action) and what it
// gets to run with: the IO, the lazily created API client, and helpers to
// print docker's messages.

// client.ts and host.ts, not the client's index: every command loads this
// file, and the index also brings in attach, stdcopy and jsonstream, which
// only the commands that stream need (they import them from the index).
import { EngineClient } from '../client/client.ts';
import { resolveHost } from '../client/host.ts';
import type { CliIO } from './io.ts';
import type { FlagSpec, ParsedFlags } from './flags.ts';
import { flagUsages } from './flags.ts';
import { CliError } from './errors.ts';
import { resolveClientTls, type TlsFlags } from '../client/tls.ts';

import pkg from '../../package.json' with { type: 'json' };

export const PROGRAM = 'berth';
export const VERSION: string = pkg.version;

export type ArgsRule =
  | { kind: 'none' }
  | { kind: 'exact'; n: number }
  | { kind: 'min'; n: number }
  | { kind: 'max'; n: number }
  | { kind: 'range'; min: number; max: number };

export interface CommandDef {
  name: string;
  /** What follows "berth NAME" in the usage line. */
  usage: string;
  description: string;
  flags: FlagSpec[];
  args: ArgsRule;
  /** false: flags end at the first argument (run, create, tag). */
  interspersed?: boolean;
  aliases?: string[];
  run(ctx: CommandContext, args: string[], flags: ParsedFlags): Promise<number | void>;
}

export const noArgs: ArgsRule = { kind: 'none' };
export const exactArgs = (n: number): ArgsRule => ({ kind: 'exact', n });
export const minArgs = (n: number): ArgsRule => ({ kind: 'min', n });
export const maxArgs = (n: number): ArgsRule => ({ kind: 'max', n });
export const rangeArgs = (min: number, max: number): ArgsRule => ({ kind: 'range', min, max });

const plural = (n: number) => (n === 1 ? 'argument' : 'arguments');

export function useLine(def: CommandDef): string {
  return `${PROGRAM} ${def.name} ${def.usage}`.trimEnd();
}

/** cobra's positional-argument checks, with the docker CLI's messages. */
export function checkArgs(def: CommandDef, args: readonly string[]): void {
  const path = `${PROGRAM} ${def.name}`;
  const r = def.args;
  const tail = (verb: string) => `\n\nUsage:  ${useLine(def)}\n\n${verb} '${path} --help' for more information`;
  let msg: string | undefined;
  switch (r.kind) {
    case 'none':
      if (args.length > 0) msg = `${PROGRAM}: '${path}' accepts no arguments${tail('Run')}`;
      break;
    case 'exact':
      if (args.length !== r.n) msg = `${PROGRAM}: '${path}' requires ${r.n} ${plural(r.n)}${tail('Run')}`;
      break;
    case 'min':
      if (args.length < r.n) msg = `${PROGRAM}: '${path}' requires at least ${r.n} ${plural(r.n)}${tail('See')}`;
      break;
    case 'max':
      if (args.length > r.n) msg = `${PROGRAM}: '${path}' requires at most ${r.n} ${plural(r.n)}${tail('Run')}`;
      break;
    case 'range':
      if (args.length < r.min || args.length > r.max) {
        msg = `${PROGRAM}: '${path}' requires at least ${r.min} and at most ${r.max} ${plural(r.max)}${tail('Run')}`;
      }
      break;
  }
  if (msg) throw new CliError(msg);
}

/** The flag-error text: pflag's message, the usage line, the help hint. */
export function usageError(def: CommandDef, message: string): string {
  return `${message}\n\nUsage:  ${useLine(def)}\n\nRun '${PROGRAM} ${def.name} --help' for more information`;
}

export function helpText(def: CommandDef): string {
  let text = `\nUsage:  ${useLine(def)}\n\n${def.description}\n`;
  if (def.aliases?.length) {
    // An alias replaces the last word: `container ls` is also `container list`.
    const parent = def.name.includes(' ') ? `${def.name.slice(0, def.name.lastIndexOf(' '))} ` : '';
    text += `\nAliases:\n  ${[def.name, ...def.aliases.map((a) => parent + a)].map((n) => `${PROGRAM} ${n}`).join(', ')}\n`;
  }
  const usages = flagUsages(def.flags);
  if (usages) text += `\nOptions:\n${usages}\n`;
  return text;
}

export class CommandContext {
  readonly io: CliIO;
  readonly def: CommandDef;
  readonly hostFlag: string | undefined;
  readonly tlsFlags: TlsFlags;
  #client: EngineClient | undefined;

  constructor(io: CliIO, def: CommandDef, hostFlag?: string, tlsFlags: TlsFlags = {}) {
    this.io = io;
    this.def = def;
    this.hostFlag = hostFlag;
    this.tlsFlags = tlsFlags;
  }

  get host(): string {
    return resolveHost(this.hostFlag, this.io.env);
  }

  /** Created on first use, so flag and argument errors never touch the daemon. */
  get client(): EngineClient {
    if (!this.#client) {
      const version = this.io.env.BERTH_API_VERSION || this.io.env.DOCKER_API_VERSION || undefined;
      const tls = resolveClientTls(this.tlsFlags, this.io.env);
      this.#client = new EngineClient({ host: this.host, version, userAgent: `${PROGRAM}/${VERSION}`, tls });
    }
    return this.#client;
  }

  now(): number {
    return this.io.now ? this.io.now() : Date.now();
  }

  out(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  err(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  close(): void {
    this.#client?.close();
  }
}
