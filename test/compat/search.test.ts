// docker search against registries on loopback: berth's `registry serve`
// answers the v1 search API dockerd speaks (from its catalog), so the same
// output comes back through either daemon: docker's columns, --limit,
// --filter (and dockerd's messages for bad ones), --format and --no-trunc,
// with Basic auth after a login. Through berthd only: a registry without
// the v1 API (the reference registry) is searched through its v2 catalog,
// where dockerd answers "Unexpected status code 404".

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { after, before } from 'node:test';
import { compatSuite } from './target.ts';
import { haveReferenceRegistry, startBerthRegistry, startReferenceRegistry, type RunningRegistry } from '../helpers/registry.ts';

const REPOS = ['team/app', 'team/application', 'tools/grep', 'zeta/app'];
let plain: RunningRegistry;
let basic: RunningRegistry;
let reference: RunningRegistry | null = null;
const authDir = mkdtempSync(join(tmpdir(), 'berth-search-auth-'));

/** A config blob and a manifest without layers in each repository (straight over HTTP). */
async function populate(reg: RunningRegistry, auth?: string): Promise<void> {
  const headers: Record<string, string> = auth ? { Authorization: auth } : {};
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: config.length }, layers: [],
  });
  for (const repo of REPOS) {
    const post = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
    assert.equal(post.status, 202, await post.text());
    const loc = new URL(post.headers.get('location')!, reg.url);
    loc.searchParams.set('digest', digest);
    const put = await fetch(loc, { method: 'PUT', body: config, headers });
    assert.equal(put.status, 201, await put.text());
    const m = await fetch(`${reg.url}/v2/${repo}/manifests/v1`, { method: 'PUT', body: manifest, headers: { ...headers, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(m.status, 201, await m.text());
  }
}

before(async () => {
  plain = await startBerthRegistry();
  writeFileSync(join(authDir, 'htpasswd'), `ci:${bcrypt.hashSync('pa55word', 4)}\n`);
  basic = await startBerthRegistry({ args: ['--htpasswd', join(authDir, 'htpasswd')] });
  await populate(plain);
  await populate(basic, `Basic ${Buffer.from('ci:pa55word').toString('base64')}`);
  if (haveReferenceRegistry()) {
    reference = await startReferenceRegistry();
    await populate(reference);
  }
});

after(async () => {
  await plain?.stop();
  await basic?.stop();
  await reference?.stop();
  rmSync(authDir, { recursive: true, force: true });
});

const rows = (out: string) => out.trimEnd().split('\n');

compatSuite('search', (s) => {
  s.test('columns, --limit, --format, --no-trunc', async (tgt) => {
    const r = await tgt.ok(['search', `${plain.host}/app`]);
    const lines = rows(r.stdout);
    assert.match(lines[0]!, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL$/);
    assert.deepEqual(lines.slice(1).map((l) => l.trim().split(/\s+/)), [['team/app', '0'], ['team/application', '0'], ['zeta/app', '0']]);
    const two = await tgt.ok(['search', '--limit', '2', '--format', '{{.Name}}', `${plain.host}/app`]);
    assert.equal(two.stdout, 'team/app\nteam/application\n');
    const one = await tgt.ok(['search', '--format', '{{json .}}', `${plain.host}/grep`]);
    assert.equal(one.stdout, '{"Description":"","IsOfficial":"false","Name":"tools/grep","StarCount":"0"}\n');
    const fields = await tgt.ok(['search', '--no-trunc', '--format', '{{.Name}}|{{.StarCount}}|{{.IsOfficial}}|{{.Description}}', `${plain.host}/tools/gr`]);
    assert.equal(fields.stdout, 'tools/grep|0||\n');
    const table = await tgt.ok(['search', '--format', 'table {{.Name}}\t{{.StarCount}}', `${plain.host}/zeta`]);
    assert.equal(table.stdout, 'NAME       STARS\nzeta/app   0\n');
    const none = await tgt.ok(['search', `${plain.host}/nothing-like-this`]);
    assert.match(none.stdout, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL\n$/);
  });

  s.test('filters and limits: results filtered, bad ones refused with dockerd\'s words', async (tgt) => {
    const official = await tgt.ok(['search', '--filter', 'is-official=false', '--format', '{{.Name}}', `${plain.host}/team`]);
    assert.equal(official.stdout, 'team/app\nteam/application\n');
    assert.equal((await tgt.ok(['search', '--filter', 'is-official=true', '--format', '{{.Name}}', `${plain.host}/team`])).stdout, '');
    assert.equal((await tgt.ok(['search', '--filter', 'stars=1', '--format', '{{.Name}}', `${plain.host}/team`])).stdout, '');
    assert.equal((await tgt.ok(['search', '--filter', 'stars=0', '--format', '{{.Name}}', `${plain.host}/grep`])).stdout, 'tools/grep\n');
    const bogus = await tgt.fails(['search', '--filter', 'bogus=1', `${plain.host}/app`], 1);
    assert.match(bogus.stderr, /Error response from daemon: Invalid filter 'bogus'/);
    const stars = await tgt.fails(['search', '--filter', 'stars=abc', `${plain.host}/app`], 1);
    assert.match(stars.stderr, /Invalid filter 'stars=abc'/);
    const maybe = await tgt.fails(['search', '--filter', 'is-official=maybe', `${plain.host}/app`], 1);
    assert.match(maybe.stderr, /Invalid filter 'is-official=\[maybe\]'/);
    const limit = await tgt.fails(['search', '--limit', '101', `${plain.host}/app`], 1);
    assert.match(limit.stderr, /Limit 101 is outside the range of \[1, 100\]/);
  });

  s.test('a registry with Basic auth: searched after docker login', async (tgt) => {
    await tgt.ok(['login', '-u', 'ci', '--password-stdin', basic.host], { input: 'pa55word\n' });
    try {
      const r = await tgt.ok(['search', '--format', '{{.Name}}', `${basic.host}/app`]);
      assert.equal(r.stdout, 'team/app\nteam/application\nzeta/app\n');
    } finally {
      await tgt.ok(['logout', basic.host]);
    }
  });

  s.test('a registry without the v1 search API is searched through its catalog (berthd only)', async (tgt, t) => {
    if (!reference) { t.skip('docker-registry is not installed (scripts/setup.sh --dev)'); return; }
    const r = await tgt.ok(['search', '--format', '{{.Name}}', `${reference.host}/app`]);
    assert.equal(r.stdout, 'team/app\nteam/application\nzeta/app\n');
    const two = await tgt.ok(['search', '--limit', '1', '--format', '{{.Name}}', `${reference.host}/app`]);
    assert.equal(two.stdout, 'team/app\n');
  }, { only: 'berthd' });
});
