// Docker decodes request bodies into Go structs with encoding/json; what
// that decoder refuses, berth refuses too, with its words. This module is
// the vocabulary: Go's scalar kinds, the range of each integer type, and a
// schema language for the structs a body decodes into. The schemas
// themselves live beside the body they describe (create-schema.ts).
//
// Numbers arrive as the client wrote them: readJson keeps the source text of
// every number that is not an exact safe integer (as JSON.rawJSON), so
// 1e20, 1.0 and 9223372036854775808 are judged by their literal, as Go
// judges them, and not by the double JSON.parse would have rounded them to.

import { invalid } from '../../core/errors.ts';
import { isRawNumber } from '../json-body.ts';

export type GoInt = 'int' | 'int64' | 'int32' | 'uint' | 'uint64' | 'uint32' | 'uint16' | 'time.Duration' | 'fs.FileMode';

/** Inclusive bounds of each integer type on linux/amd64 (int and uint are 64-bit there). */
export const GO_INT_RANGE: Record<GoInt, readonly [bigint, bigint]> = {
  'int': [-(2n ** 63n), 2n ** 63n - 1n],
  'int64': [-(2n ** 63n), 2n ** 63n - 1n],
  'time.Duration': [-(2n ** 63n), 2n ** 63n - 1n],
  'int32': [-(2n ** 31n), 2n ** 31n - 1n],
  'uint': [0n, 2n ** 64n - 1n],
  'uint64': [0n, 2n ** 64n - 1n],
  'uint32': [0n, 2n ** 32n - 1n],
  'fs.FileMode': [0n, 2n ** 32n - 1n],
  'uint16': [0n, 2n ** 16n - 1n],
};

/**
 * A Go type a JSON value decodes into. `struct` names its Go type (Go's
 * messages name the innermost struct); `strslice` is docker's StrSlice (a
 * string or a list of strings); `any` is a field berth does not judge.
 */
export type GoType =
  | { kind: 'int'; type: GoInt }
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'strslice' }
  | { kind: 'any' }
  | { kind: 'slice'; of: GoType; name: string }
  | { kind: 'array'; of: GoType; len: number; name: string }
  | { kind: 'map'; of: GoType; name: string }
  | { kind: 'struct'; name: string; fields: Readonly<Record<string, GoType>> };

export const int = (type: GoInt): GoType => ({ kind: 'int', type });
export const str: GoType = { kind: 'string' };
export const bool: GoType = { kind: 'bool' };
export const strslice: GoType = { kind: 'strslice' };
export const any: GoType = { kind: 'any' };
export const strList: GoType = { kind: 'slice', of: str, name: '[]string' };
export const strMap: GoType = { kind: 'map', of: str, name: 'map[string]string' };
/** Docker's set-like maps (map[K]struct{}): each value must be an object. */
export const set = (name: string): GoType => ({ kind: 'map', of: { kind: 'struct', name: 'struct {}', fields: {} }, name });
export const sliceOf = (of: GoType, name: string): GoType => ({ kind: 'slice', of, name });
export const struct = (name: string, fields: Record<string, GoType>): GoType => ({ kind: 'struct', name, fields });

/** The largest integer berth carries exactly (engine values are JS numbers). */
const EXACT = BigInt(Number.MAX_SAFE_INTEGER);

function goTypeName(t: GoType): string {
  switch (t.kind) {
    case 'int': return t.type;
    case 'string': return 'string';
    case 'bool': return 'bool';
    case 'strslice': return 'strslice.StrSlice';
    case 'any': return 'interface {}';
    case 'slice': case 'array': case 'map': return t.name;
    case 'struct': return t.name;
  }
}

/** How Go's UnmarshalTypeError describes a JSON value: its kind, and a number's literal when the literal is the problem. */
function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || isRawNumber(v)) return 'number';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** The literal of a JSON number as the client wrote it. */
export function numberSource(v: unknown): string {
  return isRawNumber(v) ? v.rawJSON : String(v);
}

interface Where {
  /** The innermost Go struct's type name, without its package ("HostConfig"). */
  struct: string;
  /** The field path from the top of the body ("HostConfig.Memory"). */
  path: string;
}

function typeError(value: string, where: Where, t: GoType): never {
  throw invalid(`invalid JSON: json: cannot unmarshal ${value} into Go struct field ${where.struct}.${where.path} of type ${goTypeName(t)}`);
}

/** An integer literal within `type`'s range, as the exact JS number berth carries. */
export function goInteger(v: unknown, type: GoInt, where: Where): number {
  if (typeof v !== 'number' && !isRawNumber(v)) typeError(jsonKind(v), where, int(type));
  const src = numberSource(v);
  // Go parses an integer field's literal with ParseInt/ParseUint: no fraction, no exponent.
  if (!/^-?(0|[1-9]\d*)$/.test(src)) typeError(`number ${src}`, where, int(type));
  const n = BigInt(src);
  const [lo, hi] = GO_INT_RANGE[type];
  if (n < lo || n > hi) typeError(`number ${src}`, where, int(type));
  if (n > EXACT || n < -EXACT) {
    throw invalid(`invalid ${where.path}: ${src} is beyond what berth carries exactly (at most ${Number.MAX_SAFE_INTEGER} in magnitude)`);
  }
  return Number(n);
}

/**
 * Checks `v` against `t` the way Go's decoder would, throwing its message
 * for the first mismatch. null is every type's zero value; fields the
 * schema does not list are ignored, as Go ignores unknown fields.
 */
export function checkGoValue(v: unknown, t: GoType, where: Where): void {
  if (v === null || v === undefined || t.kind === 'any') return;
  switch (t.kind) {
    case 'int': goInteger(v, t.type, where); return;
    case 'string': if (typeof v !== 'string') typeError(jsonKind(v), where, t); return;
    case 'bool': if (typeof v !== 'boolean') typeError(jsonKind(v), where, t); return;
    case 'strslice':
      // StrSlice tries a list of strings, then a string: the second attempt's error is the one reported.
      if (typeof v === 'string') return;
      if (!Array.isArray(v)) typeError(jsonKind(v), where, str);
      if (v.some((e) => e !== null && typeof e !== 'string')) typeError('array', where, str);
      return;
    case 'slice': case 'array':
      // A Go array ignores elements past its length.
      if (!Array.isArray(v)) typeError(jsonKind(v), where, t);
      for (const e of t.kind === 'array' ? v.slice(0, t.len) : v) checkGoValue(e, t.of, where);
      return;
    case 'map':
      if (typeof v !== 'object' || Array.isArray(v) || isRawNumber(v)) typeError(jsonKind(v), where, t);
      for (const e of Object.values(v as object)) checkGoValue(e, t.of, where);
      return;
    case 'struct': {
      if (typeof v !== 'object' || Array.isArray(v) || isRawNumber(v)) typeError(jsonKind(v), where, t);
      const obj = v as Record<string, unknown>;
      const name = t.name.replace(/^[a-z]+\./, '');
      for (const [key, ft] of Object.entries(t.fields)) {
        if (!Object.hasOwn(obj, key)) continue;
        checkGoValue(obj[key], ft, { struct: name, path: where.path ? `${where.path}.${key}` : key });
      }
      return;
    }
  }
}
