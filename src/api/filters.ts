// Docker's `filters` query parameter: JSON of either {"key":["v1","v2"]}
// or the form the docker CLI itself still sends, {"key":{"v1":true}}.

import { invalid } from '../core/errors.ts';

export type FilterArgs = Map<string, string[]>;

export function parseFilters(raw: string | null): FilterArgs {
  const out: FilterArgs = new Map();
  if (raw === null || raw.trim() === '') return out;
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw invalid('invalid filter');
  }
  if (doc === null) return out;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw invalid('invalid filter');
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      out.set(key, value as string[]);
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      // {"v": true}: only the keys marked true count, like docker's map[string]bool.
      out.set(key, Object.entries(value).filter(([, on]) => on === true).map(([v]) => v));
    } else {
      throw invalid(`invalid filter '${key}'`);
    }
  }
  return out;
}

/**
 * Refuses keys the endpoint does not know (dockerd's "invalid filter 'x'")
 * and keys dockerd knows but berth does not implement yet, so a filter is
 * never silently ignored.
 */
export function checkFilterKeys(f: FilterArgs, accepted: readonly string[], notImplemented: readonly string[] = []): void {
  for (const key of f.keys()) {
    if (accepted.includes(key)) continue;
    if (notImplemented.includes(key)) throw invalid(`filter '${key}' is not supported by berth yet`);
    throw invalid(`invalid filter '${key}'`);
  }
}

/** The one value of a filter that takes a single value (before, since); more than one is refused. */
export function singleValue(f: FilterArgs, key: string): string | undefined {
  const v = f.get(key);
  if (!v || v.length === 0) return undefined;
  if (v.length > 1) throw invalid(`invalid filter '${key}': only one value is allowed`);
  return v[0];
}

/** docker's Args.ExactMatch: true when the key is unset or one of its values equals `value`. */
export function exactMatch(f: FilterArgs, key: string, value: string): boolean {
  const v = f.get(key);
  return !v || v.length === 0 || v.includes(value);
}

/** docker's Args.FuzzyMatch: exact match or a value that is a prefix of `source`. */
export function fuzzyMatch(f: FilterArgs, key: string, source: string): boolean {
  const v = f.get(key);
  return !v || v.length === 0 || v.some((p) => source === p || source.startsWith(p));
}

/** Label filters: "key" means the label is present, "key=value" that it has this value. */
export function labelsMatch(f: FilterArgs, labels: Readonly<Record<string, string>>): boolean {
  const v = f.get('label');
  if (!v) return true;
  return v.every((want) => {
    const eq = want.indexOf('=');
    if (eq < 0) return Object.hasOwn(labels, want);
    const k = want.slice(0, eq);
    return Object.hasOwn(labels, k) && labels[k] === want.slice(eq + 1);
  });
}
