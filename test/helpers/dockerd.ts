// The reference daemon: Debian's dockerd on its own socket, data root, exec
// root, containerd (which it spawns, under the exec root), containerd
// namespace and cgroup parent, with no bridge and no iptables rules, so it
// never touches the host's or berth's networks.
//
// dockerd also writes a few host-global paths no flag moves: its trust key
// /etc/docker/key.json, /run/docker/plugins, and the containerd shims'
// socket dir /run/containerd/s. Those are removed at cleanup only if this
// daemon created them and no other dockerd or containerd is left running.

import { chmodSync, existsSync, lstatSync, readdirSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { importBusybox } from './busybox-image.ts';
import { readMounts } from './mounts.ts';
import { listProcesses } from './procs.ts';
import { type DaemonOptions, type DaemonPaths, PrivateDaemon } from './private-daemon.ts';

export const DOCKERD = '/usr/sbin/dockerd';

/** dockerd is missing or would not start here: suites skip, benchmarks note it. */
export class DaemonUnavailable extends Error {
  override name = 'DaemonUnavailable';
}

export interface DockerdOptions extends DaemonOptions {
  /** --live-restore: containers survive a dockerd crash or restart. */
  liveRestore?: boolean;
  /** Import busybox:latest from the host's busybox (default true). */
  seedBusybox?: boolean;
  /**
   * --userns-remap value ('default', 'user', 'user:group', 'uid:gid'). The
   * private dir is made traversable (o+x): dockerd refuses a data root whose
   * parents the remapped root cannot reach.
   */
  usernsRemap?: string;
}

const HOST_GLOBALS: Array<{ path: string; kind: 'file' | 'dir' }> = [
  { path: '/etc/docker/key.json', kind: 'file' },
  { path: '/run/docker/plugins', kind: 'dir' },
  { path: '/run/docker', kind: 'dir' },
  { path: '/run/containerd/s', kind: 'dir' },
  { path: '/run/containerd', kind: 'dir' },
];

export async function startDockerd(opts: DockerdOptions = {}): Promise<PrivateDaemon> {
  if (!existsSync(DOCKERD)) throw new DaemonUnavailable(`${DOCKERD} is not installed`);
  if (process.getuid?.() !== 0) throw new DaemonUnavailable('dockerd needs root');
  const preexisting = new Set(HOST_GLOBALS.filter((g) => existsSync(g.path)).map((g) => g.path));
  let tag = '';
  const d = new PrivateDaemon({
    kind: 'dockerd',
    command: DOCKERD,
    args: (p) => {
      tag = basename(p.dir);
      if (opts.usernsRemap) chmodSync(p.dir, 0o711);
      writeFileSync(join(p.dir, 'daemon.json'), '{}\n');
      return [
        '-H', `unix://${p.socket}`,
        '--data-root', p.dataRoot,
        '--exec-root', p.execRoot,
        '--pidfile', p.pidfile,
        // An empty config: never the host's /etc/docker/daemon.json.
        '--config-file', join(p.dir, 'daemon.json'),
        '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--userland-proxy=false',
        '--containerd-namespace', `berth-${tag}`,
        '--containerd-plugins-namespace', `berth-${tag}-plugins`,
        '--exec-opt', 'native.cgroupdriver=cgroupfs',
        '--cgroup-parent', `/${tag}`,
        '--log-level', opts.logLevel ?? 'info',
        ...(opts.liveRestore ? ['--live-restore'] : []),
        ...(opts.usernsRemap ? ['--userns-remap', opts.usernsRemap] : []),
        ...(opts.args ?? []),
      ];
    },
    env: {
      ...process.env,
      // No registry is reachable here; a pull must fail on loopback, never go out.
      HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '',
    },
    startTimeoutMs: opts.startTimeoutMs ?? 60_000,
    afterTeardown: async (p: DaemonPaths) => {
      removeCgroupParent(tag || basename(p.dir));
      removeHostGlobals(preexisting);
    },
  }, '/tmp/dkr-');
  try {
    await d.start();
    if (opts.seedBusybox ?? true) await importBusybox(d.dir, d.env);
  } catch (e) {
    await d.cleanup().catch(() => {});
    throw new DaemonUnavailable(`dockerd could not start: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return d;
}

/** rmdir the private cgroup parent in every hierarchy, children first (they are empty once processes are gone). */
export function removeCgroupParent(name: string): void {
  for (const m of readMounts()) {
    if (m.fsType !== 'cgroup' && m.fsType !== 'cgroup2') continue;
    const top = join(m.mountPoint, name);
    if (existsSync(top)) rmdirTree(top);
  }
}

function rmdirTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) rmdirTree(join(dir, entry.name));
  }
  rmdirSync(dir);
}

function removeHostGlobals(preexisting: ReadonlySet<string>): void {
  const others = listProcesses().some((p) => /^(dockerd|containerd|containerd-shim)/.test(p.comm));
  if (others) return;
  for (const g of HOST_GLOBALS) {
    if (preexisting.has(g.path) || !existsSync(g.path)) continue;
    try {
      if (g.kind === 'file') unlinkSync(g.path);
      else if (lstatSync(g.path).isDirectory() && readdirSync(g.path).length === 0) rmdirSync(g.path);
    } catch {}
  }
}
