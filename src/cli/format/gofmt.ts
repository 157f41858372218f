// Go's fmt, as text/template prints values, for the data berth templates
// see: JSON values (maps print as map[k:v] with sorted keys, slices as
// [a b], null as <nil>) and typed contexts (docker's formatter structs).

/** Go's "invalid value": a missing map key, printed as "<no value>". */
export const MISSING: unique symbol = Symbol('missing');
/** Marks a typed object (a Go struct); the value is its Go type name for messages. */
export const GO_TYPE: unique symbol = Symbol('goType');

/** Set on a typed object that is a plain Go struct: encoding/json keeps its field order (a context's methods come sorted). */
export const GO_STRUCT: unique symbol = Symbol('goStruct');

/** Set on contexts docker marshals with json.Marshal (which escapes <, > and &). */
export const HTML_ESCAPED_JSON: unique symbol = Symbol('htmlEscapedJson');

/** Fields a context marshals differently from how a template prints them (docker's searchContext: IsOfficial "[OK]" vs "true"). */
export const JSON_FIELDS: unique symbol = Symbol('jsonFields');

/**
 * A typed Go nil: a nil slice prints "[]" and a nil map "map[]" (docker's
 * typed inspect structs), though both marshal as null.
 */
export class GoNil {
  readonly kind: 'slice' | 'map';
  constructor(kind: 'slice' | 'map') {
    this.kind = kind;
  }
}
export const NIL_SLICE = new GoNil('slice');
export const NIL_MAP = new GoNil('map');

export type TypedObject = { [GO_TYPE]: string; [HTML_ESCAPED_JSON]?: true; [GO_STRUCT]?: true; [JSON_FIELDS]?: Record<string, unknown>; [key: string]: unknown };

export function isTyped(v: unknown): v is TypedObject {
  return typeof v === 'object' && v !== null && GO_TYPE in v;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isTyped(v) && !(v instanceof GoNil) && !Buffer.isBuffer(v);
}

export function isMissing(v: unknown): boolean {
  return v === MISSING || v === undefined;
}

/** The Go type a value would have after encoding/json decoded it into interface{}. */
export function goTypeName(v: unknown): string {
  if (isMissing(v)) return '<nil>';
  if (v === null) return 'interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'function') return 'func';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof GoNil) return v.kind === 'slice' ? '[]string' : 'map[string]string';
  if (isTyped(v)) return v[GO_TYPE];
  return 'map[string]interface {}';
}

/** Go's template truth: empty and zero values are false. */
export function truth(v: unknown): boolean {
  if (isMissing(v) || v === null || v instanceof GoNil) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** strconv.Quote */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c < 0x7f) out += ch;
    else if (c === 0xfffd && ch !== '\ufffd') out += '\\ufffd';
    else if (/[\p{C}\p{Zl}\p{Zp}]/u.test(ch) || (/\p{Zs}/u.test(ch) && ch !== ' ')) {
      out += c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  // Go's %v for float64: shortest representation, exponent outside [1e-4, 1e21).
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** fmt's %v of one value. `nested` values inside slices and maps print the same way. */
export function formatValue(v: unknown): string {
  if (v === MISSING || v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'string': return v;
    case 'number': return formatNumber(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'bigint': return v.toString();
    case 'function': return '<func>';
  }
  if (Array.isArray(v)) return `[${v.map(formatNested).join(' ')}]`;
  if (v instanceof GoNil) return v.kind === 'slice' ? '[]' : 'map[]';
  if (isTyped(v)) {
    const fields = Object.keys(v).filter((k) => typeof v[k] !== 'function');
    return `{${fields.map((k) => formatNested(v[k])).join(' ')}}`;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  return `map[${keys.map((k) => `${k}:${formatNested(obj[k])}`).join(' ')}]`;
}

function formatNested(v: unknown): string {
  if (v === MISSING || v === undefined) return '<nil>';
  return formatValue(v);
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintln: always spaces, and a newline. */
export function sprintln(args: unknown[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}

/** fmt.Sprintf for the verbs templates use: %v %s %d %q %t %x %X %f %g %e %c %%. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argi = 0;
  const re = /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags, widthSpec, precSpec, verb] = m;
    if (verb === '%') { out += '%'; continue; }
    const width = widthSpec === '*' ? Number(args[argi++]) : widthSpec ? Number(widthSpec) : undefined;
    const prec = precSpec === '*' ? Number(args[argi++]) : precSpec !== undefined ? Number(precSpec) : (m[0].includes('.') ? 0 : undefined);
    if (argi >= args.length) { out += `%!${verb}(MISSING)`; continue; }
    const arg = args[argi++];
    let s = formatVerb(verb, arg, flags, prec);
    if (width !== undefined && s.length < width) {
      if (flags.includes('-')) s = s.padEnd(width);
      else if (flags.includes('0') && /[dfegxX]/.test(verb)) {
        const sign = /^[-+]/.test(s) ? s[0] : '';
        s = sign + s.slice(sign.length).padStart(width - sign.length, '0');
      } else s = s.padStart(width);
    }
    out += s;
  }
  out += format.slice(last);
  if (argi < args.length) {
    out += `%!(EXTRA ${args.slice(argi).map((a) => `${goTypeName(a)}=${formatValue(a)}`).join(', ')})`;
  }
  return out;
}

function formatVerb(verb: string, arg: unknown, flags: string, prec: number | undefined): string {
  const bad = () => (arg === null || isMissing(arg) ? `%!${verb}(<nil>)` : `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`);
  switch (verb) {
    case 'v': return formatValue(arg);
    case 's': {
      if (typeof arg === 'number' || typeof arg === 'boolean' || arg === null) return bad();
      const s = typeof arg === 'string' ? arg : formatValue(arg);
      return prec !== undefined ? [...s].slice(0, prec).join('') : s;
    }
    case 'q': return typeof arg === 'string' ? goQuote(arg) : bad();
    case 't': return typeof arg === 'boolean' ? String(arg) : bad();
    case 'd':
      if (typeof arg !== 'number' || !Number.isInteger(arg)) return bad();
      return (flags.includes('+') && arg >= 0 ? '+' : '') + arg.toFixed(0);
    case 'c': return typeof arg === 'number' ? String.fromCodePoint(arg) : bad();
    case 'x': case 'X': {
      let s: string;
      if (typeof arg === 'number' && Number.isInteger(arg)) s = (arg < 0 ? '-' : '') + Math.abs(arg).toString(16);
      else if (typeof arg === 'string') s = Buffer.from(arg).toString('hex');
      else return bad();
      return verb === 'X' ? s.toUpperCase() : s;
    }
    case 'f': case 'F':
      if (typeof arg !== 'number') return bad();
      return (flags.includes('+') && arg >= 0 ? '+' : '') + arg.toFixed(prec ?? 6);
    case 'e':
      if (typeof arg !== 'number') return bad();
      return arg.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
    case 'g':
      if (typeof arg !== 'number') return bad();
      return formatNumber(arg);
    default:
      return `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
  }
}
