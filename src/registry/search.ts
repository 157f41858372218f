// GET /v1/search?q=TERM&n=PAGE_SIZE&page=N: the registry v1 search API, the
// one `docker search HOST/TERM` makes dockerd speak (distribution's v2
// registry has none, so dockerd answers "Unexpected status code 404"
// there). Served from the catalog: every repository whose name contains
// the term, case-insensitively, in name order, in Docker Hub's answer
// shape. A registry keeps no descriptions or stars: those are "" and 0,
// and nothing is official or automated. It needs what the catalog needs
// (registry:catalog:* with token auth).

import { regError } from './errors.ts';
import { type Req, sendJson } from './http.ts';

export interface V1SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;

function intParam(url: URL, key: string, dflt: number, max: number): number {
  const raw = url.searchParams.get(key);
  if (raw === null || raw === '') return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw regError('PAGINATION_NUMBER_INVALID', `invalid ${key} ${JSON.stringify(raw.slice(0, 40))}: want 1 to ${max}`, { [key]: raw.slice(0, 40) });
  }
  return Number(raw);
}

export async function search(r: Req): Promise<void> {
  const query = (r.url.searchParams.get('q') ?? '').trim();
  if (query.length > 255) throw regError('NAME_INVALID', 'search term must not be more than 255 characters');
  const n = intParam(r.url, 'n', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const page = intParam(r.url, 'page', 1, 1_000_000);
  const { total, names } = r.state.store.search(query, n, (page - 1) * n);
  const results: V1SearchResult[] = names.map((name) => ({ name, description: '', star_count: 0, is_official: false, is_automated: false }));
  sendJson(r.res, 200, {
    num_pages: Math.max(1, Math.ceil(total / n)), num_results: total, page_size: n, page, query, results,
  });
}
