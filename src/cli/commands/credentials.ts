// Registry credentials the CLI keeps, in docker's config.json format
// ($DOCKER_CONFIG/config.json or ~/.docker/config.json, "auths" keyed by
// registry host; Docker Hub under https://index.docker.io/v1/).

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '../command.ts';

export const HUB_KEY = 'https://index.docker.io/v1/';

export interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  [k: string]: unknown;
}

export function configPath(ctx: CommandContext): string {
  const dir = ctx.io.env.DOCKER_CONFIG || join(ctx.io.env.HOME || homedir(), '.docker');
  return join(dir, 'config.json');
}

export function readConfig(ctx: CommandContext): ConfigFile {
  try {
    const doc = JSON.parse(readFileSync(configPath(ctx), 'utf8'));
    return doc && typeof doc === 'object' ? doc as ConfigFile : {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`loading config file ${configPath(ctx)}: ${(err as Error).message}`);
  }
}

export function writeConfig(ctx: CommandContext, cfg: ConfigFile): void {
  const p = configPath(ctx);
  mkdirSync(join(p, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${p}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(cfg, null, '\t')}\n`, { mode: 0o600 });
  renameSync(tmp, p);
}

export const authKey = (domain: string): string => (domain === 'docker.io' || domain === 'index.docker.io' ? HUB_KEY : domain);

/** X-Registry-Auth for a registry: base64url JSON of the stored credentials ("e30=" = {} when none). */
export function registryAuthFor(ctx: CommandContext, domain: string): string {
  const key = authKey(domain);
  const entry = readConfig(ctx).auths?.[key];
  if (!entry?.auth && !entry?.identitytoken) return 'e30=';
  const body: Record<string, string> = { serveraddress: key };
  if (entry.auth) {
    const plain = Buffer.from(entry.auth, 'base64').toString();
    const i = plain.indexOf(':');
    body.username = plain.slice(0, i);
    body.password = plain.slice(i + 1);
  }
  if (entry.identitytoken) body.identitytoken = entry.identitytoken;
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}
