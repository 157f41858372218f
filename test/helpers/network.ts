// Networking of private daemons: every private berthd gets its own default
// bridge name ("bth" + random hex) and subnets (10.213.X.0/24 for the
// default bridge, 10.214.X.0/24 cut in /27s for user-defined networks), X
// unused by any interface on the host, so tests and helpers running
// daemons in parallel never share a bridge, a subnet or an iptables chain.
// After the daemon is gone, removeDaemonNetworking() deletes what it may
// have left: its devices (ifalias "berth:<bridge>"), its chains and jumps.

import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { readFileSync } from 'node:fs';

export interface DaemonNetwork { bridge: string; bip: string; pool: string; subnet: string }

function usedThirdOctets(): Set<number> {
  const used = new Set<number>();
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      const m = /^10\.21[34]\.(\d+)\./.exec(a.address);
      if (m) used.add(Number(m[1]));
    }
  }
  // Routes too: a bridge without an address yet still has its route once up.
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const hex = line.split('\t')[1];
      if (!hex) continue;
      const n = Number.parseInt(hex, 16);
      if ((n & 255) === 10 && (((n >>> 8) & 255) === 213 || ((n >>> 8) & 255) === 214)) used.add((n >>> 16) & 255);
    }
  } catch { /* no /proc */ }
  return used;
}

export function pickDaemonNetwork(): DaemonNetwork {
  const used = usedThirdOctets();
  let x = randomInt(0, 256);
  for (let i = 0; i < 256 && used.has(x); i++) x = (x + 1) % 256;
  return {
    bridge: `bth${randomBytes(4).toString('hex').slice(0, 7)}`,
    bip: `10.213.${x}.1/24`,
    subnet: `10.213.${x}.0/24`,
    pool: `base=10.214.${x}.0/24,size=27`,
  };
}

const sh = (cmd: string, args: string[]) => {
  try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }); } catch { return null; }
};

/** Devices, chains and jumps of the daemon whose default bridge is `bridge`. */
export function daemonNetworkLeftovers(bridge: string): { links: string[]; rules: string[] } {
  const links: string[] = [];
  const out = sh('ip', ['-d', '-o', 'link', 'show']) ?? '';
  for (const line of out.split('\n')) {
    const m = /^\d+: ([^:@]+)[@:]/.exec(line);
    if (m && (m[1] === bridge || line.includes(` alias berth:${bridge}`))) links.push(m[1]!);
  }
  const mine = (l: string) => l.includes(`BERTH-`) && l.includes(`-${bridge}`);
  const rules = [...(sh('iptables-save', []) ?? '').split('\n').filter(mine), ...(sh('ip6tables-save', []) ?? '').split('\n').filter(mine).map((l) => `(ip6) ${l}`)];
  return { links, rules };
}

export function removeDaemonNetworking(bridge: string): string[] {
  const { links } = daemonNetworkLeftovers(bridge);
  for (const l of links) sh('ip', ['link', 'del', l]);
  const chains = { filter: [`BERTH-FWD-${bridge}`], nat: [`BERTH-POST-${bridge}`, `BERTH-DNAT-${bridge}`], raw: [`BERTH-RAW-${bridge}`] };
  const jumps: Array<[string, string, string[]]> = [
    ['filter', 'FORWARD', ['-j', chains.filter[0]!]],
    ['nat', 'POSTROUTING', ['-j', chains.nat[0]!]],
    ['nat', 'PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', chains.nat[1]!]],
    ['nat', 'OUTPUT', ['!', '-d', '127.0.0.0/8', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', chains.nat[1]!]],
    ['nat', 'OUTPUT', ['-d', '127.0.0.0/8', '-j', chains.nat[1]!]],
    ['raw', 'PREROUTING', ['-j', chains.raw[0]!]],
  ];
  for (const [table, chain, rule] of jumps) {
    for (let i = 0; i < 5 && sh('iptables', ['-w', '-t', table, '-D', chain, ...rule]) !== null; i++) { /* every copy */ }
  }
  for (const [table, list] of Object.entries(chains)) {
    for (const c of list) {
      sh('iptables', ['-w', '-t', table, '-F', c]);
      sh('iptables', ['-w', '-t', table, '-X', c]);
    }
  }
  const jumps6: Array<[string, string, string[]]> = [
    ...jumps.slice(0, 3),
    ['nat', 'OUTPUT', ['!', '-d', '::1/128', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', chains.nat[1]!]],
  ];
  for (const [table, chain, rule] of jumps6) {
    for (let i = 0; i < 5 && sh('ip6tables', ['-w', '-t', table, '-D', chain, ...rule]) !== null; i++) { /* every copy */ }
  }
  for (const [table, c] of [['filter', chains.filter[0]!], ['nat', chains.nat[0]!], ['nat', chains.nat[1]!]] as const) {
    sh('ip6tables', ['-w', '-t', table, '-F', c]);
    sh('ip6tables', ['-w', '-t', table, '-X', c]);
  }
  const left = daemonNetworkLeftovers(bridge);
  return [...left.links.map((l) => `link ${l} left behind`), ...left.rules.map((r) => `iptables rule left behind: ${r}`)];
}
