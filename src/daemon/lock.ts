// One daemon per data root: an exclusive flock(2) on <data-root>/berthd.lock,
// held for the daemon's life. The kernel drops it when the process dies, even
// by SIGKILL, so there is no stale lock to judge; the file's content (the
// owner's pid) only serves the error message.

import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { unavailable } from '../core/errors.ts';
import { LOCK_EX, LOCK_NB, flock } from '../sys/libc.ts';

export function acquireDataRootLock(dataRoot: string): () => void {
  const path = `${dataRoot}/berthd.lock`;
  const fd = openSync(path, 'a+', 0o600);
  try {
    flock(fd, LOCK_EX | LOCK_NB, path);
  } catch (err: any) {
    closeSync(fd);
    if (err?.code !== 'EWOULDBLOCK' && err?.code !== 'EAGAIN') throw err;
    let owner = '';
    try { owner = readFileSync(path, 'utf8').trim(); } catch { /* unreadable: no pid to name */ }
    throw unavailable(`another berthd${owner ? ` (pid ${owner})` : ''} is already using data root ${dataRoot}`);
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  // Closing the descriptor releases the lock; the file stays (unlinking it would race a starting daemon).
  return () => closeSync(fd);
}
