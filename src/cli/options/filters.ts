// --filter key=value, repeatable, sent as docker's filters JSON:
// {"key":{"value":true}} with keys sorted (Go marshals maps sorted).

export function validateFilter(value: string): string {
  if (value !== '' && !value.includes('=')) throw new Error('bad format of filter (expected name=value)');
  return value;
}

export type Filters = Map<string, Set<string>>;

export function parseFilters(values: readonly string[]): Filters {
  const filters: Filters = new Map();
  for (const v of values) {
    if (v === '') continue;
    const i = v.indexOf('=');
    if (i < 0) throw new Error('bad format of filter (expected name=value)');
    const name = v.slice(0, i).trim().toLowerCase();
    const value = v.slice(i + 1).trim();
    if (!filters.has(name)) filters.set(name, new Set());
    filters.get(name)!.add(value);
  }
  return filters;
}

export function addFilter(filters: Filters, name: string, value: string): void {
  if (!filters.has(name)) filters.set(name, new Set());
  filters.get(name)!.add(value);
}

/** The `filters` query value; "" when there are none (the parameter is then omitted). */
export function filtersToJson(filters: Filters): string {
  if (filters.size === 0) return '';
  const obj: Record<string, Record<string, boolean>> = {};
  for (const name of [...filters.keys()].sort()) {
    const inner: Record<string, boolean> = {};
    for (const value of [...filters.get(name)!].sort()) inner[value] = true;
    obj[name] = inner;
  }
  return JSON.stringify(obj);
}
