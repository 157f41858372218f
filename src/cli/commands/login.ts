// berth login / logout: credentials checked by the daemon (POST /auth) and
// kept in docker's config.json "auths" (base64 "user:password"), which the
// real docker CLI reads too.

import type { CommandDef } from '../command.ts';
import { maxArgs } from '../command.ts';
import { str } from './common.ts';
import { HUB_KEY, authKey, readConfig, writeConfig } from './credentials.ts';

function serverKey(arg: string | undefined): string {
  if (!arg) return HUB_KEY;
  const host = arg.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return authKey(host);
}

async function readAllStdin(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer | string>) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString();
}

export const login: CommandDef = {
  name: 'login',
  usage: '[OPTIONS] [SERVER]',
  description: 'Authenticate to a registry',
  args: maxArgs(1),
  flags: [
    { name: 'password', short: 'p', type: 'string', usage: 'Password or Personal Access Token (PAT)' },
    { name: 'password-stdin', type: 'bool', usage: 'Take the Password or Personal Access Token (PAT) from stdin' },
    { name: 'username', short: 'u', type: 'string', usage: 'Username' },
  ],
  async run(ctx, args, flags) {
    const key = serverKey(args[0]);
    const username = str(flags.values.username);
    let password = str(flags.values.password);
    if (flags.values['password-stdin'] === true) {
      if (password) throw new Error('--password and --password-stdin are mutually exclusive');
      if (!username) throw new Error('Must provide --username with --password-stdin');
      password = (await readAllStdin(ctx.io.stdin)).replace(/\r?\n$/, '');
    } else if (password) {
      ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.');
    }
    if (!username || !password) throw new Error('Error: Cannot perform an interactive login from a non TTY device');
    await ctx.client.system.login({ username, password, serveraddress: key });
    const cfg = readConfig(ctx);
    cfg.auths = { ...(cfg.auths ?? {}), [key]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
    writeConfig(ctx, cfg);
    ctx.out('Login Succeeded');
  },
};

export const logout: CommandDef = {
  name: 'logout',
  usage: '[SERVER]',
  description: 'Log out from a registry',
  args: maxArgs(1),
  flags: [],
  async run(ctx, args) {
    const key = serverKey(args[0]);
    const cfg = readConfig(ctx);
    if (!cfg.auths?.[key]) {
      ctx.out(`Not logged in to ${key}`);
      return;
    }
    ctx.out(`Removing login credentials for ${key}`);
    delete cfg.auths[key];
    writeConfig(ctx, cfg);
  },
};
