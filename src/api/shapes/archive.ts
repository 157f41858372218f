// The path stat of `docker cp` on the wire: Docker's container.PathStat as
// JSON, base64 in a header, with the mode as Go's os.FileMode (type bits
// high, permission bits low) rather than unix st_mode.

import type { PathStat } from '../../core/container.ts';

const S_IFMT = 0o170000;
// Go's os.FileMode type and special bits.
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_NAMED_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHAR_DEVICE = 2 ** 21;
const MODE_STICKY = 2 ** 20;

/** unix st_mode -> Go os.FileMode (what os.Lstat reports in Go). */
export function goFileMode(mode: number): number {
  let m = mode & 0o777;
  switch (mode & S_IFMT) {
    case 0o040000: m += MODE_DIR; break;
    case 0o120000: m += MODE_SYMLINK; break;
    case 0o020000: m += MODE_DEVICE + MODE_CHAR_DEVICE; break;
    case 0o060000: m += MODE_DEVICE; break;
    case 0o010000: m += MODE_NAMED_PIPE; break;
    case 0o140000: m += MODE_SOCKET; break;
  }
  if (mode & 0o4000) m += MODE_SETUID;
  if (mode & 0o2000) m += MODE_SETGID;
  if (mode & 0o1000) m += MODE_STICKY;
  return m;
}

export interface PathStatWire {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export function encodePathStat(s: PathStat): string {
  const wire: PathStatWire = { name: s.name, size: s.size, mode: goFileMode(s.mode), mtime: s.mtime, linkTarget: s.linkTarget };
  return Buffer.from(JSON.stringify(wire)).toString('base64');
}
