// Capabilities: Docker's default set, tweaked by --cap-add/--cap-drop and
// --privileged with Docker's rules:
//   - privileged: every capability;
//   - cap-add ALL: every capability except the dropped ones;
//   - cap-drop ALL: only the added ones;
//   - else: defaults minus drops, plus adds.
// Names are case-insensitive, with or without the CAP_ prefix.
//
// "Every capability" means every one the host can grant: the bounding set
// of this process (on these machines CAP_SYS_RESOURCE is missing from it,
// and asking runc for it fails with "unable to apply caps").

import fs from 'node:fs';
import { invalid } from '../core/errors.ts';

/** Capability names by number (linux/capability.h). */
export const CAPABILITY_NAMES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID',
  'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default capability set, in Docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

let hostCapsCache: string[] | undefined;

/** The capabilities this process may grant: its bounding set, as names. */
export function hostCapabilities(): string[] {
  if (hostCapsCache) return hostCapsCache;
  let mask: bigint | null = null;
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) mask = BigInt('0x' + m[1]);
  } catch {}
  hostCapsCache = CAPABILITY_NAMES.filter((_, i) => mask === null || (mask & (1n << BigInt(i))) !== 0n);
  return hostCapsCache;
}

/** "net_admin", "CAP_NET_ADMIN", "Net_Admin" -> "CAP_NET_ADMIN"; "all" -> "ALL". */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!CAPABILITY_NAMES.includes(full)) throw invalid(`unknown capability: "${full}"`);
  return full;
}

export interface CapabilityOptions {
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  /** Defaults to hostCapabilities(); tests pass their own. */
  available?: string[];
}

/** The container's capability list (bounding = effective = permitted). */
export function resolveCapabilities(opts: CapabilityOptions): string[] {
  const available = opts.available ?? hostCapabilities();
  if (opts.privileged) return [...available];
  const adds = [...new Set((opts.capAdd ?? []).map(normalizeCapability))];
  const drops = [...new Set((opts.capDrop ?? []).map(normalizeCapability))];
  if (adds.length === 0 && drops.length === 0) return [...DEFAULT_CAPABILITIES];
  if (adds.includes('ALL')) return available.filter((c) => !drops.includes(c));
  if (drops.includes('ALL')) return adds;
  const caps = DEFAULT_CAPABILITIES.filter((c) => !drops.includes(c));
  for (const c of adds) if (!caps.includes(c)) caps.push(c);
  return caps;
}
