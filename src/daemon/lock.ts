// One daemon per data root. The lock file holds the owner's pid; a lock
// whose owner is gone (kill -9, crash) is stale and taken over. Creation is
// O_EXCL so two daemons starting together cannot both win.

import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import { unavailable } from '../core/errors.ts';

function ownerAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err: any) {
    return err.code === 'EPERM';
  }
  // A recycled pid belongs to some other program: only a berthd counts.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('berthd') ||
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('daemon/main.ts');
  } catch {
    return false;
  }
}

export function acquireDataRootLock(dataRoot: string): () => void {
  const path = `${dataRoot}/berthd.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch { /* already gone */ }
      };
    } catch (err: any) {
      if (err.code !== 'EEXIST') throw err;
      let pid = NaN;
      try { pid = Number.parseInt(readFileSync(path, 'utf8'), 10); } catch { /* raced with its removal */ }
      if (ownerAlive(pid)) {
        throw unavailable(`another berthd (pid ${pid}) is already using data root ${dataRoot}`);
      }
      try { unlinkSync(path); } catch { /* raced */ }
    }
  }
  throw unavailable(`could not lock data root ${dataRoot}`);
}
