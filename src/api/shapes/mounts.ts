// HostConfig.Mounts on the wire (docker's mount.Mount) to the engine's
// MountRequest and back, field types checked, unknown options refused.

import type { MountRequest } from '../../core/volume.ts';
import { invalid } from '../../core/errors.ts';
import { JsonFields } from './json-fields.ts';

export function decodeMounts(raw: unknown): MountRequest[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw invalid('invalid JSON: cannot use HostConfig.Mounts: expected an array');
  return raw.map((m, i) => decodeMount(m, `HostConfig.Mounts[${i}].`));
}

function decodeMount(raw: unknown, where: string): MountRequest {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(`invalid JSON: ${where.slice(0, -1)} must be an object`);
  const f = new JsonFields(raw as Record<string, unknown>, where);
  const out: MountRequest = {
    type: f.str('Type') ?? '', source: f.str('Source') ?? '', target: f.str('Target') ?? '', readOnly: f.bool('ReadOnly') ?? false,
  };
  const consistency = f.str('Consistency');
  if (consistency) out.consistency = consistency;
  const bo = f.obj('BindOptions');
  if (bo) {
    const b = new JsonFields(bo, `${where}BindOptions.`);
    out.bindOptions = {};
    const p = b.str('Propagation');
    if (p) out.bindOptions.propagation = p;
    if (b.bool('NonRecursive')) out.bindOptions.nonRecursive = true;
    if (b.bool('CreateMountpoint')) out.bindOptions.createMountpoint = true;
    if (b.bool('ReadOnlyNonRecursive') || b.bool('ReadOnlyForceRecursive')) {
      throw invalid(`${where}BindOptions: ReadOnlyNonRecursive and ReadOnlyForceRecursive are not supported by berth yet`);
    }
  }
  const vo = f.obj('VolumeOptions');
  if (vo) {
    const v = new JsonFields(vo, `${where}VolumeOptions.`);
    out.volumeOptions = {};
    if (v.bool('NoCopy')) out.volumeOptions.noCopy = true;
    const labels = v.strMap('Labels');
    if (labels) out.volumeOptions.labels = labels;
    const sub = v.str('Subpath');
    if (sub) out.volumeOptions.subpath = sub;
    const dc = v.obj('DriverConfig');
    if (dc) {
      const d = new JsonFields(dc, `${where}VolumeOptions.DriverConfig.`);
      out.volumeOptions.driverConfig = {};
      const name = d.str('Name');
      if (name) out.volumeOptions.driverConfig.name = name;
      const opts = d.strMap('Options');
      if (opts) out.volumeOptions.driverConfig.options = opts;
    }
  }
  const to = f.obj('TmpfsOptions');
  if (to) {
    const t = new JsonFields(to, `${where}TmpfsOptions.`);
    out.tmpfsOptions = {};
    const size = t.int('SizeBytes');
    if (size) out.tmpfsOptions.sizeBytes = size;
    const mode = t.int('Mode');
    if (mode) out.tmpfsOptions.mode = mode;
    const extra = (to as { Options?: unknown }).Options;
    if (Array.isArray(extra) && extra.length) throw invalid(`${where}TmpfsOptions.Options is not supported by berth yet`);
  }
  return out;
}

/** As dockerd echoes them in inspect's HostConfig.Mounts (empty fields left out). */
export function encodeMounts(ms: readonly MountRequest[]): Record<string, unknown>[] {
  return ms.map((m) => {
    const o: Record<string, unknown> = { Type: m.type };
    if (m.source) o.Source = m.source;
    o.Target = m.target;
    if (m.readOnly) o.ReadOnly = true;
    if (m.consistency) o.Consistency = m.consistency;
    if (m.bindOptions) {
      const b: Record<string, unknown> = {};
      if (m.bindOptions.propagation) b.Propagation = m.bindOptions.propagation;
      if (m.bindOptions.nonRecursive) b.NonRecursive = true;
      if (m.bindOptions.createMountpoint) b.CreateMountpoint = true;
      o.BindOptions = b;
    }
    if (m.volumeOptions) {
      const v: Record<string, unknown> = {};
      if (m.volumeOptions.noCopy) v.NoCopy = true;
      if (m.volumeOptions.labels) v.Labels = m.volumeOptions.labels;
      if (m.volumeOptions.subpath) v.Subpath = m.volumeOptions.subpath;
      const dc = m.volumeOptions.driverConfig ?? {};
      v.DriverConfig = { ...(dc.name ? { Name: dc.name } : {}), ...(dc.options ? { Options: dc.options } : {}) };
      o.VolumeOptions = v;
    }
    if (m.tmpfsOptions) {
      o.TmpfsOptions = {
        ...(m.tmpfsOptions.sizeBytes ? { SizeBytes: m.tmpfsOptions.sizeBytes } : {}),
        ...(m.tmpfsOptions.mode ? { Mode: m.tmpfsOptions.mode } : {}),
      };
    }
    return o;
  });
}
