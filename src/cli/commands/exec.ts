// berth exec: docker's flow. Inspect first (a missing container is reported
// before anything else), refuse -it without a terminal before creating the
// session (an exec id that never runs would be left on the daemon), create,
// then either start detached or take the connection over and stream like an
// attach (raw mode, detach keys, window size on SIGWINCH through
// /exec/{id}/resize). The exit code is the process's, read from the
// session's inspect once the stream ended.

import type { CommandContext, CommandDef } from '../command.ts';
import { minArgs } from '../command.ts';
import { list, str } from './common.ts';
import { HijackedConnection } from '../../client/index.ts';
import type { ExecCreateBody } from '../../client/exec.ts';
import { StatusError } from '../errors.ts';
import { detachKeysFor } from './detach-keys.ts';
import { expandEnvValue, readEnv } from '../options/envfile.ts';
import { monitorTtySize, streamAttach } from '../streams.ts';

function checkEnv(value: string): string {
  if (value.split('=', 1)[0] === '') throw new Error(`invalid environment variable: ${value}`);
  return value;
}

/** docker's CheckTty: -t with stdin attached needs a terminal on stdin. */
export function checkTty(ctx: CommandContext, attachStdin: boolean, tty: boolean): void {
  if (attachStdin && tty && !ctx.io.stdin.isTTY) throw new Error('the input device is not a TTY');
}

/** The terminal's [height, width], as docker's GetTtySize (0x0 off a terminal). */
export function consoleSize(ctx: CommandContext): [number, number] {
  const out = ctx.io.stdout;
  return out.isTTY ? [out.rows ?? 0, out.columns ?? 0] : [0, 0];
}

export const exec: CommandDef = {
  name: 'exec',
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  args: minArgs(2),
  interspersed: false,
  flags: [
    { name: 'detach-keys', type: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'interactive', short: 'i', type: 'bool', usage: 'Keep STDIN open even if not attached' },
    { name: 'tty', short: 't', type: 'bool', usage: 'Allocate a pseudo-TTY' },
    { name: 'detach', short: 'd', type: 'bool', usage: 'Detached mode: run command in the background' },
    { name: 'user', short: 'u', type: 'string', usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'privileged', type: 'bool', usage: 'Give extended privileges to the command' },
    { name: 'env', short: 'e', type: 'list', usage: 'Set environment variables', validate: checkEnv },
    { name: 'env-file', type: 'list', usage: 'Read in a file of environment variables' },
    { name: 'workdir', short: 'w', type: 'string', usage: 'Working directory inside the container' },
  ],
  async run(ctx, args, flags) {
    const v = flags.values;
    const [container, ...cmd] = args as [string, ...string[]];
    const detach = v.detach === true;
    const tty = v.tty === true;
    const env = readEnv(list(v['env-file']), list(v.env).map((e) => expandEnvValue(e, ctx.io.env)), ctx.io.env);
    const detachKeys = detachKeysFor(ctx, v['detach-keys']);
    const body: ExecCreateBody = {
      User: str(v.user), Privileged: v.privileged === true, Tty: tty, Cmd: cmd, WorkingDir: str(v.workdir), Env: env,
      AttachStdin: !detach && v.interactive === true, AttachStdout: !detach, AttachStderr: !detach, DetachKeys: detachKeys ?? '',
    };

    await ctx.client.containers.inspect(container);
    if (!detach) checkTty(ctx, body.AttachStdin === true, tty);
    if (tty) body.ConsoleSize = consoleSize(ctx);

    const { Id: execId } = await ctx.client.exec.create(container, body);
    if (!execId) throw new Error('exec ID empty');
    if (detach) {
      await ctx.client.exec.startDetached(execId, { Tty: tty, ConsoleSize: body.ConsoleSize });
      return 0;
    }

    const conn = new HijackedConnection(await ctx.client.exec.attach(execId, { Tty: tty, ConsoleSize: body.ConsoleSize }));
    const cleanups: (() => void)[] = [];
    try {
      const stream = streamAttach(ctx, conn, { stdin: body.AttachStdin === true, stdout: true, stderr: true, tty, detachKeys });
      if (tty && ctx.io.stdin.isTTY) cleanups.push(monitorTtySize(ctx, execId, true));
      if ((await stream) === 'detached') throw new Error('read escape sequence');
    } finally {
      for (const c of cleanups) c();
      conn.close();
    }
    const { ExitCode } = await ctx.client.exec.inspect(execId);
    if (ExitCode !== null && ExitCode !== 0) throw new StatusError(ExitCode);
    return 0;
  },
};
