// Volumes on the wire: docker's Volume object, the create body and the
// filters of list and prune.

import type { VolumeFilters, VolumePruneOptions, VolumeView } from '../../core/volume.ts';
import { invalid } from '../../core/errors.ts';
import { checkFilterKeys, parseFilters } from '../filters.ts';
import { JsonFields } from './json-fields.ts';

const orNull = (m: Record<string, string>) => (Object.keys(m).length ? m : null);

/** docker's Volume; with `usage` (system df) it carries UsageData. */
export function toDockerVolume(v: VolumeView, usage?: { size: number; refCount: number }): Record<string, unknown> {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: orNull(v.labels),
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: orNull(v.options),
    Scope: v.scope,
    ...(usage ? { UsageData: { Size: usage.size, RefCount: usage.refCount } } : {}),
  };
}

export function decodeVolumeCreate(body: unknown): { name?: string; driver?: string; labels?: Record<string, string>; options?: Record<string, string> } {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('invalid JSON: the request body must be a JSON object');
  const f = new JsonFields(body as Record<string, unknown>, '');
  const cluster = f.obj('ClusterVolumeSpec');
  if (cluster && Object.keys(cluster).length) throw invalid('ClusterVolumeSpec: cluster volumes need swarm mode, which berth does not run');
  return {
    name: f.str('Name') ?? '',
    driver: f.str('Driver') || undefined,
    labels: f.strMap('Labels') ?? {},
    options: f.strMap('DriverOpts') ?? {},
  };
}

function boolFilter(key: string, values: string[]): boolean {
  if (values.includes('true') || values.includes('1')) return true;
  if (values.includes('false') || values.includes('0')) return false;
  throw invalid(`invalid filter '${key}=[${values.join(' ')}]'`);
}

export function decodeVolumeFilters(raw: string | null): VolumeFilters {
  const f = parseFilters(raw);
  checkFilterKeys(f, ['dangling', 'name', 'driver', 'label']);
  const out: VolumeFilters = {};
  const d = f.get('dangling');
  if (d?.length) out.dangling = boolFilter('dangling', d);
  for (const key of ['name', 'driver', 'label'] as const) {
    const v = f.get(key);
    if (v?.length) out[key] = v;
  }
  return out;
}

/** Before API 1.42 prune took every unused volume; since, only anonymous ones unless all=true. */
export function decodePruneFilters(raw: string | null, allByDefault: boolean): VolumePruneOptions {
  const f = parseFilters(raw);
  checkFilterKeys(f, ['label', 'label!', 'all']);
  const all = f.get('all');
  const out: VolumePruneOptions = { all: allByDefault || (all?.length ? boolFilter('all', all) : false) };
  const label = f.get('label');
  if (label?.length) out.label = label;
  const not = f.get('label!');
  if (not?.length) out.labelNot = not;
  return out;
}
