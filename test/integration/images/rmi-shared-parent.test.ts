// docker rmi of a built image whose untagged parent another image still
// builds on: dockerd 20.10 answers 200 (the tag and the image go, the parent
// stays for its other child, quietly). berthd used to delete the image and
// then answer 409 "image has dependent child images" for the parent, and the
// removed image's config and manifest blobs stayed in the content store (the
// kill -9 loop found them). Checked against a private dockerd 20.10 first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { apiRequest } from '../../helpers/api.ts';
import { tarOf } from '../../../stress/kill9-workload.ts';

function build(socket: string, tag: string, ctx: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method: 'POST', path: `/build?t=${encodeURIComponent(tag)}&rm=1`, agent: false,
      headers: { 'content-type': 'application/x-tar', 'content-length': ctx.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(ctx);
  });
}

test('rmi of an image whose untagged parent has another child: 200, and its blobs go', { skip: skipUnlessRoot(), timeout: 120_000 }, async () => {
  const d = await startBerthd();
  try {
    const blobs = () => new Set(readdirSync(join(d.dataRoot, 'content/blobs/sha256')));
    const before = blobs();
    const ctx = (run: string) => tarOf({ Dockerfile: `FROM busybox\nCOPY f /f\nRUN echo ${run} > /r\n`, f: 'shared\n' });
    for (const [tag, run] of [['a:1', 'a'], ['b:1', 'b']] as const) {
      const r = await build(d.socket, tag, await ctx(run));
      assert.equal(r.status, 200, r.body);
      assert.doesNotMatch(r.body, /errorDetail/, r.body);
    }
    const inspect = async (ref: string) => JSON.parse((await apiRequest(d.socket, 'GET', `/images/${ref}/json`)).body) as { Id: string; Parent: string };
    const a = await inspect('a:1');
    const b = await inspect('b:1');
    assert.equal(a.Parent, b.Parent, 'both built on the same COPY step');

    const ra = await apiRequest(d.socket, 'DELETE', '/images/a:1');
    assert.equal(ra.status, 200, ra.body);
    const recs = JSON.parse(ra.body) as Array<{ Untagged?: string; Deleted?: string }>;
    assert.deepEqual(recs.slice(0, 2), [{ Untagged: 'a:1' }, { Deleted: a.Id }]);
    assert.ok(!recs.some((x) => x.Deleted === a.Parent), 'the shared parent stays');
    assert.equal((await apiRequest(d.socket, 'GET', `/images/${a.Parent}/json`)).status, 200);
    assert.ok(!blobs().has(a.Id.slice(7)), "a's config blob went with it");

    const rb = await apiRequest(d.socket, 'DELETE', '/images/b:1');
    assert.equal(rb.status, 200, rb.body);
    assert.ok((JSON.parse(rb.body) as Array<{ Deleted?: string }>).some((x) => x.Deleted === b.Parent), 'the parent goes with its last child');
    assert.deepEqual([...blobs()].sort(), [...before].sort(), 'only the base image blobs are left');
  } finally {
    await d.cleanup();
  }
});
