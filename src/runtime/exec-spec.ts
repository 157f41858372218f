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

import fs from 'node:fs';
import path from 'node:path';
import { conflict, internal } from '../core/errors.ts';
import type { OciSpec } from '../core/runtime.ts';
import { isErrno } from './rootfs.ts';
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

/** Containers whose exec spec is kept parsed (the least recently used goes first). */
const SPEC_CACHE_MAX = 256;

/**
 * What an exec takes from a container's runtime spec (its process and
 * root), parsed once per version of config.json (each start writes it
 * anew) rather than at every exec: the file is ~20 KB with the seccomp
 * profile, and a health check execs every interval.
 */
export class ContainerSpecs {
  /** config.json path -> its version (inode, mtime, size) and the parts an exec uses. */
  readonly #specs = new Map<string, { version: string; spec: OciSpec }>();

  get(bundle: string, id: string): OciSpec {
    const file = path.join(bundle, 'config.json');
    const version = this.#version(file, id);
    const hit = this.#specs.get(file);
    this.#specs.delete(file);
    if (hit?.version === version) {
      this.#specs.set(file, hit);
      return hit.spec;
    }
    let full: OciSpec;
    try {
      full = JSON.parse(fs.readFileSync(file, 'utf8')) as OciSpec;
    } catch (err) {
      throw specError(err, id);
    }
    const spec = { process: full.process, root: full.root } as OciSpec;
    this.#specs.set(file, { version, spec });
    if (this.#specs.size > SPEC_CACHE_MAX) this.#specs.delete(this.#specs.keys().next().value!);
    return spec;
  }

  #version(file: string, id: string): string {
    try {
      const st = fs.statSync(file);
      return `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch (err) {
      throw specError(err, id);
    }
  }
}

function specError(err: unknown, id: string): Error {
  if (isErrno(err, 'ENOENT')) return conflict(`Container ${id} is not running`);
  return internal(`reading the runtime spec of ${id}`, err);
}
