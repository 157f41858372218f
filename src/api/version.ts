// API version negotiation, as dockerd's version middleware does it: every
// route is served both bare and under /v{major}.{minor}/; a bare request
// gets the newest version; a version outside [MIN_API_VERSION, API_VERSION]
// is refused with dockerd's wording.

import { invalid } from '../core/errors.ts';
import { API_VERSION, MIN_API_VERSION } from '../core/system.ts';

/** Docker's versions.compare: dot-separated numbers, a missing or non-numeric part counts as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? '0', 10) || 0;
    const y = Number.parseInt(pb[i] ?? '0', 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export const versionAtLeast = (v: string, min: string): boolean => compareVersions(v, min) >= 0;
export const versionBelow = (v: string, limit: string): boolean => compareVersions(v, limit) < 0;

const PREFIX = /^\/v([0-9.]+)(\/.*)$/;

/** Splits "/v1.41/containers/json" into its version and the route path; bare paths have no version. */
export function splitVersion(pathname: string): { version: string | undefined; path: string } {
  const m = PREFIX.exec(pathname);
  return m ? { version: m[1], path: m[2]! } : { version: undefined, path: pathname };
}

/** The version a request is served with; throws invalid_argument outside the supported range. */
export function negotiate(requested: string | undefined): string {
  const v = requested ?? API_VERSION;
  if (compareVersions(v, MIN_API_VERSION) < 0) {
    throw invalid(`client version ${v} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  if (compareVersions(v, API_VERSION) > 0) {
    throw invalid(`client version ${v} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  return v;
}
