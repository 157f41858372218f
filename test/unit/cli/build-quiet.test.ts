// `berth build -q` of a folder (read in place by the daemon, nothing sent):
// one POST /build whose answer is read whole, printed as docker prints it.
// The start-cost test checks it loads no node:http.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeDaemon } from './fake-daemon.ts';
import { berth } from './helpers.ts';

const ID = `sha256:${'ab'.repeat(32)}`;

async function setup(t: { after(fn: () => unknown): void }, answer: string): Promise<{ d: FakeDaemon; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-build-q-'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
  const d = new FakeDaemon();
  d.on('POST', /^\/build$/, () => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: answer }));
  await d.start();
  t.after(async () => {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { d, dir };
}

test('build -q of a folder: one POST with the folder named, the ID printed', async (t) => {
  const { d, dir } = await setup(t, `{"stream":"${ID}\\n"}\r\n{"aux":{"ID":"${ID}"}}\r\n`);
  const r = await berth(['-H', d.host, 'build', '-q', '-t', 'x:1', '--build-arg', 'A=b', dir]);
  assert.deepEqual(r, { code: 0, stdout: `${ID}\n`, stderr: '' });
  const req = d.requests.filter((q) => q.path === '/build');
  assert.equal(req.length, 1);
  assert.equal(req[0].method, 'POST');
  assert.equal(req[0].query.get('contextdir'), dir);
  assert.equal(req[0].query.get('q'), '1');
  assert.equal(req[0].query.get('t'), 'x:1');
  assert.equal(req[0].query.get('buildargs'), '{"A":"b"}');
  assert.equal(req[0].body.length, 0);
  assert.equal(req[0].headers['content-type'], undefined, 'no tar sent');
});

test('build -q of a folder: an error in the messages is the exit status and message', async (t) => {
  const { d, dir } = await setup(t, '{"errorDetail":{"code":3,"message":"dockerfile line 1: boom"},"error":"dockerfile line 1: boom"}\r\n');
  assert.deepEqual(await berth(['-H', d.host, 'build', '-q', dir]), { code: 3, stdout: '', stderr: 'dockerfile line 1: boom\n' });
});

test('build -q of a folder: an answer cut short is an error', async (t) => {
  const { d, dir } = await setup(t, `{"aux":{"ID":"${ID}"}`);
  const r = await berth(['-H', d.host, 'build', '-q', dir]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'unexpected EOF\n');
});
