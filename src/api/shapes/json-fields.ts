// Typed reads from a decoded JSON object, for request bodies. A field of
// the wrong type is a 400 that names it (Go's decoder does the same for
// dockerd). Absent and null both read as undefined unless noted.

import { invalid } from '../../core/errors.ts';

export class JsonFields {
  readonly #obj: Record<string, unknown>;
  readonly #where: string;

  constructor(obj: Record<string, unknown>, where: string) {
    this.#obj = obj;
    this.#where = where;
  }

  #bad(key: string, want: string): never {
    throw invalid(`invalid JSON: cannot use ${JSON.stringify(this.#obj[key])} as ${this.#where}${key}: expected ${want}`);
  }

  #get(key: string): unknown {
    const v = this.#obj[key];
    return v === null ? undefined : v;
  }

  str(key: string): string | undefined {
    const v = this.#get(key);
    if (v === undefined || typeof v === 'string') return v;
    return this.#bad(key, 'a string');
  }

  bool(key: string): boolean | undefined {
    const v = this.#get(key);
    if (v === undefined || typeof v === 'boolean') return v;
    return this.#bad(key, 'a boolean');
  }

  int(key: string): number | undefined {
    const v = this.#get(key);
    if (v === undefined || (typeof v === 'number' && Number.isInteger(v))) return v;
    return this.#bad(key, 'an integer');
  }

  strList(key: string): string[] | undefined {
    const v = this.#get(key);
    if (v === undefined) return undefined;
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v;
    return this.#bad(key, 'an array of strings');
  }

  /** Cmd and Entrypoint: docker's StrSlice takes a string or a list; null stays null (it means "unset"). */
  command(key: string): string[] | null | undefined {
    const v = this.#obj[key];
    if (v === undefined) return undefined;
    if (v === null) return null;
    if (typeof v === 'string') return [v];
    return this.strList(key);
  }

  strMap(key: string): Record<string, string> | undefined {
    const v = this.#get(key);
    if (v === undefined) return undefined;
    if (typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((s) => typeof s === 'string')) {
      return v as Record<string, string>;
    }
    return this.#bad(key, 'an object of strings');
  }

  /** Docker's set-like maps ({"80/tcp": {}}). */
  objMap(key: string): Record<string, object> | undefined {
    const v = this.#get(key);
    if (v === undefined) return undefined;
    if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, object>;
    return this.#bad(key, 'an object');
  }

  obj(key: string): Record<string, unknown> | undefined {
    const v = this.#get(key);
    if (v === undefined) return undefined;
    if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    return this.#bad(key, 'an object');
  }
}
