// The kernel's limits on what a container's process can be started with,
// checked when the container is created so that a command the kernel can
// never execute is refused at once with a 400 naming the limit, instead of
// failing at start (or, with a long enough name, wedging `runc create`:
// see conmon-launch.ts).
//
//   NAME_MAX       255 bytes   one path component: a command name looked
//                              up in $PATH, or any part of a path
//   PATH_MAX       4096 bytes  a path, with its NUL
//   MAX_ARG_STRLEN 131072      one argument or environment string, with
//                              its NUL (32 pages): execve fails with E2BIG
//   ARG_MAX        all arguments and environment strings with their NULs
//                              and pointers: execve fails with E2BIG above
//                              min(stack soft limit / 4, 6 MiB); the
//                              container inherits berthd's stack limit

import { invalid } from '../core/errors.ts';
import { hostLimits, type HostLimits } from './rlimits.ts';

export const NAME_MAX = 255;
export const PATH_MAX = 4096;
export const MAX_ARG_STRLEN = 131072;
const STACK_LIMIT_CAP = 6 * 1024 * 1024;

export interface ExecRequest {
  path: string;
  args: readonly string[];
  env: readonly string[];
}

/** ARG_MAX for a process started under these limits. */
export function argMax(host: HostLimits = hostLimits()): number {
  const stack = host.RLIMIT_STACK?.soft ?? 8 * 1024 * 1024;
  return Math.min(STACK_LIMIT_CAP, Math.floor(stack / 4));
}

function preview(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

export function checkExecLimits(req: ExecRequest, host?: HostLimits): void {
  const bytes = (s: string) => Buffer.byteLength(s);
  const exe = req.path;
  const exeLen = bytes(exe);
  for (const part of exe.split('/')) {
    if (bytes(part) > NAME_MAX) {
      throw invalid(`invalid command "${preview(exe)}": the name "${preview(part)}" is ${bytes(part)} bytes; the kernel takes at most ${NAME_MAX} per file name (NAME_MAX)`);
    }
  }
  if (exeLen >= PATH_MAX) {
    throw invalid(`invalid command "${preview(exe)}": the executable path is ${exeLen} bytes; the kernel takes at most ${PATH_MAX - 1} (PATH_MAX)`);
  }
  const all = [exe, ...req.args];
  all.forEach((a, i) => {
    if (bytes(a) >= MAX_ARG_STRLEN) {
      throw invalid(`invalid command: argument ${i} ("${preview(a)}") is ${bytes(a)} bytes; the kernel takes at most ${MAX_ARG_STRLEN - 1} per argument (MAX_ARG_STRLEN)`);
    }
  });
  for (const e of req.env) {
    if (bytes(e) >= MAX_ARG_STRLEN) {
      throw invalid(`invalid environment variable "${preview(e)}": it is ${bytes(e)} bytes; the kernel takes at most ${MAX_ARG_STRLEN - 1} per variable (MAX_ARG_STRLEN)`);
    }
  }
  // Each string costs its bytes, its NUL and a pointer.
  const total = [...all, ...req.env].reduce((n, s) => n + bytes(s) + 1 + 8, 0);
  const max = argMax(host);
  if (total > max) {
    throw invalid(`invalid command: the command and environment take ${total} bytes; the kernel takes at most ${max} (ARG_MAX, a quarter of the stack size limit)`);
  }
}
