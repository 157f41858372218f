// Entry point for tests and benchmarks that need a private daemon:
//   startBerthd()  - bin/berthd on a private socket, data root and exec root
//   startDockerd() - the reference dockerd, same shape (throws DaemonUnavailable)
//   run()          - run a command, collect { code, stdout, stderr }
// See private-daemon.ts for what cleanup() guarantees.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type DaemonOptions, type DaemonPaths, PrivateDaemon } from './private-daemon.ts';
import { type DaemonNetwork, pickDaemonNetwork, removeDaemonNetworking } from './network.ts';

export { PrivateDaemon, daemonProcesses, type DaemonKind, type DaemonOptions } from './private-daemon.ts';
export { DaemonUnavailable, startDockerd, type DockerdOptions } from './dockerd.ts';
export { run, runOk, type RunOptions, type RunResult } from './run.ts';
export { skipUnlessRoot } from './root.ts';
export { daemonNetworkLeftovers, type DaemonNetwork } from './network.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
export const BERTHD = `${REPO_ROOT}/bin/berthd`;
export const BERTH = `${REPO_ROOT}/bin/berth`;
export const DOCKER_CLI = '/usr/local/bin/docker';

export interface BerthdOptions extends DaemonOptions {
  /** Written to <dir>/berthd.json and passed as --config-file (default {}). */
  config?: Record<string, unknown>;
  /** Daemon binary (default bin/berthd of this checkout). */
  binary?: string;
  /** Bridge name and subnets (default: a fresh unique set, see network.ts). */
  network?: DaemonNetwork;
  /** Runs before every start, once the dirs are named (e.g. to mount a small filesystem on the data root). */
  prepare?: (paths: DaemonPaths) => void;
  /** Extra environment for the daemon process (over process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The default bridge and subnets a private berthd was given. */
export const daemonNetworks = new WeakMap<PrivateDaemon, DaemonNetwork>();

export async function startBerthd(opts: BerthdOptions = {}): Promise<PrivateDaemon> {
  const net = opts.network ?? pickDaemonNetwork();
  const d = new PrivateDaemon({
    kind: 'berthd',
    command: opts.binary ?? BERTHD,
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
    args: (p) => {
      // Always a private config file: never the host's /etc/berth/daemon.json.
      const configFile = `${p.dir}/berthd.json`;
      writeFileSync(configFile, `${JSON.stringify(opts.config ?? {}, null, 2)}\n`);
      opts.prepare?.(p);
      return [
        '-H', `unix://${p.socket}`,
        '--data-root', p.dataRoot,
        '--exec-root', p.execRoot,
        '--pidfile', p.pidfile,
        '--log-level', opts.logLevel ?? 'info',
        '--config-file', configFile,
        '--bridge', net.bridge, '--bip', net.bip, '--default-address-pool', net.pool,
        ...(opts.args ?? []),
      ];
    },
    afterTeardown: async () => {
      const left = removeDaemonNetworking(net.bridge);
      if (left.length) throw new Error(left.join('\n'));
    },
    startTimeoutMs: opts.startTimeoutMs ?? 30_000,
  }, '/tmp/bt-');
  daemonNetworks.set(d, net);
  try {
    await d.start();
  } catch (e) {
    await d.cleanup().catch(() => {});
    throw e;
  }
  return d;
}
