// The per-container files bind-mounted into /etc: hostname, hosts and
// resolv.conf. Written with temp+rename so a crash never leaves half a file.
// Synchronously: a few hundred bytes each on the start path, where every
// thread-pool round trip costs milliseconds on a busy host.

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { syscallError } from '../../core/errors.ts';
import type { ContainerRecord } from '../../core/container.ts';
import type { NetworkSetup } from '../../core/network.ts';

function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw syscallError(err, tmp);
  }
}

function readOr(path: string, fallback: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return fallback; }
}

const loopbackNameserver = /^\s*nameserver\s+(127\.\S*|::1)\s*$/;

/**
 * Host resolv.conf minus loopback nameservers (unreachable from a private
 * net namespace), like dockerd. Given --dns, --dns-search or --dns-option,
 * the file is built afresh as dockerd's resolvconf.Build does: search,
 * nameservers, options, each the given values or else the host's, nothing
 * else of the host's file; on a network with the embedded DNS too.
 */
export function filterResolvConf(host: string, netMode: 'none' | 'host', rec: ContainerRecord, embedded: string[] | null = null): string {
  const hc = rec.hostConfig;
  let lines = host.split('\n');
  if (netMode !== 'host') lines = lines.filter((l) => !loopbackNameserver.test(l));
  // The embedded DNS answers berth's names and forwards the rest (to --dns servers when given);
  // dockerd then rebuilds the file the same way, with its address as the only nameserver.
  if (embedded || hc.dns.length || hc.dnsSearch.length || hc.dnsOptions.length) {
    const values = (key: string) => lines.filter((l) => new RegExp(`^\\s*${key}\\s`).test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
    const search = hc.dnsSearch.length ? hc.dnsSearch : values('search');
    const servers = embedded ?? (hc.dns.length ? hc.dns : values('nameserver'));
    const options = hc.dnsOptions.length ? [...hc.dnsOptions] : values('options');
    // Like dockerd's embedded resolver: names without dots go to it as they are (ndots:0) unless ndots was set.
    if (embedded && !options.some((o) => o.startsWith('ndots:'))) options.push('ndots:0');
    lines = [
      ...(search.length ? [`search ${search.join(' ')}`] : []),
      ...servers.map((d) => `nameserver ${d}`),
      ...(options.length ? [`options ${options.join(' ')}`] : []),
    ];
  }
  return lines.filter((l) => l.trim() !== '').join('\n') + '\n';
}

/** --add-host entries as hosts-file lines. */
function extraHostLines(rec: ContainerRecord): string[] {
  const lines: string[] = [];
  for (const h of rec.hostConfig.extraHosts) {
    const i = h.indexOf(':');
    if (i > 0) lines.push(`${h.slice(i + 1)}\t${h.slice(0, i)}`);
  }
  return lines;
}

export function hostsFile(rec: ContainerRecord, networkLines: string[] = []): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::\tip6-localnet',
    'ff00::\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    ...extraHostLines(rec),
    ...networkLines,
  ].join('\n') + '\n';
}

export async function writeContainerFiles(rec: ContainerRecord, netMode: 'none' | 'host', net?: NetworkSetup): Promise<void> {
  // With the host's network the container sees the host's names, as with Docker.
  const hosts = netMode === 'host'
    ? readOr('/etc/hosts', '').replace(/\n*$/, '\n') + extraHostLines(rec).map((l) => l + '\n').join('')
    : hostsFile(rec, net?.hosts);
  writeAtomic(rec.hostnamePath, rec.config.hostname + '\n');
  writeAtomic(rec.hostsPath, hosts);
  writeAtomic(rec.resolvConfPath, filterResolvConf(readOr('/etc/resolv.conf', ''), netMode, rec, net?.nameservers ?? null));
}
