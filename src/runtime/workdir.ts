// A process's working directory must be inside its container. runc before
// 1.1.12 leaked a descriptor of the host's /sys/fs/cgroup into the
// container's init, so a cwd of /proc/self/fd/7 (given with -w, an image's
// WORKDIR, `exec -w`, or reached through a symlink in the image) put the
// process on the host's filesystem (CVE-2024-21626). Patched runtimes
// refuse it at start; berth refuses it itself, whatever the runtime, before
// the runtime sees it:
//
//   checkWorkingDir('/proc/self/fd/7')                 // static: -w, exec -w
//   checkWorkingDir('/app', '/var/lib/berth/.../rootfs') // also follows the
//       image's symlinks (logically, inside the root): /app -> /proc/self/fd/7
//
// Only the magic links that point at something other than a path in the
// container are refused (fd, cwd, root, exe, map_files of any process);
// -w /proc or /proc/sys stay allowed, as with Docker.

import * as fs from 'node:fs';
import { posix } from 'node:path';
import { invalid } from '../core/errors.ts';

const MAGIC = /^\/proc\/(?:self|thread-self|\d+)(?:\/task\/(?:self|\d+))?\/(?:fd|fdinfo|cwd|root|exe|map_files)(?:\/|$)/;
const MAX_LINKS = 40;

/** True when the (absolute) path goes through a /proc magic link to a descriptor, cwd or root. */
export function isMagicProcPath(p: string): boolean {
  return MAGIC.test(posix.normalize(`${p}/`));
}

/**
 * Where `p` leads inside `root`, following symlinks as the kernel would
 * inside the container (absolute targets from the container's root), but
 * never on the host. Stops at /proc (not mounted yet at start; the
 * container's own /proc otherwise) and at the first missing component.
 */
export function resolveInRoot(root: string, p: string): string {
  let parts = p.split('/').filter(Boolean);
  let cur = '';
  let links = 0;
  while (parts.length) {
    const name = parts.shift()!;
    if (name === '.') continue;
    if (name === '..') { cur = cur.slice(0, cur.lastIndexOf('/')); continue; }
    const next = `${cur}/${name}`;
    if (next === '/proc' || next.startsWith('/proc/')) return posix.normalize([next, ...parts].join('/'));
    let st: fs.Stats;
    try {
      st = fs.lstatSync(`${root}${next}`);
    } catch {
      return posix.normalize([next, ...parts].join('/'));
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw invalid(`the working directory '${p}' is invalid: too many levels of symbolic links`);
      const target = fs.readlinkSync(`${root}${next}`);
      parts = [...target.split('/').filter(Boolean), ...parts];
      if (target.startsWith('/')) cur = '';
      continue;
    }
    cur = next;
  }
  return cur || '/';
}

/** Throws a 400 when cwd (resolved inside root, when given) reaches a descriptor's magic link. */
export function checkWorkingDir(cwd: string, root?: string): void {
  const where = root ? resolveInRoot(root, cwd) : posix.normalize(cwd);
  if (isMagicProcPath(cwd) || isMagicProcPath(where)) {
    const via = where === posix.normalize(cwd) ? '' : ` (through symbolic links, ${where})`;
    throw invalid(`the working directory '${cwd}' is invalid: it leads to a /proc file descriptor link${via}, outside the container's root (CVE-2024-21626)`);
  }
}
