// berth's packet filter and NAT rules, in chains of its own that carry the
// daemon's tag (its default bridge's name), so several daemons (and
// dockerd) can share one host:
//
//   filter FORWARD     -> BERTH-FWD-<tag>   (inserted first: accepts berth's
//                                             bridges even under dockerd's DROP policy)
//   nat POSTROUTING    -> BERTH-POST-<tag>  (MASQUERADE out, hairpin)
//   nat PREROUTING     -> BERTH-DNAT-<tag>  (published ports, addrtype LOCAL)
//   nat OUTPUT         -> BERTH-DNAT-<tag>  (same, for the host's non-loopback addresses)
//   nat OUTPUT         -> BERTH-DNAT-<tag>  (-d 127.0.0.0/8: loopback clients of published
//                                             ports, through route_localnet on the bridges)
//   raw PREROUTING     -> BERTH-RAW-<tag>   (drops what a container sends to 127.0.0.0/8:
//                                             route_localnet must not open the host's loopback)
//
// Loopback clients go through the kernel like everyone else (conntrack
// DNAT, then MASQUERADE to the bridge's address), which is dockerd's
// --userland-proxy=false path; berthd's relay (ports.ts) still holds the
// port and serves when iptables is off.
// Dual-stack bridges get the same chains in ip6tables but the raw one: the
// host forwards IPv6 between interfaces here, so without them one
// network's containers would reach another's over IPv6. Published ports
// bound on an IPv6 host address ([::] or a given one) are DNATed to the
// container's IPv6 address, so it sees the client's own address, as
// dockerd does with --ipv6 --ip6tables (experimental in 20.10: without it
// docker-proxy alone serves them). ::1 cannot be DNATed out of the host
// (IPv6 has no route_localnet): the OUTPUT jump skips it, and berthd's
// relay serves loopback IPv6 clients, as docker-proxy does.
// The whole content of the chains is generated from the networks and port
// mappings and replaced in one iptables-restore (one exec, atomic), so a
// restart after a crash rebuilds exactly what the metadata says.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { unavailable } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { PortProto } from './store.ts';

const run = promisify(execFile);

export interface BridgeRules { device: string; subnet: string; internal: boolean; icc: boolean; masquerade: boolean; subnet6?: string }
export interface PortRule { proto: PortProto; hostIp: string; hostPort: number; ip: string; port: number; device: string }

export function chainNames(tag: string): { fwd: string; post: string; dnat: string; raw: string } {
  return { fwd: `BERTH-FWD-${tag}`, post: `BERTH-POST-${tag}`, dnat: `BERTH-DNAT-${tag}`, raw: `BERTH-RAW-${tag}` };
}

/** The filter table's part: isolation and acceptance of the bridges. */
function filterRules(c: ReturnType<typeof chainNames>, bridges: BridgeRules[]): string[] {
  const f: string[] = ['*filter', `:${c.fwd} - [0:0]`];
  // Traffic into a bridge first (isolation: nothing new from another
  // interface but published ports), then traffic out of it.
  for (const b of bridges) {
    f.push(`-A ${c.fwd} -o ${b.device} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    if (!b.internal) f.push(`-A ${c.fwd} -o ${b.device} -m conntrack --ctstate DNAT -j ACCEPT`);
    f.push(`-A ${c.fwd} -i ${b.device} -o ${b.device} -j ${b.icc ? 'ACCEPT' : 'DROP'}`);
    f.push(`-A ${c.fwd} -o ${b.device} -j DROP`);
  }
  for (const b of bridges) f.push(`-A ${c.fwd} -i ${b.device} -j ${b.internal ? 'DROP' : 'ACCEPT'}`);
  f.push('COMMIT');
  return f;
}

/** The nat rules of published ports: hairpin MASQUERADE and DNAT (IPv6 addresses in brackets). */
function portRules(c: ReturnType<typeof chainNames>, ports: PortRule[], v6: boolean): string[] {
  const n: string[] = [];
  const host = v6 ? 128 : 32;
  const any = v6 ? '::' : '0.0.0.0';
  for (const p of ports) {
    // A container reaching its own published port through the host: hairpin.
    n.push(`-A ${c.post} -s ${p.ip}/${host} -d ${p.ip}/${host} -p ${p.proto} -m ${p.proto} --dport ${p.port} -j MASQUERADE`);
    const dst = p.hostIp && p.hostIp !== any ? ` -d ${p.hostIp}/${host}` : '';
    const to = v6 ? `[${p.ip}]:${p.port}` : `${p.ip}:${p.port}`;
    n.push(`-A ${c.dnat}${dst} -p ${p.proto} -m ${p.proto} --dport ${p.hostPort} -j DNAT --to-destination ${to}`);
  }
  return n;
}

/** The ip6tables-restore input: the dual-stack bridges' isolation, MASQUERADE and published ports. */
export function renderRules6(tag: string, bridges: BridgeRules[], ports6: PortRule[] = []): string {
  const c = chainNames(tag);
  const v6 = bridges.filter((b) => b.subnet6);
  const n: string[] = ['*nat', `:${c.post} - [0:0]`, `:${c.dnat} - [0:0]`];
  for (const b of v6) if (!b.internal && b.masquerade) n.push(`-A ${c.post} -s ${b.subnet6} ! -o ${b.device} -j MASQUERADE`);
  n.push(...portRules(c, ports6, true), 'COMMIT');
  return [...filterRules(c, v6), ...n, ''].join('\n');
}

/** The iptables-restore input that replaces the chains' content. */
export function renderRules(tag: string, bridges: BridgeRules[], ports: PortRule[]): string {
  const c = chainNames(tag);
  const f = filterRules(c, bridges);
  const r: string[] = ['*raw', `:${c.raw} - [0:0]`];
  for (const b of bridges) r.push(`-A ${c.raw} -i ${b.device} -d 127.0.0.0/8 -j DROP`);
  r.push('COMMIT');
  const n: string[] = ['*nat', `:${c.post} - [0:0]`, `:${c.dnat} - [0:0]`];
  for (const b of bridges) {
    if (!b.internal && b.masquerade) n.push(`-A ${c.post} -s ${b.subnet} ! -o ${b.device} -j MASQUERADE`);
    // A loopback client DNATed into the bridge: the container answers the bridge's address.
    n.push(`-A ${c.post} -s 127.0.0.0/8 -o ${b.device} -j MASQUERADE`);
  }
  n.push(...portRules(c, ports, false), 'COMMIT');
  return [...f, ...r, ...n, ''].join('\n');
}

export const JUMPS = (c: ReturnType<typeof chainNames>) => [
  { table: 'filter', chain: 'FORWARD', rule: ['-j', c.fwd] },
  { table: 'nat', chain: 'POSTROUTING', rule: ['-j', c.post] },
  { table: 'nat', chain: 'PREROUTING', rule: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', c.dnat] },
  { table: 'nat', chain: 'OUTPUT', rule: ['!', '-d', '127.0.0.0/8', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', c.dnat] },
  { table: 'nat', chain: 'OUTPUT', rule: ['-d', '127.0.0.0/8', '-j', c.dnat] },
  { table: 'raw', chain: 'PREROUTING', rule: ['-j', c.raw] },
];

const JUMPS6 = (c: ReturnType<typeof chainNames>) => [
  { table: 'filter', chain: 'FORWARD', rule: ['-j', c.fwd] },
  { table: 'nat', chain: 'POSTROUTING', rule: ['-j', c.post] },
  { table: 'nat', chain: 'PREROUTING', rule: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', c.dnat] },
  { table: 'nat', chain: 'OUTPUT', rule: ['!', '-d', '::1/128', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', c.dnat] },
];

/** `<bin>-save`'s rules by table ("-A CHAIN ..." lines, in order); null when it cannot be run. */
export async function savedRules(bin: string): Promise<Record<string, string[]> | null> {
  const out = await run(`${bin}-save`, [], { maxBuffer: 64 * 1024 * 1024 }).then((r) => r.stdout, () => null);
  return out === null ? null : parseSave(out);
}

export function parseSave(text: string): Record<string, string[]> {
  const tables: Record<string, string[]> = {};
  let table: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) tables[line.slice(1).trim()] = table = [];
    else if (line.startsWith('-A ')) table?.push(line.trimEnd());
  }
  return tables;
}

export class Iptables {
  readonly #tag: string;
  readonly #log: Logger;
  readonly #bin: string;
  #chain: Promise<void> = Promise.resolve();

  constructor(tag: string, log: Logger, bin = 'iptables') {
    this.#tag = tag;
    this.#log = log;
    this.#bin = bin;
  }

  /** Replaces the chains' content, then makes sure the built-in chains jump to them (first in FORWARD). */
  async apply(bridges: BridgeRules[], ports: PortRule[], ports6: PortRule[], ensureJumps = false): Promise<void> {
    // One restore at a time: a later one carries the latest state anyway.
    const next = this.#chain.then(() => this.#apply(bridges, ports, ports6, ensureJumps));
    this.#chain = next.catch(() => {});
    return next;
  }

  async #apply(bridges: BridgeRules[], ports: PortRule[], ports6: PortRule[], ensureJumps: boolean): Promise<void> {
    await this.#restore(this.#bin, renderRules(this.#tag, bridges, ports));
    // ip6tables only once a dual-stack network exists (or its chains may hold rules of one that went).
    const v6 = bridges.some((b) => b.subnet6);
    // After a restart: chains an earlier run made are emptied too.
    if (ensureJumps && !v6 && !this.#v6Chains) {
      this.#v6Chains = await run(this.#bin6, ['-w', '-t', 'filter', '-S', chainNames(this.#tag).fwd]).then(() => true, () => false);
    }
    if (v6 || this.#v6Chains) {
      await this.#restore(this.#bin6, renderRules6(this.#tag, bridges, ports6));
      if (!this.#v6Chains || ensureJumps) await this.#jumps(this.#bin6, JUMPS6(chainNames(this.#tag)));
      this.#v6Chains = true;
    }
    if (ensureJumps) await this.#jumps(this.#bin, JUMPS(chainNames(this.#tag)));
  }

  #v6Chains = false;
  get #bin6(): string { return this.#bin.replace(/iptables$/, 'ip6tables'); }

  async #jumps(bin: string, jumps: ReturnType<typeof JUMPS>): Promise<void> {
    // One `iptables-save` answers for every jump already in place (a restart:
    // all of them), where a check each cost a process (~200 ms of a busy
    // host's CPU per spawn from a daemon holding 1,000 containers). A jump
    // it does not show goes through the checks below as before.
    const saved = await savedRules(bin);
    for (const j of jumps) {
      const line = `-A ${j.chain} ${j.rule.join(' ')}`;
      if (saved?.[j.table]?.includes(line) && (j.chain !== 'FORWARD' || saved.filter?.find((l) => l.startsWith('-A FORWARD ')) === line)) continue;
      const exists = await run(bin, ['-w', '-t', j.table, '-C', j.chain, ...j.rule]).then(() => true, () => false);
      if (exists) {
        if (j.chain !== 'FORWARD') continue;
        // dockerd inserts its own rules first when it starts: keep ours ahead of them.
        const first = await run(bin, ['-w', '-t', 'filter', '-S', 'FORWARD', '1']).then((r) => r.stdout.trim(), () => '');
        if (first === `-A FORWARD -j ${chainNames(this.#tag).fwd}`) continue;
        await run(bin, ['-w', '-t', j.table, '-D', j.chain, ...j.rule]).catch(() => {});
      }
      await run(bin, ['-w', '-t', j.table, '-I', j.chain, '1', ...j.rule]).catch((err) => {
        throw unavailable(`${bin}: cannot add ${j.chain} jump: ${String(err.stderr ?? err.message).trim()}`);
      });
    }
  }

  async #restore(bin: string, input: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = execFile(`${bin}-restore`, ['-w', '--noflush'], (err, _out, stderr) => {
        if (err) {
          this.#log.warn(`${bin}-restore failed`, { stderr, input });
          reject(unavailable(`${bin}-restore failed: ${String(stderr).trim() || err.message}`));
        } else resolve();
      });
      child.stdin!.end(input);
    });
  }

  /** Removes the jumps and chains (a daemon told to forget its networks; tests). */
  async removeAll(): Promise<void> {
    const c = chainNames(this.#tag);
    for (const j of JUMPS(c)) {
      while (await run(this.#bin, ['-w', '-t', j.table, '-D', j.chain, ...j.rule]).then(() => true, () => false)) { /* all copies */ }
    }
    for (const [table, chain] of [['filter', c.fwd], ['nat', c.post], ['nat', c.dnat], ['raw', c.raw]] as const) {
      await run(this.#bin, ['-w', '-t', table, '-F', chain]).catch(() => {});
      await run(this.#bin, ['-w', '-t', table, '-X', chain]).catch(() => {});
    }
    for (const j of JUMPS6(c)) {
      while (await run(this.#bin6, ['-w', '-t', j.table, '-D', j.chain, ...j.rule]).then(() => true, () => false)) { /* all copies */ }
    }
    for (const [table, chain] of [['filter', c.fwd], ['nat', c.post], ['nat', c.dnat]] as const) {
      await run(this.#bin6, ['-w', '-t', table, '-F', chain]).catch(() => {});
      await run(this.#bin6, ['-w', '-t', table, '-X', chain]).catch(() => {});
    }
    this.#v6Chains = false;
  }
}
