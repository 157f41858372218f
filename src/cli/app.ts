// `berth`: global flags and command dispatch (root-flags.ts), then the command's
// own flags (flags.ts), its argument check, and its action. Returns the exit
// code instead of exiting, so tests run commands in-process.

import type { CliIO } from './io.ts';
import { FlagError, parseFlags } from './flags.ts';
import { CommandContext, PROGRAM, VERSION, checkArgs, helpText, usageError } from './command.ts';
import type { CommandDef } from './command.ts';
import { CliError, StatusError } from './errors.ts';
import { commands, groups, loadCommand } from './commands/index.ts';
import { parseRootFlags, RootFlagError } from './root-flags.ts';
import type { CommandEntry, CommandGroup } from './commands/index.ts';
import type { TlsFlags } from '../client/tls.ts';

const ROOT_USAGE = `${PROGRAM} [OPTIONS] COMMAND [ARG...]`;

function listing(entries: readonly { name: string; description: string }[]): string {
  const width = Math.max(...entries.map((d) => d.name.length)) + 2;
  return entries.map((d) => `  ${d.name.padEnd(width)}${d.description}`).join('\n');
}

function groupHelp(group: CommandGroup): string {
  const entries = group.commands.map((c) => ({ name: c.name.slice(group.name.length + 1), description: c.description }));
  return `\nUsage:  ${PROGRAM} ${group.name} COMMAND\n\n${group.description}\n\nCommands:\n${listing(entries)}\n\n` +
    `Run '${PROGRAM} ${group.name} COMMAND --help' for more information on a command.\n`;
}

function rootHelp(defs: readonly CommandEntry[], groupList: readonly CommandGroup[]): string {
  return `\nUsage:  ${ROOT_USAGE}\n\nA Docker-compatible container engine\n\nCommands:\n${listing(defs)}\n\n` +
    `Management Commands:\n${listing(groupList)}\n\n` +
    'Global Options:\n' +
    '  -D, --debug              Enable debug mode\n' +
    '  -H, --host string        Daemon socket to connect to\n' +
    '  -l, --log-level string   Set the logging level ("debug", "info", "warn", "error", "fatal") (default "info")\n' +
    '      --tls                Use TLS; implied by --tlsverify\n' +
    '      --tlscacert string   Trust certs signed only by this CA (default "~/.docker/ca.pem")\n' +
    '      --tlscert string     Path to TLS certificate file (default "~/.docker/cert.pem")\n' +
    '      --tlskey string      Path to TLS key file (default "~/.docker/key.pem")\n' +
    '      --tlsverify          Use TLS and verify the remote\n' +
    '  -v, --version            Print version information and quit\n\n' +
    `Run '${PROGRAM} COMMAND --help' for more information on a command.\n`;
}

export function reportError(io: CliIO, err: unknown, debug = false): number {
  if (err instanceof StatusError) {
    if (err.message) io.stderr.write(`${err.message}\n`);
    return err.code;
  }
  const msg = err instanceof Error ? err.message : String(err);
  if (msg) io.stderr.write(`${msg}\n`);
  if (debug && err instanceof Error && !(err instanceof CliError) && err.stack) io.stderr.write(`${err.stack}\n`);
  return 1;
}

async function runCommand(def: CommandDef, rawArgs: string[], io: CliIO, hostFlag: string | undefined, debug: boolean, tls: TlsFlags): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(def.flags, rawArgs, def.interspersed ?? true);
  } catch (err) {
    if (err instanceof FlagError) {
      io.stderr.write(`${usageError(def, err.message)}\n`);
      return 125;
    }
    throw err;
  }
  // pflag prints deprecation notices on the command's output stream.
  for (const w of parsed.warnings) io.stdout.write(`${w}\n`);
  if (parsed.help) {
    io.stdout.write(helpText(def));
    return 0;
  }
  const ctx = new CommandContext(io, def, hostFlag, tls);
  try {
    checkArgs(def, parsed.args);
    return (await def.run(ctx, parsed.args, parsed)) ?? 0;
  } catch (err) {
    return reportError(io, err, debug);
  } finally {
    ctx.close();
  }
}

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const defs = commands();
  let root;
  try {
    root = parseRootFlags(argv);
  } catch (err) {
    if (!(err instanceof RootFlagError)) throw err;
    io.stderr.write(`${err.message}\n\nUsage:  ${ROOT_USAGE}\n\nRun '${PROGRAM} --help' for more information\n`);
    return 125;
  }
  const [name, ...rest] = root.rest;
  if (root.version) {
    io.stdout.write(`${PROGRAM} version ${VERSION}\n`);
    return 0;
  }
  if (name === undefined) {
    (root.help ? io.stdout : io.stderr).write(rootHelp(defs, groups()));
    return 0;
  }
  const run = async (entry: CommandEntry, args: string[]): Promise<number> => {
    if (root.hosts.length > 1) {
      io.stderr.write('Failed to initialize: unable to resolve docker endpoint: Specify only one -H\n');
      return 1;
    }
    try {
      return await runCommand(await loadCommand(entry), args, io, root.hosts[0], root.debug || io.env.BERTH_DEBUG === '1', root.tls);
    } catch (err) {
      return reportError(io, err);
    }
  };
  const named = (e: { name: string; aliases?: string[] }, n: string) => e.name === n || (e.aliases ?? []).includes(n);
  const top = defs.find((d) => named(d, name));
  if (top) return run(top, rest);
  const group = groups().find((g) => g.name === name);
  if (!group) {
    io.stderr.write(`${PROGRAM}: unknown command: ${PROGRAM} ${name}\n\nRun '${PROGRAM} --help' for more information\n`);
    return 1;
  }
  const [sub, ...subArgs] = rest;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stderr.write(groupHelp(group));
    return 0;
  }
  const entry = group.commands.find((c) => named({ name: c.name.slice(group.name.length + 1), aliases: c.aliases }, sub));
  if (entry) return run(entry, subArgs);
  io.stderr.write(`${PROGRAM}: unknown command: ${PROGRAM} ${group.name} ${sub}\n\nUsage:  ${PROGRAM} ${group.name}\n\n` +
    `Run '${PROGRAM} ${group.name} --help' for more information\n`);
  return 1;
}
