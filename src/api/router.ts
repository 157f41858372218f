// Turns the route table into a find-my-way tree. Paths are written as in
// the swagger ("/containers/{id}/json"). A `{name*}` segment is greedy and
// may contain slashes, for image references such as
// "/images/localhost:5000/a/b:t/json": dockerd matches these with a
// regular expression; here one wildcard route per method and prefix picks
// the entry whose suffix ends the path.

import FindMyWay from 'find-my-way';
import type { Handler, HijackHandler } from './context.ts';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/**
 * duringBoot: served while the daemon's start-up steps still run in the
 * background (reads of what the records say); every other route waits
 * for them (ApiDeps.booting).
 */
export type Route =
  | { method: Method; path: string; handler: Handler; duringBoot?: true }
  | { method: Method; path: string; hijack: HijackHandler; duringBoot?: true };

export interface Match {
  route: Route;
  params: Record<string, string>;
}

interface GreedyEntry {
  param: string;
  suffix: string;
  route: Route;
}

const GREEDY = /\{(\w+)\*\}/;

export class Router {
  readonly #fmw = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 4096 });
  readonly #greedy = new Map<string, GreedyEntry[]>();

  constructor(routes: readonly Route[]) {
    for (const route of routes) this.#add(route);
    // Longest suffix first: "/json" must be tried before a bare name.
    for (const list of this.#greedy.values()) list.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  #add(route: Route): void {
    const g = GREEDY.exec(route.path);
    if (!g) {
      const path = route.path.replace(/\{(\w+)\}/g, ':$1');
      this.#fmw.on(route.method, path, () => {}, { route });
      return;
    }
    const prefix = route.path.slice(0, g.index);
    const suffix = route.path.slice(g.index + g[0].length);
    const key = `${route.method} ${prefix}`;
    let list = this.#greedy.get(key);
    if (!list) {
      this.#greedy.set(key, (list = []));
      this.#fmw.on(route.method, `${prefix}*`, () => {}, { greedyKey: key });
    }
    list.push({ param: g[1]!, suffix, route });
  }

  match(method: string, path: string): Match | null {
    const found = this.#fmw.find(method as Method, path);
    if (!found) return null;
    const store = found.store as { route?: Route; greedyKey?: string };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.params)) if (v !== undefined) params[k] = v;
    if (store.route) return { route: store.route, params };
    const rest = (params['*'] ?? '').replace(/\/+$/, '');
    for (const entry of this.#greedy.get(store.greedyKey!) ?? []) {
      if (!rest.endsWith(entry.suffix)) continue;
      const value = rest.slice(0, rest.length - entry.suffix.length);
      if (value === '') continue;
      return { route: entry.route, params: { [entry.param]: value } };
    }
    return null;
  }
}
