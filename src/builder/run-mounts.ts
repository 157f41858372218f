// RUN --mount=... as the Dockerfile reference defines it (BuildKit's
// frontend: the classic builder in dockerd refuses the flag). The keys,
// their defaults and the errors for bad ones follow BuildKit's parser
// (frontend/dockerfile/instructions/commands_runmount.go):
//
// A relative target is under the WORKDIR.
//
//   type=bind (default)  target, source, from (stage, image or the context), rw|readwrite (writes discarded)
//   type=cache           target, id (default: the target), ro|readonly, sharing=shared|private|locked,
//                        from + source (the cache starts as that tree), mode/uid/gid of a new cache dir
//   type=tmpfs           target, size
//   type=secret          id (default: the target's base name), target (default /run/secrets/<id>),
//                        env (the secret as an environment variable instead of, or with, a file),
//                        required, mode (default 0400), uid, gid
//
// Options that do not fit the type (mode on a bind, sharing on a tmpfs, a
// secret from a stage) are errors, as in BuildKit.

import * as path from 'node:path';
import { invalid } from '../core/errors.ts';

export type CacheSharing = 'shared' | 'private' | 'locked';

export interface RunMountRequest {
  type: 'cache' | 'tmpfs' | 'secret' | 'bind';
  /** Absolute path in the container; "" for a secret that only goes to env. */
  target: string;
  /** cache: the cache's id; secret: the secret's id. */
  id?: string;
  source?: string;
  from?: string;
  readonly: boolean;
  required: boolean;
  sharing: CacheSharing;
  mode?: number;
  uid?: number;
  gid?: number;
  /** secret: the environment variable to set to the secret's value. */
  env?: string;
  /** tmpfs: size limit in bytes. */
  size?: number;
}

const TYPES = new Set(['cache', 'tmpfs', 'secret', 'bind']);

function parseBool(key: string, v: string | undefined): boolean {
  if (v === undefined) return true;
  // strconv.ParseBool
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw invalid(`invalid value for ${key}: ${v}`);
}

function parseUint(key: string, v: string | undefined, base: 8 | 10): number {
  const ok = v !== undefined && (base === 8 ? /^[0-7]+$/ : /^\d+$/).test(v);
  const n = ok ? parseInt(v, base) : NaN;
  if (!Number.isSafeInteger(n) || n > 0xffffffff) throw invalid(`invalid value ${v ?? ''} for ${key}`);
  return n;
}

/** units.RAMInBytes: "64m", "1.5g", "100000". */
function ramInBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(v);
  if (!m) throw invalid(`invalid size: '${v}'`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[(m[2] ?? '').toLowerCase()]!;
  return Math.trunc(Number(m[1]) * mult);
}

/** One --mount value (after variable expansion). */
export function parseRunMount(spec: string): RunMountRequest {
  const fields = spec.split(',').filter((f) => f !== '');
  let type: RunMountRequest['type'] = 'bind';
  for (const f of fields) {
    const [k, v] = f.split('=', 2) as [string, string | undefined];
    if (k.trim().toLowerCase() === 'type') {
      const t = (v ?? '').toLowerCase();
      if (!TYPES.has(t)) throw invalid(`unsupported mount type "${v ?? ''}" in --mount=${spec}`);
      type = t as RunMountRequest['type'];
    }
  }
  const m: RunMountRequest = { type, target: '', readonly: false, required: false, sharing: 'shared' };
  let roAuto = true;
  let sharingSet = false;
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const needValue = () => {
      if (value === undefined) throw invalid(`invalid field '${field}' must be a key=value pair`);
      return value;
    };
    switch (key) {
      case 'type': break;
      case 'target': case 'dst': case 'destination': m.target = needValue(); break;
      case 'source': case 'src': m.source = needValue(); break;
      case 'from': m.from = needValue(); break;
      case 'id': m.id = needValue(); break;
      case 'ro': case 'readonly': m.readonly = parseBool(key, value); roAuto = false; break;
      case 'rw': case 'readwrite': m.readonly = !parseBool(key, value); roAuto = false; break;
      case 'required':
        if (type !== 'secret') throw invalid(`unexpected key '${key}' for mount type '${type}'`);
        m.required = parseBool(key, value);
        break;
      case 'sharing': {
        const s = needValue().toLowerCase();
        if (s !== 'shared' && s !== 'private' && s !== 'locked') throw invalid(`unsupported sharing value "${value}"`);
        m.sharing = s;
        sharingSet = true;
        break;
      }
      case 'mode': m.mode = parseUint('mode', value, 8); break;
      case 'uid': m.uid = parseUint('uid', value, 10); break;
      case 'gid': m.gid = parseUint('gid', value, 10); break;
      case 'env':
        if (type !== 'secret') throw invalid(`unexpected key '${key}' for mount type '${type}'`);
        m.env = needValue();
        break;
      case 'size':
        if (type !== 'tmpfs') throw invalid(`unexpected key '${key}' for mount type '${type}'`);
        m.size = ramInBytes(needValue());
        break;
      default: throw invalid(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (type !== 'secret' && type !== 'cache') {
    for (const k of ['mode', 'uid', 'gid'] as const) if (m[k] !== undefined) throw invalid(`${k} not allowed for "${type}" type mounts`);
  }
  if (roAuto) m.readonly = type === 'bind' || type === 'secret';
  if (sharingSet && type !== 'cache') throw invalid(`invalid cache sharing set for ${type} mount`);
  if (type === 'secret') {
    if (m.from !== undefined) throw invalid('secret mount should not have a from');
    if (m.source !== undefined && m.id !== undefined) throw invalid("both source and id can't be set");
    // For secrets, source is another name for the id.
    if (m.source !== undefined) { m.id = m.source; delete m.source; }
    if (!m.id && !m.target) throw invalid(`one of source, target required: --mount=${spec}`);
    if (!m.id) m.id = path.posix.basename(m.target);
    if (!m.target && m.env === undefined) m.target = `/run/secrets/${path.posix.basename(m.id)}`;
    m.readonly = true;
  } else {
    if (!m.target) throw invalid(`mount target is required: --mount=${spec}`);
    if (type === 'tmpfs' && m.from !== undefined) throw invalid(`unexpected key 'from' for mount type 'tmpfs'`);
  }
  if (m.env !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(m.env)) throw invalid(`invalid secret env name "${m.env}"`);
  return m;
}
