// Which extended attributes a tar (a layer, a `cp` archive, a build
// context) may set. Only what an unprivileged owner could set, plus file
// capabilities (what images carry, e.g. ping's cap_net_raw):
//   - user.*                           kept (regular files and directories only: the kernel refuses them elsewhere)
//   - security.capability              kept
//   - system.posix_acl_access/default  kept (the owner can set ACLs)
//   - everything else dropped: trusted.* (overlay's own trusted.overlay.opaque,
//     redirect, origin, metacopy, whiteout would change what the merged view
//     shows), security.selinux/ima/evm/apparmor/SMACK64 (labels the host's
//     security modules trust), unknown namespaces.
// Docker sets every xattr of the archive; berth does not let an archive
// speak for the host's kernel.

import type { TarHeader } from '../tar/format.ts';

const KEPT_EXACT = new Set(['security.capability', 'system.posix_acl_access', 'system.posix_acl_default']);

export function xattrAllowed(name: string, type: TarHeader['type']): boolean {
  if (name.startsWith('user.')) return type === 'file' || type === 'dir';
  if (name === 'system.posix_acl_default') return type === 'dir';
  return KEPT_EXACT.has(name);
}

/** The archive entry's xattrs that may be set, in order. */
export function allowedXattrs(h: TarHeader): Array<[string, Buffer]> {
  return [...h.xattrs].filter(([k]) => xattrAllowed(k, h.type));
}
