// /etc/subuid and /etc/subgid: "name:start:count" lines naming the host IDs
// a user may map into user namespaces (shadow's subordinate IDs). berthd
// reads them for --userns-remap and, for `default`, gives the dockremap user
// its first free range through usermod, as dockerd does.

import { readFileSync } from 'node:fs';

export interface SubIdRange {
  start: number;
  size: number;
}

/** The file's entries for `owner` (a name or a numeric ID as text); '*ALL*' for every entry. */
export function parseSubIds(text: string, owner: string | '*ALL*'): SubIdRange[] {
  const out: SubIdRange[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [name, start, size] = line.split(':');
    if (owner !== '*ALL*' && name !== owner) continue;
    const s = Number(start);
    const n = Number(size);
    if (!Number.isInteger(s) || !Number.isInteger(n) || s < 0 || n <= 0) continue;
    out.push({ start: s, size: n });
  }
  return out;
}

export function readSubIds(path: string, owner: string | '*ALL*'): SubIdRange[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return parseSubIds(text, owner);
}

/** dockerd's default range for a created remap user. */
export const DEFAULT_RANGE_START = 100000;
export const DEFAULT_RANGE_SIZE = 65536;

/** The first start at or after 100000 where a 65536-ID range overlaps none already handed out (dockerd's findNextRangeStart). */
export function nextFreeRange(taken: readonly SubIdRange[]): SubIdRange {
  const sorted = [...taken].sort((a, b) => a.start - b.start);
  let start = DEFAULT_RANGE_START;
  for (const r of sorted) {
    const overlaps = start < r.start + r.size && r.start < start + DEFAULT_RANGE_SIZE;
    if (overlaps) start = r.start + r.size;
  }
  return { start, size: DEFAULT_RANGE_SIZE };
}
