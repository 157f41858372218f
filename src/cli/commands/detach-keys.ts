// The detach keys a client asks for, as the docker CLI picks them:
// --detach-keys, else "detachKeys" from the client's config.json
// ($DOCKER_CONFIG or ~/.docker), else none (the daemon's default).

import type { CommandContext } from '../command.ts';
import { readConfig } from './credentials.ts';
import { str } from './common.ts';

export function detachKeysFor(ctx: CommandContext, flag: unknown): string | undefined {
  const given = str(flag);
  if (given) return given;
  let keys: unknown;
  try {
    keys = readConfig(ctx).detachKeys;
  } catch (err) {
    // The docker CLI warns about a config file it cannot read and goes on with none.
    ctx.err(`WARNING: Error ${(err as Error).message}`);
    return undefined;
  }
  return typeof keys === 'string' && keys !== '' ? keys : undefined;
}
