// What a build knows while it runs: options, progress output, the build
// args and the per-stage state (image so far, run config, declared ARGs).

import type { ImageRecord, ImageRunConfig } from '../core/image.ts';
import type { Stage } from './parser/instructions.ts';
import { ShellLex } from './parser/shell-lex.ts';
import { goArch } from '../images/records.ts';
import { platformString, type BuildPlatform } from './platform.ts';

export interface BuildOptions {
  dockerfile: string;
  tags: string[];
  buildArgs: Map<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  /** Remove intermediate containers after a successful step (default true). */
  rm: boolean;
  /** Remove them after a failed one too. */
  forceRm: boolean;
  labels: Record<string, string>;
  networkMode: string;
  quiet: boolean;
  secrets: Map<string, Buffer>;
  /** --cache-from: images in the store whose history may stand in for steps. */
  cacheFrom: string[];
  /** --add-host entries ("host:ip") for RUN's /etc/hosts. */
  extraHosts: string[];
  /** /dev/shm size of RUN containers in bytes (0: the default). */
  shmSize: number;
  /** --platform: what to pull FROM images for (and TARGETPLATFORM); default this machine's. */
  platform?: BuildPlatform;
}

export interface Progress {
  stream(text: string): void;
  aux(value: unknown): void;
  /** A pull's own progress message (status/id/progressDetail), passed through. */
  message?(m: object): void;
}

/** Pulls ref into the store (the distribution service); absent where the daemon cannot pull. */
export type PullImage = (ref: string, progress: (m: object) => void, platform?: string) => Promise<void>;

/** Args every build knows without an ARG line (not recorded in history unless declared). */
export const PROXY_ARGS = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
]);

export function platformArgs(target?: BuildPlatform): Map<string, string> {
  const arch = goArch();
  const plat = `linux/${arch}`;
  const t = target ?? { os: 'linux', architecture: arch };
  return new Map([
    ['TARGETPLATFORM', platformString(t)], ['TARGETOS', t.os], ['TARGETARCH', t.architecture], ['TARGETVARIANT', t.variant ?? ''],
    ['BUILDPLATFORM', plat], ['BUILDOS', 'linux'], ['BUILDARCH', arch], ['BUILDVARIANT', ''],
  ]);
}

export class StageState {
  readonly stage: Stage;
  readonly lex: ShellLex;
  image: ImageRecord | null = null;
  config: ImageRunConfig = {};
  /** Declared ARGs in this stage with their values (undefined: declared without a value). */
  readonly args = new Map<string, string | undefined>();
  /** A CMD was given in this stage (a later ENTRYPOINT keeps it). */
  cmdSetInStage = false;

  constructor(stage: Stage, escape: string) {
    this.stage = stage;
    this.lex = new ShellLex(escape);
  }

  /** ENV wins over ARG, as in Docker. */
  expansionEnv(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of this.args) if (v !== undefined) m.set(k, v);
    for (const e of this.config.Env ?? []) {
      const eq = e.indexOf('=');
      m.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
    }
    return m;
  }

  /** Declared args with values that no ENV overrides (they go into RUN's environment). */
  runArgs(): Array<[string, string]> {
    const envKeys = new Set((this.config.Env ?? []).map((e) => e.split('=')[0]));
    return [...this.args].filter(([k, v]) => v !== undefined && !envKeys.has(k)).map(([k, v]) => [k, v!] as [string, string]).sort();
  }

  shell(): string[] {
    return this.config.Shell?.length ? this.config.Shell : ['/bin/sh', '-c'];
  }

  word(s: string): string {
    return this.lex.word(s, this.expansionEnv());
  }
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export function setEnv(env: string[] | undefined, key: string, value: string): string[] {
  const out = (env ?? []).filter((e) => e.split('=')[0] !== key);
  out.push(`${key}=${value}`);
  return out;
}
