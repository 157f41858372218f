// The runtime spec of a container under --userns-remap: a user namespace
// with the daemon's mappings. berth's network namespaces for remapped
// containers are made inside their user namespace (network/userns-netns.ts),
// which the runtime then joins by path (join: the pin, or the user namespace
// of the remapped container whose namespaces this one shares); with
// --network none the runtime makes both. Either way the user namespace owns
// the network namespace: sysfs mounts, runc writes the net.* sysctls, and
// `docker exec` (user namespace first, then the others) may enter it.
//
// Only a network namespace the user namespace does not own (--network
// container: of a container that is not remapped) still needs the old
// workarounds: /sys bound read-only from the host, as rootless engines do,
// and the net.* sysctls written from the host by a createRuntime hook
// (runc, inside the user namespace, may not write them there).

import type { OciSpec } from '../core/runtime.ts';
import { ociMappings, type IdMaps } from '../core/idmap.ts';
import type { SpecNetwork } from './spec.ts';

const NSENTER = '/usr/bin/nsenter';
const SYSCTL_NAME = /^[a-z0-9_]+(\.[a-zA-Z0-9_-]+)+$/;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function userNamespace(spec: OciSpec, maps: IdMaps, network: SpecNetwork, join?: string): void {
  const linux = spec.linux;
  linux.namespaces.push(join ? { type: 'user', path: join } : { type: 'user' });
  // Kept when joining: runc 1.1 takes the root's host IDs from them (devices, /dev/pts).
  linux.uidMappings = ociMappings(maps.uids);
  linux.gidMappings = ociMappings(maps.gids);
  const sysctl: Record<string, string> = linux.sysctl ?? {};
  if (typeof network !== 'object' || join) {
    // runc writes it inside the user namespace: gids past the mapped ones do not exist there.
    if (sysctl['net.ipv4.ping_group_range']) {
      const last = maps.gids.reduce((n, r) => Math.max(n, r.containerId + r.size - 1), 0);
      sysctl['net.ipv4.ping_group_range'] = `0 ${last}`;
    }
    return;
  }
  const i = spec.mounts.findIndex((m) => m.destination === '/sys' && m.type === 'sysfs');
  if (i >= 0) spec.mounts[i] = { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
  const net = Object.keys(sysctl).filter((k) => k.startsWith('net.'));
  if (!net.length) return;
  const writes = net.map((k) => {
    if (!SYSCTL_NAME.test(k)) throw new Error(`unexpected sysctl name ${JSON.stringify(k)}`);
    const v = sysctl[k]!;
    delete sysctl[k];
    return `printf '%s\\n' ${quote(v)} > /proc/sys/${k.replace(/\./g, '/')}`;
  });
  spec.hooks ??= {};
  (spec.hooks.createRuntime ??= []).push({
    path: NSENTER, args: ['nsenter', `--net=${network.path}`, '--', '/bin/sh', '-ec', writes.join('\n')], timeout: 10,
  });
}
