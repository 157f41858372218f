// What dockerd's init layer puts in every container's root beside the
// mount points the runtime makes: an empty /.dockerenv (the file scripts
// test to know they run in a container) and /etc/mtab as a link to
// /proc/mounts (for tools that read the mount table there). Made at start,
// in the mounted root (so into the container's writable layer), where the
// image has none; `docker diff` and `commit` leave them out as dockerd
// does (images/layer-diff.ts). The image's tree is not trusted: nothing
// here follows a link it planted. /.dockerenv is created with O_EXCL (a
// link at that name, dangling or not, makes the create fail), and /etc/mtab
// only when /etc is a real directory (lstat, not stat): no process of the
// container runs yet, so nothing swaps /etc in between. Best effort: a root
// where they cannot be made (read-only, full) starts without them.

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../core/logger.ts';
import { INIT_ENTRIES } from '../../images/layer-diff.ts';

const { dockerenv: DOCKERENV, mtab: MTAB, mtabTarget: MTAB_TARGET } = INIT_ENTRIES;

/** `owner`: the host IDs of the container's root (under --userns-remap), else root. */
export function seedInitEntries(rootfs: string, owner: { uid: number; gid: number } | null, log?: Logger): void {
  try {
    const fd = fs.openSync(path.join(rootfs, DOCKERENV), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o755);
    try {
      fs.fchmodSync(fd, 0o755);
      if (owner) fs.fchownSync(fd, owner.uid, owner.gid);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') log?.debug('no /.dockerenv in this root', { rootfs, err });
  }
  try {
    const etc = fs.lstatSync(path.join(rootfs, 'etc'), { throwIfNoEntry: false });
    if (etc?.isDirectory()) {
      const mtab = path.join(rootfs, MTAB);
      fs.symlinkSync(MTAB_TARGET, mtab);
      if (owner) fs.lchownSync(mtab, owner.uid, owner.gid);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') log?.debug('no /etc/mtab in this root', { rootfs, err });
  }
}
