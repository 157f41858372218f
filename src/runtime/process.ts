// The container's process: what runs (entrypoint + cmd) and its environment,
// by Docker's rules.
//
// Args, as Docker merges the user's config onto the image's:
//   user entrypoint set (non-empty)  -> user entrypoint + user cmd; the image's
//                                       cmd is dropped (`--entrypoint sh img`
//                                       runs plain `sh`)
//   user entrypoint [] (`--entrypoint ""`) -> user cmd, else image cmd
//   user entrypoint null             -> image entrypoint + (user cmd, else image cmd)
// and nothing to run is Docker's "No command specified".
//
// Env: PATH (default), HOSTNAME, TERM=xterm with a tty, then the image's
// env overlaid with the user's (user wins by key); an entry without "="
// removes that variable, as in Docker.

import { invalid } from '../core/errors.ts';
import type { ContainerConfig } from '../core/container.ts';
import type { ImageRunConfig } from '../core/image.ts';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ResolvedArgs { path: string; args: string[] }

export function resolveArgs(
  image: Pick<ImageRunConfig, 'Entrypoint' | 'Cmd'>,
  config: Pick<ContainerConfig, 'entrypoint' | 'cmd'>,
): ResolvedArgs {
  let entrypoint = config.entrypoint;
  let cmd = config.cmd;
  if (!entrypoint || entrypoint.length === 0) {
    if (!cmd || cmd.length === 0) cmd = image.Cmd ?? null;
    if (entrypoint === null || entrypoint === undefined) entrypoint = image.Entrypoint ?? null;
  }
  const full = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (full.length === 0) throw invalid('No command specified');
  return { path: full[0], args: full.slice(1) };
}

/** The image's env with the user's laid over it (Docker's create-time merge). */
export function mergeEnv(imageEnv: readonly string[] | null | undefined, userEnv: readonly string[] | null | undefined): string[] {
  const user = [...(userEnv ?? [])];
  if (user.length === 0) return [...(imageEnv ?? [])];
  const keys = new Set(user.map(envKey));
  for (const e of imageEnv ?? []) if (!keys.has(envKey(e))) user.push(e);
  return user;
}

export interface EnvInput {
  imageEnv?: readonly string[] | null;
  userEnv?: readonly string[] | null;
  hostname: string;
  tty: boolean;
}

/** The process environment for the OCI spec. */
export function buildEnv(input: EnvInput): string[] {
  const base = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${input.hostname}`];
  if (input.tty) base.push('TERM=xterm');
  return replaceOrAppend(base, mergeEnv(input.imageEnv, input.userEnv));
}

/**
 * An exec's environment, as dockerd builds it: the defaults (TERM only when
 * the exec has a tty), then the container's env, then the exec's own -e.
 */
export function execEnv(input: { containerEnv: readonly string[]; execEnv: readonly string[]; hostname: string; tty: boolean }): string[] {
  const base = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${input.hostname}`];
  if (input.tty) base.push('TERM=xterm');
  return replaceOrAppend(replaceOrAppend(base, input.containerEnv), input.execEnv);
}

function replaceOrAppend(defaults: string[], overrides: readonly string[]): string[] {
  const out = [...defaults];
  for (const e of overrides) {
    const key = envKey(e);
    const at = out.findIndex((d) => envKey(d) === key);
    if (!e.includes('=')) {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = e;
    else out.push(e);
  }
  return out;
}

function envKey(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}
