// Tag and catalog listings at 10,000 repositories (issue 8: "from an index,
// fast at 10,000 repositories"): the index is filled directly through the
// storage layer, then `berth registry serve` is walked page by page with
// `n`/`last` and the Link headers. Checked: every name exactly once, in
// order, the pages chained by their Link headers; both listings are range
// scans of the index's primary keys (the query plan), so a page costs the
// same at the end of the catalog as at its start. Page times are reported
// (docs/benchmarks.md) and bounded loosely: the machine is shared.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../../src/registry/config.ts';
import { RegistryIndex } from '../../../src/registry/index-db.ts';
import { RegistryServer } from '../../../src/registry/server.ts';
import { sha } from '../../helpers/oci.ts';

const REPOS = 10_000;
const TAGS = 10_000;
const root = mkdtempSync(`${tmpdir()}/berth-registry-scale-`);
let server: RegistryServer | null = null;
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const MEDIA = 'application/vnd.oci.image.manifest.v1+json';
const repoName = (i: number) => `team${String(i % 97).padStart(2, '0')}/app-${i}`;

function fill(): { repos: string[]; tags: string[] } {
  const index = new RegistryIndex(`${root}/registry.db`);
  const repos: string[] = [];
  const tags: string[] = [];
  try {
    index.transaction(() => {
      for (let i = 0; i < REPOS; i++) {
        const repo = repoName(i);
        const digest = sha(Buffer.from(`manifest ${i}`));
        index.putManifest({ repo, digest, mediaType: MEDIA, size: 100, artifactType: null, subject: null, annotations: null }, []);
        index.setTag(repo, 'latest', digest);
        repos.push(repo);
      }
      const digest = sha(Buffer.from('many tags'));
      index.putManifest({ repo: 'big/tags', digest, mediaType: MEDIA, size: 100, artifactType: null, subject: null, annotations: null }, []);
      for (let i = 0; i < TAGS; i++) {
        const tag = `v${i}`;
        index.setTag('big/tags', tag, digest);
        tags.push(tag);
      }
      repos.push('big/tags');
    });
  } finally {
    index.close();
  }
  // SQLite's BINARY collation: byte order, which for these ASCII names is JavaScript's sort.
  return { repos: repos.sort(), tags: tags.sort() };
}

/** Follows a listing from its first page through its Link headers; returns the items and each page's milliseconds. */
async function walk(base: string, first: string, key: 'repositories' | 'tags'): Promise<{ items: string[]; ms: number[]; pages: number }> {
  const items: string[] = [];
  const ms: number[] = [];
  let next: string | null = first;
  let pages = 0;
  while (next) {
    const t = performance.now();
    const r = await fetch(`${base}${next}`);
    const body = await r.json() as Record<string, string[]>;
    ms.push(performance.now() - t);
    assert.equal(r.status, 200, JSON.stringify(body));
    const page = body[key]!;
    assert.ok(page.length <= 100, `a page of ${page.length}`);
    if (items.length) assert.ok(page.length === 0 || page[0]! > items.at(-1)!, `page ${pages} starts at ${page[0]} after ${items.at(-1)}`);
    items.push(...page);
    pages++;
    const link = r.headers.get('link');
    if (link) {
      const m = /^<([^>]+)>; rel="next"$/.exec(link);
      assert.ok(m, `Link header ${link}`);
      const u = new URL(m[1]!, base);
      assert.equal(u.searchParams.get('last'), page.at(-1), 'the next page starts after this one');
      assert.equal(u.searchParams.get('n'), '100');
      next = `${u.pathname}${u.search}`;
    } else {
      next = null;
    }
  }
  return { items, ms, pages };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

describe('registry listings at 10,000 repositories', () => {
  const want = fill();

  test('the catalog and the tag listing are primary-key range scans', () => {
    const db = new DatabaseSync(`${root}/registry.db`, { readOnly: true });
    try {
      const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('; ');
      // The same statements RegistryIndex.repos and .tags run.
      assert.match(plan('SELECT name FROM repos WHERE name > ? ORDER BY name LIMIT ?'), /SEARCH repos USING PRIMARY KEY \(name>\?\)/);
      assert.match(plan('SELECT tag FROM tags WHERE repo = ? AND tag > ? ORDER BY tag LIMIT ?'), /SEARCH tags USING PRIMARY KEY \(repo=\? AND tag>\?\)/);
    } finally {
      db.close();
    }
  });

  test('_catalog?n=100 pages through every repository once, in order, each page fast', async (t) => {
    server = new RegistryServer({ config: loadConfig({ listen: '127.0.0.1:0', root }) });
    const base = `http://127.0.0.1:${(await server.listen()).port}`;
    const cat = await walk(base, '/v2/_catalog?n=100', 'repositories');
    assert.deepEqual(cat.items, want.repos);
    assert.equal(cat.pages, Math.ceil(want.repos.length / 100) + (want.repos.length % 100 === 0 ? 1 : 0));
    const late = await fetch(`${base}/v2/_catalog?n=100&last=${encodeURIComponent(want.repos[9_899]!)}`);
    assert.deepEqual(((await late.json()) as { repositories: string[] }).repositories, want.repos.slice(9_900, 10_000));

    const tags = await walk(base, '/v2/big/tags/tags/list?n=100', 'tags');
    assert.deepEqual(tags.items, want.tags);
    const figure = (name: string, ms: number[]) => `${name}: ${ms.length} pages, p50 ${pct(ms, 0.5).toFixed(1)} ms, p95 ${pct(ms, 0.95).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`;
    t.diagnostic(figure(`catalog of ${want.repos.length} repositories`, cat.ms));
    t.diagnostic(figure(`tags of a repository with ${TAGS} tags`, tags.ms));
    // Loose on purpose (a shared 2-CPU machine): a scan of the whole table per page would still pass
    // this, which is what the query-plan test is for.
    assert.ok(pct(cat.ms, 0.5) < 100, `catalog page p50 ${pct(cat.ms, 0.5)} ms`);
    assert.ok(pct(tags.ms, 0.5) < 100, `tags page p50 ${pct(tags.ms, 0.5)} ms`);
  });
});
