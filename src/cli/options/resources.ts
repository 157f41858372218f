// The docker CLI's resource flags that take structured values: --ulimit,
// --device, --blkio-weight-device and the --device-*-bps/-iops throttles,
// parsed the way the docker CLI parses them (its messages included).

import { ramInBytes } from './units.ts';

export interface UlimitBody { Name: string; Soft: number; Hard: number }
export interface DeviceBody { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }

/** "nofile=1024:2048" or "nofile=1024" (soft = hard). */
export function parseUlimit(v: string): UlimitBody {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new Error(`invalid ulimit argument: ${v}`);
  const name = v.slice(0, eq);
  const parts = v.slice(eq + 1).split(':');
  if (parts.length > 2) throw new Error(`too many limit value arguments - ${v.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (s: string) => {
    if (!/^-?\d+$/.test(s)) throw new Error(`invalid ulimit argument: ${v}`);
    return Number(s);
  };
  const soft = num(parts[0]);
  const hard = parts.length === 2 ? num(parts[1]) : soft;
  if (soft > hard && hard !== -1) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

/** "/dev/x[:/dev/y][:rwm]". */
export function parseDevice(v: string): DeviceBody {
  const parts = v.split(':');
  let perms = 'rwm';
  let dst = '';
  if (parts.length === 3) {
    [, dst, perms] = parts;
  } else if (parts.length === 2) {
    if (/^[rwm]{1,3}$/.test(parts[1])) perms = parts[1];
    else dst = parts[1];
  } else if (parts.length !== 1) {
    throw new Error(`invalid device specification: ${v}`);
  }
  if (!/^[rwm]{1,3}$/.test(perms)) throw new Error(`invalid device specification: ${v}`);
  return { PathOnHost: parts[0], PathInContainer: dst || parts[0], CgroupPermissions: perms };
}

/** "/dev/sda:200". */
export function parseWeightDevice(v: string): { Path: string; Weight: number } {
  const i = v.lastIndexOf(':');
  if (i <= 0 || !v.startsWith('/dev/')) throw new Error(`bad format: ${v}`);
  const w = Number(v.slice(i + 1));
  if (!Number.isInteger(w) || w < 0) throw new Error(`invalid weight for device: ${v}`);
  if (w > 0 && (w < 10 || w > 1000)) throw new Error(`invalid weight for device: ${v}`);
  return { Path: v.slice(0, i), Weight: w };
}

/** "/dev/sda:1mb" (bytes per second) or "/dev/sda:1000" (IO per second). */
export function parseThrottle(v: string, unit: 'bytes' | 'iops'): { Path: string; Rate: number } {
  const i = v.lastIndexOf(':');
  if (i <= 0 || !v.startsWith('/dev/')) throw new Error(`bad format: ${v}`);
  const raw = v.slice(i + 1);
  let rate: number;
  if (unit === 'bytes') {
    try { rate = ramInBytes(raw); } catch { throw new Error(`invalid rate for device: ${v}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`); }
  } else {
    rate = Number(raw);
    if (!/^\d+$/.test(raw)) throw new Error(`invalid rate for device: ${v}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  }
  return { Path: v.slice(0, i), Rate: rate };
}
