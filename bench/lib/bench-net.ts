// Shared by the network benchmarks: a private berthd and a private dockerd
// that can both carry traffic on user-defined networks, the docker CLI
// against either, and a command run inside a container's network namespace.
//
// dockerd keeps the harness's --iptables=false (no rules, no FORWARD policy
// change on the host) but gets --userland-proxy=true: a loopback client of
// a published port goes through docker-proxy, as it does with iptables on
// (dockerd's DNAT skips 127.0.0.0/8). Both daemons allocate from pools
// picked for the run (test/helpers/network.ts), never 172.17.0.0/16.

import { DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd } from '../../test/helpers/daemon.ts';
import { pickDaemonNetwork } from '../../test/helpers/network.ts';

export interface BenchDaemon {
  d: PrivateDaemon;
  kind: 'berthd' | 'dockerd';
  /** "10.214.X": the /24 this daemon's networks are cut from. */
  base: string;
  docker(...args: string[]): Promise<string>;
}

function wrap(d: PrivateDaemon, base: string): BenchDaemon {
  return {
    d, kind: d.kind as 'berthd' | 'dockerd', base,
    async docker(...args: string[]) {
      const r = await run(DOCKER_CLI, args, { env: d.env, timeout: 300_000 });
      if (r.code !== 0) throw new Error(`${d.kind}: docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout.trim();
    },
  };
}

const baseOf = (pool: string) => /^base=(10\.214\.\d+)\.0\/24/.exec(pool)![1]!;

/** berthd, and dockerd unless it cannot start here (then a note says why). */
export async function startBoth(withDockerd: boolean, notes: string[]): Promise<BenchDaemon[]> {
  const out: BenchDaemon[] = [];
  const bnet = pickDaemonNetwork();
  out.push(wrap(await startBerthd({ network: bnet }), baseOf(bnet.pool)));
  if (!withDockerd) return out;
  const dnet = pickDaemonNetwork();
  try {
    const d = await startDockerd({ args: ['--default-address-pool', dnet.pool, '--userland-proxy=true'] });
    out.push(wrap(d, baseOf(dnet.pool)));
  } catch (e) {
    if (!(e instanceof DaemonUnavailable)) throw e;
    notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
  }
  return out;
}

export async function stopAll(daemons: BenchDaemon[]): Promise<void> {
  for (const b of daemons) {
    if (!b.d.running) continue;
    const ids = (await run(DOCKER_CLI, ['ps', '-aq'], { env: b.d.env })).stdout.split('\n').filter(Boolean);
    if (ids.length) await run(DOCKER_CLI, ['rm', '-f', ...ids], { env: b.d.env, timeout: 600_000 });
    await run(DOCKER_CLI, ['network', 'prune', '-f'], { env: b.d.env });
  }
  for (const b of daemons) await b.d.cleanup().catch((e) => console.error(String(e)));
}

/** The embedded DNS server a container on a user network asks. */
export function dnsServer(b: BenchDaemon, gateway: string): string {
  return b.kind === 'dockerd' ? '127.0.0.11' : gateway;
}

/** Runs bench/lib/dns-client.ts in the network namespace of the container with this pid. */
export async function dnsQueries(pid: number, server: string, count: number, names: string[]): Promise<{ ms: number[]; answers: Record<string, string[]>; failures: number }> {
  const r = await run('nsenter', [`--net=/proc/${pid}/ns/net`, process.execPath, '--disable-warning=ExperimentalWarning',
    `${REPO_ROOT}/bench/lib/dns-client.ts`, server, String(count), ...names], { timeout: 600_000 });
  if (r.code !== 0) throw new Error(`dns-client failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}
