// `volume ls` filters (dangling, name, driver, label), dockerd's semantics:
// name is a substring match, driver exact, label "key" or "key=value".

import type { VolumeFilters, VolumeRecord } from '../core/volume.ts';

function labelMatch(labels: Record<string, string>, want: string): boolean {
  const eq = want.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, want);
  const k = want.slice(0, eq);
  return Object.hasOwn(labels, k) && labels[k] === want.slice(eq + 1);
}

export function filterVolumes(recs: VolumeRecord[], f: VolumeFilters, inUse: (name: string) => boolean): VolumeRecord[] {
  return recs.filter((r) => {
    if (f.name?.length && !f.name.some((n) => r.name.includes(n))) return false;
    if (f.driver?.length && !f.driver.includes(r.driver)) return false;
    if (f.label?.length && !f.label.every((l) => labelMatch(r.labels, l))) return false;
    if (f.dangling !== undefined && inUse(r.name) === f.dangling) return false;
    return true;
  });
}
