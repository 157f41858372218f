// --userns-remap (dockerd's flag and daemon.json key): containers' root maps
// to an unprivileged host range from /etc/subuid and /etc/subgid.
//
//   default    the user and group "dockremap", created (useradd -r) with the
//              first free 65536-ID range from 100000 when missing
//   user       subuid ranges of user, subgid ranges of the group of that name
//   user:group subuid ranges of user, subgid ranges of group
//   uid[:gid]  the same, through the names of those IDs
//
// Like dockerd, all state then lives under <data-root>/<uid>.<gid>/ (uid
// and gid: the host IDs of the container's root), so image layers unpacked
// there are owned by the mapped IDs once per image (never per container),
// and every directory above it must let the remapped root through.

import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { invalid } from '../core/errors.ts';
import { hostRoot, rangesToMap, type IdMaps } from '../core/idmap.ts';
import { nextFreeRange, readSubIds, type SubIdRange } from './subids.ts';

export interface UsernsRemap {
  user: string;
  group: string;
  maps: IdMaps;
  /** Host IDs of the container's root. */
  root: { uid: number; gid: number };
}

const DEFAULT_NAME = 'dockremap';

interface Entry { name: string; id: number }

function getent(db: 'passwd' | 'group', key: string): Entry | null {
  try {
    const line = execFileSync('getent', [db, key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!;
    const f = line.split(':');
    return { name: f[0]!, id: Number(f[2]) };
  } catch {
    return null;
  }
}

const numeric = (s: string) => /^\d+$/.test(s);

/** dockerd's parseRemappedRoot: the user and group names the value names, creating dockremap for `default`. */
function remapNames(spec: string, files: SubIdFiles): { user: string; group: string } {
  const parts = spec.split(':');
  if (parts.length > 2 || !parts[0]) throw invalid(`Invalid user/group specification in --userns-remap: "${spec}"`);
  let user: string;
  let group: string | undefined;
  if (numeric(parts[0])) {
    const u = getent('passwd', parts[0]);
    if (!u) throw invalid(`Uid ${parts[0]} has no entry in /etc/passwd`);
    user = u.name;
    if (parts.length === 1) {
      const g = getent('group', parts[0]);
      if (!g) throw invalid(`Gid ${parts[0]} has no entry in /etc/group`);
      group = g.name;
    }
  } else {
    const name = parts[0] === 'default' ? DEFAULT_NAME : parts[0];
    const u = getent('passwd', name);
    if (!u) {
      if (parts[0] !== 'default') throw invalid(`Error during uid lookup for "${name}": user: unknown user ${name}`);
      addRemapUser(files);
      return { user: DEFAULT_NAME, group: DEFAULT_NAME };
    }
    user = u.name;
    if (parts.length === 1) {
      const g = getent('group', name);
      if (!g) throw invalid(`Error during gid lookup for "${name}": group: unknown group ${name}`);
      group = g.name;
    }
  }
  if (parts.length === 2) {
    const g = getent('group', parts[1]!);
    if (!g) throw invalid(`Error during groupname lookup for "${parts[1]}": group: unknown group ${parts[1]}`);
    group = g.name;
  }
  return { user, group: group! };
}

export interface SubIdFiles { subuid: string; subgid: string }
const SYSTEM_FILES: SubIdFiles = { subuid: '/etc/subuid', subgid: '/etc/subgid' };

/** dockerd's AddNamespaceRangesUser: a system user with no shell, then the first free ranges in both files. */
function addRemapUser(files: SubIdFiles): void {
  const run = (cmd: string, args: string[]) => {
    try {
      execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw invalid(`Error during "${DEFAULT_NAME}" user creation: ${cmd} ${args.join(' ')}: ${e.stderr?.toString().trim() || e.message}`);
    }
  };
  run('useradd', ['-r', '-s', '/bin/false', DEFAULT_NAME]);
  const span = (r: SubIdRange) => `${r.start}-${r.start + r.size - 1}`;
  if (readSubIds(files.subuid, DEFAULT_NAME).length === 0) run('usermod', ['-v', span(nextFreeRange(readSubIds(files.subuid, '*ALL*'))), DEFAULT_NAME]);
  if (readSubIds(files.subgid, DEFAULT_NAME).length === 0) run('usermod', ['-w', span(nextFreeRange(readSubIds(files.subgid, '*ALL*'))), DEFAULT_NAME]);
}

/** Resolves the --userns-remap value to its mappings (creating dockremap for `default`). */
export function resolveRemap(spec: string, files: SubIdFiles = SYSTEM_FILES): UsernsRemap {
  const { user, group } = remapNames(spec.trim(), files);
  const uids = readSubIds(files.subuid, user).sort((a, b) => a.start - b.start);
  if (!uids.length) throw invalid(`No subuid ranges found for user "${user}" in ${files.subuid}`);
  const gids = readSubIds(files.subgid, group).sort((a, b) => a.start - b.start);
  if (!gids.length) throw invalid(`No subgid ranges found for group "${group}" in ${files.subgid}`);
  const maps = { uids: rangesToMap(uids), gids: rangesToMap(gids) };
  return { user, group, maps, root: hostRoot(maps) };
}

/** dockerd's idtools.CanAccess: the owner, group or other execute bit that applies to the remapped root. */
function canTraverse(path: string, root: { uid: number; gid: number }): boolean {
  const st = statSync(path);
  const perm = st.mode & 0o777;
  if (st.uid === root.uid && perm & 0o100) return true;
  if (st.gid === root.gid && perm & 0o010) return true;
  return (perm & 0o001) !== 0;
}

/**
 * <dataRoot>/<uid>.<gid>, made as dockerd makes it: the data root and it
 * 0710 root:<remapped gid>, so the remapped root may pass and nobody else.
 */
export function prepareRemappedRoot(dataRoot: string, remap: UsernsRemap): string {
  const { uid, gid } = remap.root;
  const dir = `${dataRoot}/${uid}.${gid}`;
  for (const d of [dataRoot, dir]) {
    mkdirSync(d, { recursive: true, mode: 0o710 });
    chmodSync(d, 0o710);
    chownSync(d, 0, gid);
  }
  for (let p = dirname(dataRoot); p !== '/' && p !== '.'; p = dirname(p)) {
    if (!canTraverse(p, remap.root)) {
      throw invalid(`a subdirectory in your graphroot path (${dir}) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories`);
    }
  }
  return dir;
}

/**
 * BERTH_USERNS_IDMAP (not dockerd's: a diagnosis knob): unset or auto lets
 * the start probe choose idmapped layers where the kernel allows; off keeps
 * the chowned copy per image; fd or stage forces one way of attaching.
 */
export function idmapMode(value: string | undefined): 'auto' | 'off' | 'fd' | 'stage' {
  const v = value?.trim() || 'auto';
  if (v === 'auto' || v === 'off' || v === 'fd' || v === 'stage') return v;
  throw invalid(`BERTH_USERNS_IDMAP must be auto, off, fd or stage, not "${v}"`);
}
