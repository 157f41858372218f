// Searching a registry (GET /images/search, `docker search`), as dockerd
// does it: the term names the registry ("127.0.0.1:5000/app": registry
// 127.0.0.1:5000, query "app"; a term whose first part is no host name goes
// to Docker Hub's index), the registry's v1 search API answers
// (GET /v1/search?q=QUERY&n=LIMIT), and the filters (is-official,
// is-automated, stars) are applied to what came back.
//
// Beyond dockerd: a registry without the v1 search API (distribution's
// v2 registry answers 404, and dockerd fails with "Unexpected status code
// 404") is searched through its v2 catalog instead: /v2/_catalog pages,
// names containing the query (case-insensitive), up to the limit; such
// results carry no description or stars.

import { invalid, unavailable, wrap } from '../../core/errors.ts';
import { DEFAULT_DOMAIN } from '../reference.ts';
import type { Credentials } from './auth.ts';
import { RegistryClient } from './client.ts';
import { type RegistryOptions, pickEndpoint } from './endpoints.ts';
import { type Endpoint, drop, readAll } from './transport.ts';

export interface SearchResult {
  name: string;
  description: string;
  starCount: number;
  isOfficial: boolean;
  isAutomated: boolean;
}

/** The filters dockerd accepts, parsed once (parseSearchFilters). */
export interface SearchFilters {
  isOfficial?: boolean;
  isAutomated?: boolean;
  /** At least this many stars. */
  stars?: number;
}

export const DEFAULT_SEARCH_LIMIT = 25;
const MAX_LIMIT = 100;
const CATALOG_PAGE = 1000;
const MAX_CATALOG_PAGES = 1000;
const MAX_BODY = 16 << 20;

/** dockerd's limit: 0 or absent is 25; anything else must be 1 to 100. */
export function checkSearchLimit(limit: number): number {
  if (limit === 0) return DEFAULT_SEARCH_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalid(`Limit ${limit} is outside the range of [1, ${MAX_LIMIT}]`);
  return limit;
}

/** dockerd's checks and messages for the filters of /images/search. */
export function parseSearchFilters(f: Map<string, string[]>): SearchFilters {
  const out: SearchFilters = {};
  for (const key of f.keys()) if (!['is-automated', 'is-official', 'stars'].includes(key)) throw invalid(`Invalid filter '${key}'`);
  for (const [key, field] of [['is-automated', 'isAutomated'], ['is-official', 'isOfficial']] as const) {
    const v = f.get(key);
    if (!v || !v.length) continue;
    if (v.length === 1 && (v[0] === 'true' || v[0] === 'false')) out[field] = v[0] === 'true';
    else throw invalid(`Invalid filter '${key}=[${v.join(' ')}]'`);
  }
  for (const s of f.get('stars') ?? []) {
    if (!/^[+-]?\d+$/.test(s)) throw invalid(`Invalid filter 'stars=${s}'`);
    out.stars = Math.max(out.stars ?? 0, Number(s));
  }
  return out;
}

export function filterResults(results: SearchResult[], f: SearchFilters): SearchResult[] {
  return results.filter((r) => (f.isAutomated === undefined || r.isAutomated === f.isAutomated)
    && (f.isOfficial === undefined || r.isOfficial === f.isOfficial)
    && (f.stars === undefined || r.starCount >= f.stars));
}

/** dockerd's splitReposSearchTerm: the registry a term names, and the query sent to it. */
export function splitSearchTerm(term: string): { domain: string; query: string } {
  const i = term.indexOf('/');
  const first = i < 0 ? '' : term.slice(0, i);
  if (i < 0 || (!first.includes('.') && !first.includes(':') && first !== 'localhost')) return { domain: DEFAULT_DOMAIN, query: term };
  return { domain: first === 'index.docker.io' ? DEFAULT_DOMAIN : first, query: term.slice(i + 1) };
}

async function endpointFor(domain: string, opts: RegistryOptions): Promise<Endpoint> {
  // Docker Hub's search is its index, not the registry (nor a mirror).
  if (domain === DEFAULT_DOMAIN) return { host: 'index.docker.io', scheme: 'https', insecureTls: false };
  return pickEndpoint(domain, opts);
}

async function readJson(res: import('node:http').IncomingMessage, what: string, host: string): Promise<Record<string, unknown>> {
  const body = await readAll(res, MAX_BODY, `${what} from ${host}`);
  try {
    const doc = JSON.parse(body.toString());
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) return doc as Record<string, unknown>;
  } catch { /* below */ }
  throw unavailable(`${what} from ${host} is not a JSON object`);
}

function v1Results(doc: Record<string, unknown>): SearchResult[] {
  const list = Array.isArray(doc.results) ? doc.results as Array<Record<string, unknown>> : [];
  return list.filter((r) => r && typeof r.name === 'string').map((r) => ({
    name: r.name as string,
    description: typeof r.description === 'string' ? r.description : '',
    starCount: typeof r.star_count === 'number' ? r.star_count : 0,
    isOfficial: r.is_official === true,
    isAutomated: r.is_automated === true,
  }));
}

async function catalogResults(client: RegistryClient, query: string, limit: number): Promise<SearchResult[] | null> {
  const q = query.toLowerCase();
  const out: SearchResult[] = [];
  let path: string | null = `/v2/_catalog?n=${CATALOG_PAGE}`;
  for (let pages = 0; path && pages < MAX_CATALOG_PAGES && out.length < limit; pages++) {
    const res = await client.request('GET', path);
    if (res.statusCode === 404 && pages === 0) { drop(res); return null; }
    if (res.statusCode !== 200) throw await client.error(res, 'catalog');
    const doc = await readJson(res, 'catalog', client.endpoint.host);
    const repos = Array.isArray(doc.repositories) ? doc.repositories.filter((r): r is string => typeof r === 'string') : [];
    for (const name of repos) {
      if (out.length >= limit) break;
      if (name.toLowerCase().includes(q)) out.push({ name, description: '', starCount: 0, isOfficial: false, isAutomated: false });
    }
    const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
    path = next ? client.resolve(next[1]!) : null;
  }
  return out;
}

/** Searches the registry the term names (filters applied, in the registry's order). */
export async function searchRegistry(opts: RegistryOptions, term: string, limit: number, filters: SearchFilters, credentials: Credentials): Promise<SearchResult[]> {
  const { domain, query } = splitSearchTerm(term);
  const ep = await endpointFor(domain, opts).catch((err) => { throw wrap(err, `searching ${domain}: registry unreachable`); });
  const client = new RegistryClient(ep, '', {
    credentials, actions: [], scope: 'registry:catalog:*', ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
  });
  try {
    const res = await client.request('GET', `/v1/search?q=${encodeURIComponent(query)}&n=${limit}`);
    if (res.statusCode === 200) return filterResults(v1Results(await readJson(res, 'search results', ep.host)), filters);
    if (res.statusCode !== 404 && res.statusCode !== 405) throw await client.error(res, `search for "${query}"`);
    drop(res);
    const fromCatalog = await catalogResults(client, query, limit);
    if (!fromCatalog) throw unavailable(`${ep.host} has neither the v1 search API nor a v2 catalog (both answered 404)`);
    return filterResults(fromCatalog, filters);
  } catch (err) {
    throw wrap(err, `searching ${ep.host}`);
  }
}
