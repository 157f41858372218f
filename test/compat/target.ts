// The compat suite drives the real docker CLI against one private daemon per
// file. COMPAT_TARGET picks which: berthd (default) or dockerd, the
// reference the assertions were validated against. COMPAT_CLI swaps the
// client (COMPAT_CLI=bin/berth: berth's own CLI must pass the same suite).
//
//   compatSuite('run', (s) => {
//     s.test('echo', async (tgt) => {
//       const r = await tgt.ok(['run', '--rm', 'busybox', 'echo', 'hello']);
//       assert.equal(r.stdout, 'hello\n');
//     });
//   });

import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, beforeEach, describe, it, type TestContext } from 'node:test';
import {
  DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, run, runOk, type RunOptions, type RunResult,
  skipUnlessRoot, startBerthd, startDockerd,
} from '../helpers/daemon.ts';
import { type DaemonNetwork, pickDaemonNetwork } from '../helpers/network.ts';

export type TargetName = 'berthd' | 'dockerd';

export const TARGET: TargetName = process.env.COMPAT_TARGET === 'dockerd' ? 'dockerd' : 'berthd';

/** The client under test: the real docker CLI unless COMPAT_CLI names another (e.g. bin/berth). */
export const CLI = process.env.COMPAT_CLI || DOCKER_CLI;

export interface CompatTarget {
  readonly name: TargetName;
  readonly daemon: PrivateDaemon;
  /** Runs the docker CLI against this daemon. */
  docker(args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Runs it and asserts exit code 0. */
  ok(args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Runs it and asserts the given non-zero exit code. */
  fails(args: string[], code: number, opts?: RunOptions): Promise<RunResult>;
  /** A fresh directory for the test's files, removed with the daemon's dir. */
  tmpDir(name: string): string;
  /** With SuiteOptions.network: the address pool both daemons allocate from (10.214.X.0/24 in /27s). */
  readonly net: DaemonNetwork | null;
}

export interface SuiteOptions {
  /** dockerd only: --live-restore (berthd always restores). */
  liveRestore?: boolean;
  /** Remove every container before each test (default true). */
  resetContainers?: boolean;
  /** The daemon's configuration file (daemon.json keys both engines share). */
  daemonConfig?: Record<string, unknown>;
  /**
   * Networks under test: both daemons allocate from one private pool (see
   * tgt.net), every custom network is pruned before each test and before
   * the daemon goes (dockerd leaves its br- devices behind otherwise).
   */
  network?: boolean;
  /** dockerd only: further flags (after the helper's, so they win: e.g. --userland-proxy=true). */
  dockerdArgs?: string[];
  /** --userns-remap for either daemon (the private dir made traversable by the remapped root). */
  usernsRemap?: string;
}

export interface TestOptions {
  /** Run only against this target; skipped (with the reason) on the other. */
  only?: TargetName;
  timeout?: number;
}

export interface SuiteContext {
  test(name: string, fn: (tgt: CompatTarget, t: TestContext) => Promise<void>, opts?: TestOptions): void;
}

class Target implements CompatTarget {
  readonly name: TargetName;
  readonly daemon: PrivateDaemon;
  readonly net: DaemonNetwork | null;
  #dirs = 0;

  constructor(name: TargetName, daemon: PrivateDaemon, net: DaemonNetwork | null = null) {
    this.name = name;
    this.daemon = daemon;
    this.net = net;
  }

  docker(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(CLI, args, { timeout: 60_000, ...opts, env: { ...this.daemon.env, ...opts.env } });
  }

  async ok(args: string[], opts?: RunOptions): Promise<RunResult> {
    const r = await this.docker(args, opts);
    assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  }

  async fails(args: string[], code: number, opts?: RunOptions): Promise<RunResult> {
    const r = await this.docker(args, opts);
    assert.equal(r.code, code, `docker ${args.join(' ')}: expected exit ${code}, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  }

  tmpDir(name: string): string {
    const dir = join(this.daemon.dir, 't', `${++this.#dirs}-${name}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  async removeAllContainers(): Promise<void> {
    const ids = (await this.ok(['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await this.ok(['rm', '-f', ...ids]);
  }
}

async function openTarget(opts: SuiteOptions): Promise<Target> {
  const net = opts.network ? pickDaemonNetwork() : null;
  if (TARGET === 'dockerd') {
    const args: string[] = [...(net ? ['--default-address-pool', net.pool] : []), ...(opts.dockerdArgs ?? [])];
    if (opts.daemonConfig) {
      // dockerd takes the last --config-file; the file goes with the suite's process.
      const dir = mkdtempSync('/tmp/dkrcfg-');
      writeFileSync(join(dir, 'daemon.json'), JSON.stringify(opts.daemonConfig));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      args.push('--config-file', join(dir, 'daemon.json'));
    }
    return new Target('dockerd', await startDockerd({ liveRestore: opts.liveRestore, args, ...(opts.usernsRemap ? { usernsRemap: opts.usernsRemap } : {}) }), net);
  }
  return new Target('berthd', await startBerthd({
    logLevel: 'debug', ...(opts.daemonConfig ? { config: opts.daemonConfig } : {}), ...(net ? { network: net } : {}),
    ...(opts.usernsRemap ? { args: ['--userns-remap', opts.usernsRemap], prepare: (p) => chmodSync(p.dir, 0o711) } : {}),
  }), net);
}

export function compatSuite(title: string, body: (s: SuiteContext) => void, opts: SuiteOptions = {}): void {
  describe(`${title} [${TARGET}${CLI === DOCKER_CLI ? '' : `, ${CLI}`}]`, { skip: skipUnlessRoot() }, () => {
    let target: Target | null = null;
    let unavailable: string | null = null;
    before(async () => {
      try {
        target = await openTarget(opts);
      } catch (e) {
        // Only the reference may be missing; a berthd that does not start is a failure.
        if (e instanceof DaemonUnavailable) unavailable = e.message;
        else throw e;
      }
    });
    after(async () => {
      if (opts.network && target?.daemon.running) {
        await target.removeAllContainers().catch(() => {});
        await target.docker(['network', 'prune', '-f']).catch(() => {});
      }
      await target?.daemon.cleanup();
    });
    if (opts.resetContainers ?? true) {
      beforeEach(async () => {
        if (target?.daemon.running) await target.removeAllContainers();
        if (opts.network && target?.daemon.running) await target.ok(['network', 'prune', '-f']);
      });
    }
    body({
      test(name, fn, topts = {}) {
        const skip = topts.only && topts.only !== TARGET ? `${topts.only} only` : false;
        it(name, { skip, timeout: topts.timeout ?? 120_000 }, async (t) => {
          if (unavailable) return t.skip(unavailable);
          if (!target) throw new Error(`${TARGET} did not start`);
          try {
            await fn(target, t);
          } catch (e) {
            // The daemon's side of the story, before cleanup removes its log.
            t.diagnostic(`${TARGET} log (last lines):\n${target.daemon.logTail(30)}`);
            keepLog(target.daemon, title);
            throw e;
          }
        });
      },
    });
  });
}

/** With COMPAT_KEEP_LOGS=1, a failing suite's daemon log is copied to /tmp/berth-compat-logs/. */
function keepLog(d: PrivateDaemon, title: string): void {
  if (process.env.COMPAT_KEEP_LOGS !== '1') return;
  const dir = '/tmp/berth-compat-logs';
  mkdirSync(dir, { recursive: true });
  copyFileSync(d.logFile, join(dir, `${title.replace(/\W+/g, '-')}-${TARGET}.log`));
}

/** Splits output into non-empty lines. */
export function lines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
}

/** Polls cond every 100 ms until it holds; throws after timeoutMs. */
export async function waitFor(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves with the promise's value, or with 'timeout' after ms (the timer does not outlive it). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes files (path -> content) under dir/src and tars them (uncompressed) to dir/<name>.tar. */
export async function makeTar(dir: string, name: string, files: Record<string, string>): Promise<string> {
  const src = join(dir, `${name}-src`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(src, path)), { recursive: true });
    writeFileSync(join(src, path), content);
  }
  const tar = join(dir, `${name}.tar`);
  await runOk('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', src, '-cf', tar, '.']);
  return tar;
}
