// `berth`: global flags and command dispatch (commander), then the command's
// own flags (flags.ts), its argument check, and its action. Returns the exit
// code instead of exiting, so tests run commands in-process.

import { Command, CommanderError } from 'commander';
import type { CliIO } from './io.ts';
import { FlagError, parseFlags } from './flags.ts';
import { CommandContext, PROGRAM, VERSION, checkArgs, helpText, usageError } from './command.ts';
import type { CommandDef } from './command.ts';
import { CliError, StatusError } from './errors.ts';
import { commands, groups } from './commands/index.ts';
import type { CommandGroup } from './commands/index.ts';

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

function rootHelp(defs: readonly CommandDef[], groupList: readonly CommandGroup[]): string {
  return `\nUsage:  ${ROOT_USAGE}\n\nA Docker-compatible container engine\n\nCommands:\n${listing(defs)}\n\n` +
    `Management Commands:\n${listing(groupList)}\n\n` +
    'Global Options:\n' +
    '  -D, --debug              Enable debug mode\n' +
    '  -H, --host string        Daemon socket to connect to\n' +
    '  -l, --log-level string   Set the logging level ("debug", "info", "warn", "error", "fatal") (default "info")\n' +
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

async function runCommand(def: CommandDef, rawArgs: string[], io: CliIO, hostFlag: string | undefined, debug: boolean): Promise<number> {
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
  const ctx = new CommandContext(io, def, hostFlag);
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
  const groupList = groups();
  let code = 0;
  const program = new Command(PROGRAM)
    .usage('[OPTIONS] COMMAND [ARG...]')
    .enablePositionalOptions()
    .helpOption(false)
    .option('-H, --host <host>', 'Daemon socket to connect to', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-D, --debug', 'Enable debug mode')
    .option('-l, --log-level <level>', 'Set the logging level')
    .option('-v, --version', 'Print version information and quit')
    .option('-h, --help', 'Print usage')
    .argument('[command]')
    .allowExcessArguments()
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .action((name: string | undefined) => {
      const opts = program.opts<{ version?: boolean; help?: boolean }>();
      if (opts.version) {
        io.stdout.write(`${PROGRAM} version ${VERSION}\n`);
      } else if (name) {
        io.stderr.write(`${PROGRAM}: unknown command: ${PROGRAM} ${name}\n\nRun '${PROGRAM} --help' for more information\n`);
        code = 1;
      } else {
        (opts.help ? io.stdout : io.stderr).write(rootHelp(defs, groupList));
      }
    });

  const register = (parent: Command, def: CommandDef, name: string) => {
    parent.command(name)
      .aliases(def.aliases ?? [])
      .description(def.description)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .passThroughOptions()
      .argument('[args...]')
      .action(async (_args: string[], _opts: unknown, cmd: Command) => {
        const root = program.opts<{ host?: string[]; debug?: boolean }>();
        const hosts = root.host ?? [];
        if (hosts.length > 1) {
          io.stderr.write('Failed to initialize: unable to resolve docker endpoint: Specify only one -H\n');
          code = 1;
          return;
        }
        code = await runCommand(def, cmd.args, io, hosts[0], root.debug === true || io.env.BERTH_DEBUG === '1');
      });
  };
  for (const def of defs) register(program, def, def.name);
  for (const group of groupList) {
    const g = program.command(group.name)
      .description(group.description)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .passThroughOptions()
      .argument('[command]')
      .action((name: string | undefined) => {
        if (!name || name === '--help' || name === '-h') {
          io.stderr.write(groupHelp(group));
          return;
        }
        io.stderr.write(`${PROGRAM}: unknown command: ${PROGRAM} ${group.name} ${name}\n\nUsage:  ${PROGRAM} ${group.name}\n\n` +
          `Run '${PROGRAM} ${group.name} --help' for more information\n`);
        code = 1;
      });
    for (const def of group.commands) register(g, def, def.name.slice(group.name.length + 1));
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      const m = /unknown option '([^']+)'/.exec(err.message);
      const text = m
        ? (m[1].startsWith('--') ? `unknown flag: ${m[1]}` : `unknown shorthand flag: '${m[1].slice(1)}' in ${m[1]}`)
        : err.message.replace(/^error: /, '');
      io.stderr.write(`${text}\n\nUsage:  ${ROOT_USAGE}\n\nRun '${PROGRAM} --help' for more information\n`);
      return 125;
    }
    return reportError(io, err);
  }
  return code;
}
