// The v1 search API of `berth registry serve` (from its catalog) and the
// engine's search client (src/images/distribution/search.ts) in-process:
// pages and counts, LIKE's wildcards taken literally, the term split as
// dockerd splits it, dockerd's filter and limit checks, a token registry
// (scope registry:catalog), and the catalog fallback for a registry
// without the v1 API.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { isCode } from '../../../src/core/errors.ts';
import { checkSearchLimit, parseSearchFilters, searchRegistry, splitSearchTerm } from '../../../src/images/distribution/search.ts';
import { loadConfig } from '../../../src/registry/config.ts';
import { RegistryServer } from '../../../src/registry/server.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(`${tmpdir()}/berth-regsearch-`);
  writeFileSync(`${dir}/htpasswd`, `ci:${bcrypt.hashSync('pa55word', 4)}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const NAMES = ['a/app', 'b/app_x', 'b/appyx', 'c/my-app', 'd/tool', 'e/50%off'];

async function start(t: { after: (fn: () => Promise<void>) => void }, flags: { htpasswd?: string; token?: boolean } = {}): Promise<string> {
  const s = new RegistryServer({ config: loadConfig({ listen: '127.0.0.1:0', root: mkdtempSync(`${dir}/root-`), ...flags }) });
  s.state.root!.index.transaction(() => { for (const n of NAMES) s.state.root!.index.linkBlob(n, `sha256:${'1'.repeat(64)}`); });
  const { port } = await s.listen();
  t.after(() => s.close());
  return `127.0.0.1:${port}`;
}

describe('v1 search', () => {
  test('server: pages, counts, wildcards literal, bad page sizes', async (t) => {
    const host = await start(t);
    const get = async (q: string) => { const r = await fetch(`http://${host}/v1/search?${q}`); return { status: r.status, body: await r.json() as any }; };
    const all = await get('q=app');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.results.map((r: any) => r.name), ['a/app', 'b/app_x', 'b/appyx', 'c/my-app']);
    assert.deepEqual(all.body.results[0], { name: 'a/app', description: '', star_count: 0, is_official: false, is_automated: false });
    assert.equal(all.body.num_results, 4);
    const p2 = await get('q=APP&n=3&page=2');
    assert.deepEqual(p2.body.results.map((r: any) => r.name), ['c/my-app']);
    assert.deepEqual([p2.body.num_pages, p2.body.page, p2.body.page_size, p2.body.query], [2, 2, 3, 'APP']);
    assert.deepEqual((await get('q=app_')).body.results.map((r: any) => r.name), ['b/app_x']);
    assert.deepEqual((await get('q=%25')).body.results.map((r: any) => r.name), ['e/50%off']);
    assert.equal((await get('q=')).body.num_results, NAMES.length);
    for (const bad of ['n=0', 'n=101', 'n=x', 'page=0']) {
      const r = await get(`q=a&${bad}`);
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.errors[0].code, 'PAGINATION_NUMBER_INVALID');
    }
    assert.equal((await fetch(`http://${host}/v1/_ping`)).status, 200);
    assert.equal((await fetch(`http://${host}/v1/search?q=a`, { method: 'POST' })).status, 405);
  });

  test('engine: dockerd\'s term split, limit and filter checks', () => {
    assert.deepEqual(splitSearchTerm('busybox'), { domain: 'docker.io', query: 'busybox' });
    assert.deepEqual(splitSearchTerm('team/app'), { domain: 'docker.io', query: 'team/app' });
    assert.deepEqual(splitSearchTerm('127.0.0.1:5000/team/app'), { domain: '127.0.0.1:5000', query: 'team/app' });
    assert.deepEqual(splitSearchTerm('localhost/app'), { domain: 'localhost', query: 'app' });
    assert.equal(checkSearchLimit(0), 25);
    assert.equal(checkSearchLimit(100), 100);
    assert.throws(() => checkSearchLimit(101), /^BerthError: Limit 101 is outside the range of \[1, 100\]$/);
    assert.throws(() => checkSearchLimit(-1), /Limit -1 is outside/);
    assert.deepEqual(parseSearchFilters(new Map([['is-official', ['true']], ['stars', ['3', '7']]])), { isOfficial: true, stars: 7 });
    assert.throws(() => parseSearchFilters(new Map([['is-automated', ['false', 'true']]])), /Invalid filter 'is-automated=\[false true\]'/);
    assert.throws(() => parseSearchFilters(new Map([['stars', ['x']]])), /Invalid filter 'stars=x'/);
    assert.throws(() => parseSearchFilters(new Map([['name', ['x']]])), /Invalid filter 'name'/);
  });

  test('engine: a token registry (scope registry:catalog), then filters applied', async (t) => {
    const host = await start(t, { htpasswd: `${dir}/htpasswd`, token: true });
    const anon = await searchRegistry({}, `${host}/app`, 25, {}, {}).catch((e: unknown) => e);
    assert.ok(isCode(anon, 'unauthorized'), String(anon));
    const got = await searchRegistry({}, `${host}/app`, 2, {}, { username: 'ci', password: 'pa55word' });
    assert.deepEqual(got.map((r) => r.name), ['a/app', 'b/app_x']);
    assert.deepEqual(await searchRegistry({}, `${host}/app`, 25, { isOfficial: true }, { username: 'ci', password: 'pa55word' }), []);
  });

  test('engine: a registry without /v1/search is searched through its catalog pages', async (t) => {
    const all = Array.from({ length: 2500 }, (_, i) => `r/n${String(i).padStart(4, '0')}`);
    const seen: string[] = [];
    const srv = createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      seen.push(u.pathname);
      if (u.pathname === '/v2/') { res.writeHead(200).end('{}'); return; }
      if (u.pathname === '/v2/_catalog') {
        const n = Number(u.searchParams.get('n'));
        const last = u.searchParams.get('last') ?? '';
        const page = all.filter((x) => x > last).slice(0, n);
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (page.length === n) headers.Link = `</v2/_catalog?n=${n}&last=${page[page.length - 1]}>; rel="next"`;
        res.writeHead(200, headers).end(JSON.stringify({ repositories: page }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => srv.close(() => r())));
    const host = `127.0.0.1:${(srv.address() as { port: number }).port}`;
    const got = await searchRegistry({}, `${host}/N24`, 25, {}, {});
    assert.deepEqual(got.map((r) => r.name), all.filter((n) => n.includes('n24')).slice(0, 25));
    assert.equal(seen.filter((p) => p === '/v2/_catalog').length, 3, 'every page read');
    const few = await searchRegistry({}, `${host}/n0`, 5, {}, {});
    assert.deepEqual(few.map((r) => r.name), ['r/n0000', 'r/n0001', 'r/n0002', 'r/n0003', 'r/n0004']);
  });
});
