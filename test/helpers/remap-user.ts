// A throwaway user with its own /etc/subuid and /etc/subgid range, for
// --userns-remap suites (never the host's dockremap, which stays as it is).

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { nextFreeRange, parseSubIds } from '../../src/daemon/subids.ts';

/** Creates the user (removing a stale one first) and returns the start of its 65536-ID range. */
export function addRemapUser(user: string): number {
  removeRemapUser(user);
  execFileSync('useradd', ['-r', '-M', '-s', '/bin/false', user], { stdio: 'pipe' });
  const taken = [...parseSubIds(readFileSync('/etc/subuid', 'utf8'), '*ALL*'), ...parseSubIds(readFileSync('/etc/subgid', 'utf8'), '*ALL*')];
  const r = nextFreeRange(taken);
  const span = `${r.start}-${r.start + r.size - 1}`;
  execFileSync('usermod', ['-v', span, '-w', span, user], { stdio: 'pipe' });
  return r.start;
}

export function removeRemapUser(user: string): void {
  try { execFileSync('userdel', [user], { stdio: 'pipe' }); } catch { /* not created */ }
  // userdel removes the subordinate ranges where shadow was built with them; make sure either way.
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    const text = readFileSync(f, 'utf8');
    const kept = text.split('\n').filter((l) => !l.startsWith(`${user}:`)).join('\n');
    if (kept !== text) writeFileSync(f, kept);
  }
}
