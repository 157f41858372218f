// The OCI process of an exec, the way dockerd builds it: the container's
// own process (its capabilities, rlimits, no_new_privs, apparmor label,
// oom score, user and additional groups) with the exec's command, env,
// working directory and terminal laid over it. `runc exec` then joins the
// container's namespaces and cgroup and applies the container's seccomp
// filter, masked paths and read-only paths itself: they come from the
// container's state, not from this process.
//
//   --user      resolved against the container's own /etc/passwd and
//               /etc/group (Docker's rules, users.ts); empty keeps the
//               container process's user
//   --privileged  every capability this host grants (its bounding set),
//               where dockerd asks for every capability the kernel knows
//               and fails on hosts that withhold one; seccomp stays
//   cwd         passed through: runc refuses a relative one with its own
//               message ("Cwd must be an absolute path"), as for dockerd

import type { OciSpec } from '../core/runtime.ts';
import type { RuntimeExecOptions } from '../core/exec.ts';
import { resolveCapabilities } from './capabilities.ts';
import { resolveUser } from './users.ts';

export type ExecProcessRequest = Pick<RuntimeExecOptions, 'args' | 'env' | 'cwd' | 'user' | 'tty' | 'privileged' | 'consoleSize'>;

export function execProcess(container: OciSpec, req: ExecProcessRequest, hostCaps?: string[]): Record<string, any> {
  const base = structuredClone(container.process) as Record<string, any>;
  const proc: Record<string, any> = {
    ...base,
    terminal: req.tty,
    args: [...req.args],
    env: [...req.env],
    cwd: req.cwd || '/',
  };
  delete proc.consoleSize;
  if (req.tty && req.consoleSize && req.consoleSize.height > 0 && req.consoleSize.width > 0) {
    proc.consoleSize = { height: req.consoleSize.height, width: req.consoleSize.width };
  }
  if (req.user) {
    const u = resolveUser(container.root.path, req.user);
    proc.user = { ...(base.user ?? {}), uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
  }
  if (req.privileged) {
    const all = resolveCapabilities({ privileged: true, available: hostCaps });
    proc.capabilities = { bounding: all, effective: [...all], permitted: [...all] };
  }
  return proc;
}
