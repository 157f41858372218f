// A mount(8)-style option string ("ro,bind,size=10m") split into the
// mount(2) flags the kernel takes as bits and the data string the
// filesystem reads, as Docker's mount package does for the local driver.

import {
  MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_SHARED, MS_SLAVE,
} from '../sys/libc.ts';

const MS_SYNCHRONOUS = 0x10;
const MS_DIRSYNC = 0x80;
const MS_NOATIME = 0x400;
const MS_NODIRATIME = 0x800;
const MS_RELATIME = 1 << 21;
const MS_STRICTATIME = 1 << 24;

const SET: Record<string, number> = {
  ro: MS_RDONLY, nosuid: MS_NOSUID, nodev: MS_NODEV, noexec: MS_NOEXEC, sync: MS_SYNCHRONOUS,
  dirsync: MS_DIRSYNC, noatime: MS_NOATIME, nodiratime: MS_NODIRATIME, relatime: MS_RELATIME,
  strictatime: MS_STRICTATIME, bind: MS_BIND, rbind: MS_BIND | MS_REC,
};
const CLEAR: Record<string, number> = {
  rw: MS_RDONLY, suid: MS_NOSUID, dev: MS_NODEV, exec: MS_NOEXEC, async: MS_SYNCHRONOUS,
  atime: MS_NOATIME, diratime: MS_NODIRATIME, norelatime: MS_RELATIME, nostrictatime: MS_STRICTATIME,
};
const PROPAGATION: Record<string, number> = {
  private: MS_PRIVATE, rprivate: MS_PRIVATE | MS_REC, shared: MS_SHARED, rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE, rslave: MS_SLAVE | MS_REC,
};

export interface ParsedMountOptions {
  flags: number;
  /** Propagation to apply after the mount (a separate mount(2) call). */
  propagation: number;
  data: string;
}

export function parseMountOptions(o: string): ParsedMountOptions {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const opt of o.split(',').filter(Boolean)) {
    if (opt === 'defaults') continue;
    if (Object.hasOwn(SET, opt)) flags |= SET[opt]!;
    else if (Object.hasOwn(CLEAR, opt)) flags &= ~CLEAR[opt]!;
    else if (Object.hasOwn(PROPAGATION, opt)) propagation = PROPAGATION[opt]!;
    else data.push(opt);
  }
  return { flags, propagation, data: data.join(',') };
}
