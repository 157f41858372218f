// A container's mount requests, parsed once: HostConfig.Binds strings
// ("src:dst[:mode]"), HostConfig.Mounts objects (--mount) and
// HostConfig.Tmpfs entries (--tmpfs) become typed MountIntents with
// dockerd's checks and messages (volume/mounts/linux_parser.go). Nothing
// here touches a volume; plan.ts turns intents into mounts.

import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../core/errors.ts';
import type { HostConfig } from '../core/container.ts';
import type { MountRequest } from '../core/volume.ts';

export type MountIntent =
  | { kind: 'bind'; source: string; target: string; rw: boolean; mode: string; propagation: string; createSource: boolean; nonRecursive: boolean }
  | { kind: 'volume'; name: string; target: string; rw: boolean; mode: string; copyData: boolean; labels: Record<string, string>; driver: string; driverOptions: Record<string, string> }
  | { kind: 'tmpfs'; target: string; rw: boolean; data: string; listed: boolean };

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);
const CONSISTENCY = new Set(['consistent', 'cached', 'delegated']);

function normTarget(t: string): string {
  const n = path.posix.normalize(t);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

function checkTarget(kind: string, target: string, spec?: string): string {
  const wrap = (msg: string) => invalid(spec === undefined ? msg : `invalid volume specification: '${spec}': ${msg}`);
  if (!target.startsWith('/')) throw wrap(`invalid mount config for type "${kind}": invalid mount path: '${target}' mount path must be absolute`);
  const n = normTarget(target);
  if (n === '/') throw wrap(`invalid mount config for type "${kind}": invalid specification: destination can't be '/'`);
  return n;
}

/** The mode part of a -v spec: rw/ro, SELinux labels, propagation, nocopy, consistency; each at most once. */
function parseMode(mode: string, spec: string): { rw: boolean; propagation?: string; nocopy: boolean } {
  let rw = true;
  let propagation: string | undefined;
  let nocopy = false;
  const seen = { rw: 0, label: 0, prop: 0, copy: 0, cons: 0 };
  for (const m of mode.split(',')) {
    if (m === 'ro' || m === 'rw') { rw = m === 'rw'; seen.rw++; }
    else if (m === 'z' || m === 'Z') seen.label++;
    else if (PROPAGATIONS.has(m)) { propagation = m; seen.prop++; }
    else if (m === 'nocopy') { nocopy = true; seen.copy++; }
    else if (CONSISTENCY.has(m)) seen.cons++;
    else throw invalid(`invalid volume specification: '${spec}': invalid mode: ${mode}`);
  }
  if (Object.values(seen).some((n) => n > 1)) throw invalid(`invalid volume specification: '${spec}': invalid mode: ${mode}`);
  return { rw, propagation, nocopy };
}

const isMode = (s: string): boolean => s.split(',').every((m) => ['ro', 'rw', 'z', 'Z', 'nocopy', ...PROPAGATIONS, ...CONSISTENCY].includes(m));

/** One HostConfig.Binds entry. */
export function parseBind(spec: string): MountIntent {
  const parts = spec.split(':');
  if (parts.some((p) => p === '') || parts.length > 3) throw invalid(`invalid volume specification: '${spec}'`);
  let source = '';
  let target: string;
  let mode = '';
  // "/path:ro" is not an anonymous volume with a mode: dockerd refuses it as a whole.
  if (parts.length === 2 && isMode(parts[1]!)) throw invalid(`invalid volume specification: '${spec}'`);
  if (parts.length === 1) target = parts[0]!;
  else [source, target, mode = ''] = parts as [string, string, string?];
  const { rw, propagation, nocopy } = mode ? parseMode(mode, spec) : { rw: true, propagation: undefined, nocopy: false };
  if (source.startsWith('/')) {
    const t = checkTarget('bind', target, spec);
    if (nocopy) throw invalid(`invalid volume specification: '${spec}': invalid mode: ${mode}`);
    return { kind: 'bind', source: path.posix.normalize(source), target: t, rw, mode, propagation: propagation ?? 'rprivate', createSource: true, nonRecursive: false };
  }
  const t = checkTarget('volume', target, spec);
  if (propagation) throw invalid(`invalid volume specification: '${spec}': invalid mode: ${mode}`);
  // An anonymous volume's Mode stays as given; a named local volume's defaults to "z" (dockerd's setBindModeIfNull).
  return {
    kind: 'volume', name: source, target: t, rw, mode: source && !mode ? 'z' : mode, copyData: !nocopy,
    labels: {}, driver: '', driverOptions: {},
  };
}

function octal(mode: number): string {
  return mode.toString(8);
}

/** tmpfs-size in bytes as mount data: the largest unit that divides it, like dockerd. */
function sizeData(bytes: number): string {
  for (const [suffix, div] of [['g', 1 << 30], ['m', 1 << 20], ['k', 1 << 10]] as const) {
    if (bytes % div === 0) return `size=${bytes / div}${suffix}`;
  }
  return `size=${bytes}`;
}

/** One HostConfig.Mounts entry. */
export function parseMountRequest(m: MountRequest): MountIntent {
  const bad = (msg: string) => invalid(`invalid mount config for type "${m.type}": ${msg}`);
  const has = (o: object | undefined) => o !== undefined && o !== null && Object.keys(o).length > 0;
  if (!['bind', 'volume', 'tmpfs'].includes(m.type)) throw bad('mount type unknown');
  if (!m.target) throw bad('field Target must not be empty');
  const target = checkTarget(m.type, m.target);
  if (m.consistency && !CONSISTENCY.has(m.consistency) && m.consistency !== 'default') throw bad(`invalid consistency: ${m.consistency}`);
  switch (m.type) {
    case 'bind': {
      if (has(m.volumeOptions)) throw bad('field VolumeOptions must not be specified');
      if (has(m.tmpfsOptions)) throw bad('field TmpfsOptions must not be specified');
      if (!m.source) throw bad('field Source must not be empty');
      if (!m.source.startsWith('/')) throw bad(`invalid mount path: '${m.source}' mount path must be absolute`);
      const propagation = m.bindOptions?.propagation || 'rprivate';
      if (!PROPAGATIONS.has(propagation)) throw bad(`invalid propagation mode: ${propagation}`);
      const create = m.bindOptions?.createMountpoint === true;
      if (!create && !fs.existsSync(m.source)) throw bad(`bind source path does not exist: ${m.source}`);
      return {
        kind: 'bind', source: path.posix.normalize(m.source), target, rw: !m.readOnly, mode: '', propagation,
        createSource: create, nonRecursive: m.bindOptions?.nonRecursive === true,
      };
    }
    case 'volume': {
      if (has(m.bindOptions)) throw bad('field BindOptions must not be specified');
      if (has(m.tmpfsOptions)) throw bad('field TmpfsOptions must not be specified');
      const vo = m.volumeOptions ?? {};
      if (vo.subpath) throw bad('VolumeOptions.Subpath is not supported by berth yet');
      return {
        kind: 'volume', name: m.source, target, rw: !m.readOnly, mode: m.source ? 'z' : '', copyData: vo.noCopy !== true,
        labels: vo.labels ?? {}, driver: vo.driverConfig?.name ?? '', driverOptions: vo.driverConfig?.options ?? {},
      };
    }
    default: {
      if (m.source) throw bad('field Source must not be specified');
      if (has(m.bindOptions)) throw bad('field BindOptions must not be specified');
      if (has(m.volumeOptions)) throw bad('field VolumeOptions must not be specified');
      const t = m.tmpfsOptions ?? {};
      if (t.sizeBytes !== undefined && t.sizeBytes < 0) throw bad(`invalid tmpfs size: ${t.sizeBytes}`);
      const data = [
        ...(m.readOnly ? ['ro'] : []),
        ...(t.mode ? [`mode=${octal(t.mode)}`] : []),
        ...(t.sizeBytes ? [sizeData(t.sizeBytes)] : []),
      ].join(',');
      return { kind: 'tmpfs', target, rw: !m.readOnly, data, listed: true };
    }
  }
}

/** One HostConfig.Tmpfs entry ("/run": "size=64m,mode=1777"); these are not listed in inspect's Mounts. */
export function parseTmpfs(target: string, data: string): MountIntent {
  const t = checkTarget('tmpfs', target);
  for (const opt of data.split(',').filter(Boolean)) {
    if (/[\s]/.test(opt)) throw invalid(`invalid tmpfs option ${JSON.stringify(opt)} for ${target}`);
  }
  return { kind: 'tmpfs', target: t, rw: !data.split(',').includes('ro'), data, listed: false };
}

/** "container[:ro|:rw]" of --volumes-from. */
export function parseVolumesFrom(spec: string): { container: string; mode: string } {
  const i = spec.lastIndexOf(':');
  if (i < 0) return { container: spec, mode: '' };
  const container = spec.slice(0, i);
  const mode = spec.slice(i + 1);
  if (!container || !/^(ro|rw)(,(z|Z))?$|^(z|Z)$/.test(mode)) throw invalid(`invalid mode: ${mode}`);
  return { container, mode };
}

/** Every bind, mount, tmpfs and volumes-from entry parsed, for create's up-front validation. */
export function validateMountSyntax(h: Pick<HostConfig, 'binds' | 'mounts' | 'tmpfs' | 'volumesFrom'>): void {
  for (const b of h.binds ?? []) parseBind(b);
  for (const m of h.mounts ?? []) parseMountRequest(m);
  for (const [t, d] of Object.entries(h.tmpfs ?? {})) parseTmpfs(t, d);
  for (const v of h.volumesFrom ?? []) parseVolumesFrom(v);
}
