// Template functions: Go's builtins (and, or, not, len, index, slice, eq...,
// print, printf, println, html, js, urlquery) and the docker CLI's (json,
// split, join, title, lower, upper, pad, truncate), plus the header variants
// docker uses for a table's first row.

import type { TemplateFunc } from './template-exec.ts';
import { GO_STRUCT, GO_TYPE, GoNil, HTML_ESCAPED_JSON, JSON_FIELDS, MISSING, goTypeName, isMap, isMissing, isTyped, sprint, sprintf, sprintln, truth } from './gofmt.ts';

/**
 * An argument of the wrong type. Go checks this while evaluating arguments,
 * so the error points at the argument, not at the call.
 */
export class WrongTypeError extends Error {
  readonly value: unknown;
  constructor(expected: string, value: unknown) {
    super(`wrong type for value; expected ${expected}; got ${goTypeName(value)}`);
    this.value = value;
  }
}

function want(v: unknown, type: 'string' | 'int'): never {
  throw new WrongTypeError(type, v);
}

function str(v: unknown): string {
  if (typeof v !== 'string') want(v, 'string');
  return v;
}

function int(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) want(v, 'int');
  return v;
}

/** encoding/json as docker's json function runs it (SetEscapeHTML(false)). */
export function toJson(v: unknown): string {
  // A context marshals itself with json.Marshal, which escapes <, > and &.
  const html = isTyped(v) && v[HTML_ESCAPED_JSON] === true;
  const text = JSON.stringify(v === MISSING ? null : v, (_key, value: unknown) => {
    // Numbers kept as their exact text (an event's timeNano does not fit a double).
    if ((JSON as unknown as { isRawJSON(v: unknown): boolean }).isRawJSON(value)) return value;
    if (value === MISSING || value === undefined || value instanceof GoNil) return null;
    if (isTyped(value)) {
      // docker's formatter marshals a context's exported zero-argument methods, sorted.
      const out: Record<string, unknown> = {};
      const json = value[JSON_FIELDS] ?? {};
      for (const k of value[GO_STRUCT] ? Object.keys(value) : Object.keys(value).sort()) {
        if (typeof value[k] !== 'function') out[k] = k in json ? json[k] : value[k];
      }
      return out;
    }
    // A string map (labels, options) is a Go map: encoding/json sorts its keys.
    if (isMap(value) && Object.values(value).every((x) => typeof x === 'string')) {
      return Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]]));
    }
    return value;
  }) ?? 'null';
  const out = text.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return html ? out.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026') : out;
}

function basicKind(v: unknown): string {
  if (v === null || isMissing(v)) return 'nil';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return 'other';
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new Error('missing argument for comparison');
  const ka = basicKind(a);
  for (const b of rest) {
    const kb = basicKind(b);
    if (ka === 'nil' || kb === 'nil') {
      if (ka === 'nil' && kb === 'nil') return true;
      if (ka === 'other' || kb === 'other') continue;
      throw new Error('incompatible types for comparison');
    }
    if (ka === 'other' || kb === 'other') throw new Error(`non-comparable type ${goTypeName(ka === 'other' ? a : b)}`);
    if (ka !== kb) throw new Error('incompatible types for comparison');
    if (a === b) return true;
  }
  return false;
}

function less(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka !== 'number' && ka !== 'string') throw new Error('invalid type for comparison');
  if (ka !== kb) throw new Error('incompatible types for comparison');
  return (a as number | string) < (b as number | string);
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (isMissing(v)) throw new Error('index of untyped nil');
    if (Array.isArray(v) || typeof v === 'string') {
      const i = int(k);
      if (i < 0 || i >= v.length) throw new Error(`index out of range: ${i}`);
      v = typeof v === 'string' ? Buffer.from(v)[i] : v[i];
    } else if (v instanceof GoNil && v.kind === 'slice') {
      int(k);
      throw new Error(`index out of range: ${k as number}`);
    } else if (v === null || v instanceof GoNil) {
      // A nil map (docker's Labels of an unlabelled object): the zero value.
      str(k);
      return '';
    } else if (isMap(v)) {
      const key = str(k);
      if (Object.prototype.hasOwnProperty.call(v, key)) v = v[key];
      else {
        // Go returns the element type's zero value; string maps (labels) give "".
        const values = Object.values(v);
        return values.every((x) => typeof x === 'string') ? '' : MISSING;
      }
    } else {
      throw new Error(`can't index item of type ${goTypeName(v)}`);
    }
  }
  return v;
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (typeof item !== 'string' && !Array.isArray(item)) throw new Error(`can't slice item of type ${goTypeName(item)}`);
  const n = typeof item === 'string' ? Buffer.byteLength(item) : item.length;
  const [i = 0, j = n] = idx.map(int);
  if (i < 0 || j < i || j > n) throw new Error(`index out of range: ${j > n ? j : i}`);
  return typeof item === 'string' ? Buffer.from(item).subarray(i, j).toString() : item.slice(i, j);
}

function length(v: unknown): number {
  if (v instanceof GoNil) return 0;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new Error(`len of type ${goTypeName(v)}`);
}

function lazy(fn: (...thunks: (() => unknown)[]) => unknown): TemplateFunc {
  const f = fn as TemplateFunc;
  f.lazy = true;
  return f;
}

/** strings.Title: the first letter of every word upper-cased. */
function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

function split(s: string, sep: string): string[] {
  if (sep === '') return [...s];
  return s.split(sep);
}

function join(v: unknown, sep: unknown): string {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new WrongTypeError('[]string', v);
  return v.join(str(sep));
}

export const builtinFuncs: Record<string, TemplateFunc> = {
  and: lazy((...args) => {
    let v: unknown = MISSING;
    for (const a of args) { v = a(); if (!truth(v)) return v; }
    return v;
  }),
  or: lazy((...args) => {
    let v: unknown = MISSING;
    for (const a of args) { v = a(); if (truth(v)) return v; }
    return v;
  }),
  not: (v) => !truth(v),
  len: length,
  index,
  slice,
  print: (...args) => sprint(args),
  printf: (format, ...args) => sprintf(str(format), args),
  println: (...args) => sprintln(args),
  eq,
  ne: (a, b) => !eq(a, b),
  lt: (a, b) => less(a, b),
  le: (a, b) => less(a, b) || eq(a, b),
  gt: (a, b) => !less(a, b) && !eq(a, b),
  ge: (a, b) => !less(a, b),
  html: (...args) => sprint(args).replace(/[<>&'"\0]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' })[c] ?? c),
  js: (...args) => sprint(args).replace(/[\\'"<>&=\n\r\t]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c),
  urlquery: (...args) => encodeURIComponent(sprint(args)).replace(/%20/g, '+'),
};

export const dockerFuncs: Record<string, TemplateFunc> = {
  json: (v) => toJson(v),
  split: (s, sep) => split(str(s), str(sep)),
  join,
  title: (s) => title(str(s)),
  lower: (s) => str(s).toLowerCase(),
  upper: (s) => str(s).toUpperCase(),
  pad: (s, prefix, suffix) => (str(s) === '' ? '' : ' '.repeat(int(prefix)) + s + ' '.repeat(int(suffix))),
  truncate: (s, n) => {
    const b = Buffer.from(str(s));
    return b.length < int(n) ? s : b.subarray(0, int(n)).toString();
  },
};

/** For a table's header row: functions leave the header text as it is. */
export const headerFuncs: Record<string, TemplateFunc> = {
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  truncate: (v) => v,
};

export { GO_TYPE };
