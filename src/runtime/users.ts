// Resolving a container's USER ("name", "uid", "name:group", "uid:gid")
// against the rootfs's own /etc/passwd and /etc/group, as Docker (through
// runc's user package) does:
//   - a name must exist in passwd; a number needs no entry (gid then
//     defaults to the entry's primary group if there is one, else 0);
//   - an explicit group must exist in /etc/group unless it is numeric;
//   - without an explicit group the supplementary groups are the /etc/group
//     entries listing the user by name;
//   - additionalGids always starts with the primary gid (what Docker's
//     generated spec carries).

import { invalid } from '../core/errors.ts';
import { readFileInRoot } from './rootfs.ts';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

const MAX_ID = 2 ** 31 - 1;

export function resolveUser(rootfs: string, spec: string): ResolvedUser {
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(':');
  const userPart = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const groupPart = colon < 0 ? '' : trimmed.slice(colon + 1);
  const passwd = parsePasswd(readFileInRoot(rootfs, '/etc/passwd'));

  let uid: number;
  let gid = 0;
  let home = '/';
  let name = '';
  const wanted = userPart === '' ? '0' : userPart;
  const numericUser = parseId(wanted);
  const entry = passwd.find((e) => e.name === wanted) ?? (numericUser === null ? undefined : passwd.find((e) => e.uid === numericUser));
  if (entry) {
    ({ uid, gid, home, name } = entry);
  } else if (numericUser !== null) {
    uid = numericUser;
  } else {
    throw invalid(`unable to find user ${wanted}: no matching entries in passwd file`);
  }

  let groups: GroupEntry[] | null = null;
  const loadGroups = () => (groups ??= parseGroup(readFileInRoot(rootfs, '/etc/group')));
  const supplementary: number[] = [];
  if (groupPart !== '') {
    const numericGroup = parseId(groupPart);
    const g = loadGroups().find((e) => e.name === groupPart) ?? (numericGroup === null ? undefined : loadGroups().find((e) => e.gid === numericGroup));
    if (g) gid = g.gid;
    else if (numericGroup !== null) gid = numericGroup;
    else throw invalid(`unable to find group ${groupPart}: no matching entries in group file`);
  } else if (name !== '') {
    for (const g of loadGroups()) if (g.members.includes(name)) supplementary.push(g.gid);
  }
  const additionalGids = [...new Set([gid, ...supplementary])];
  return { uid, gid, additionalGids, home };
}

function parseId(s: string): number | null {
  if (!/^[0-9]+$/.test(s)) return null;
  const n = Number(s);
  if (n > MAX_ID) throw invalid(`invalid user/group id ${s}: out of range`);
  return n;
}

function lines(buf: Buffer | null): string[][] {
  if (!buf) return [];
  return buf.toString('utf8').split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export function parsePasswd(buf: Buffer | null): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of lines(buf)) {
    if (f.length < 4) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || f[2] === '' || f[3] === '') continue;
    out.push({ name: f[0], uid, gid, home: f[5] || '/' });
  }
  return out;
}

export function parseGroup(buf: Buffer | null): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of lines(buf)) {
    if (f.length < 3 || f[2] === '') continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}
