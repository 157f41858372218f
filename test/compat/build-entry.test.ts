// Build entry points other than a folder: a context tar or a lone
// Dockerfile on stdin (`build -`), --iidfile, a tarball URL as the API's
// remote (served on 127.0.0.1), berth build from a tarball file, and
// docker-compose's build: section (Debian's docker-compose, through
// docker-py, against the daemon).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { compatSuite, type CompatTarget } from './target.ts';
import { BERTH, run } from '../helpers/daemon.ts';
import { apiRequest } from '../helpers/api.ts';

const COMPOSE = '/usr/bin/docker-compose';

function context(tgt: CompatTarget, name: string, files: Record<string, string>): string {
  const dir = tgt.tmpDir(name);
  for (const [p, body] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), body);
  }
  return dir;
}

function tarOf(dir: string): Buffer {
  return execFileSync('tar', ['-C', dir, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
}

const env = (tgt: CompatTarget) => ({ ...process.env, ...tgt.daemon.env, DOCKER_BUILDKIT: '0' });

compatSuite('build: entry points', (s) => {
  s.test('build - with a context tar or a lone Dockerfile on stdin, and --iidfile', async (tgt) => {
    const dir = context(tgt, 'stdin', { 'Dockerfile': 'FROM busybox\nCOPY a.txt /a.txt\nCMD ["cat", "/a.txt"]\n', 'a.txt': 'from-tar\n' });
    const iid = join(dir, '..', 'iid');
    let r = await tgt.docker(['build', '-t', 'stdin:tar', '--iidfile', iid, '-'], { env: env(tgt), input: tarOf(dir) });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((await tgt.ok(['run', '--rm', 'stdin:tar'])).stdout, 'from-tar\n');
    const id = readFileSync(iid, 'utf8');
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'stdin:tar'])).stdout.trim(), id);
    // A lone Dockerfile: no context, so a COPY has nothing to copy.
    r = await tgt.docker(['build', '-t', 'stdin:df', '-'], { env: env(tgt), input: 'FROM busybox\nRUN echo lone > /lone\n' });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((await tgt.ok(['run', '--rm', 'stdin:df', 'cat', '/lone'])).stdout, 'lone\n');
    r = await tgt.docker(['build', '-'], { env: env(tgt), input: 'FROM busybox\nCOPY a.txt /\n' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /a\.txt: (file does not exist|no such file or directory)/);
    // -f names a Dockerfile inside the tar.
    const alt = context(tgt, 'stdin-f', { 'build/Alt.df': 'FROM busybox\nCMD ["echo", "alt"]\n' });
    r = await tgt.docker(['build', '-f', 'build/Alt.df', '-t', 'stdin:alt', '-'], { env: env(tgt), input: tarOf(alt) });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((await tgt.ok(['run', '--rm', 'stdin:alt'])).stdout, 'alt\n');
  });

  s.test('berth build: stdin, a tarball file, --iidfile, -q', async (tgt) => {
    const dir = context(tgt, 'berth-entry', { 'Dockerfile': 'FROM busybox\nCOPY a.txt /a.txt\n', 'a.txt': 'berth-tar\n' });
    const tar = join(dir, '..', 'ctx.tar');
    writeFileSync(tar, tarOf(dir));
    const berth = (args: string[], input?: string | Buffer) => run(BERTH, args, { env: env(tgt), cwd: join(dir, '..'), ...(input !== undefined ? { input } : {}), timeout: 120_000 });
    let r = await berth(['build', '-q', '--iidfile', 'iid1', '-t', 'bt:file', 'ctx.tar']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const id = readFileSync(join(dir, '..', 'iid1'), 'utf8');
    assert.equal(r.stdout, `${id}\n`);
    assert.equal((await tgt.ok(['run', '--rm', 'bt:file', 'cat', '/a.txt'])).stdout, 'berth-tar\n');
    r = await berth(['build', '-t', 'bt:stdin', '-'], readFileSync(tar));
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^Sending build context to Docker daemon {2}\d+(\.\d+)?kB\n/);
    assert.match(r.stdout, /Successfully tagged bt:stdin\n$/);
    r = await berth(['build', '-t', 'bt:df', '-'], 'FROM busybox\nRUN echo df > /df\n');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((await tgt.ok(['run', '--rm', 'bt:df', 'cat', '/df'])).stdout, 'df\n');
    r = await berth(['build', 'nosuch.tar']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unable to prepare context: path "nosuch.tar" not found/);
  }, { only: 'berthd' });

  s.test('remote: a context tarball (or a lone Dockerfile) at a URL, fetched by the daemon', async (tgt) => {
    const dir = context(tgt, 'remote', { 'Dockerfile': 'FROM busybox\nCOPY r.txt /r.txt\n', 'r.txt': 'remote-tar\n' });
    const tar = tarOf(dir);
    const server = createServer((req, res) => {
      if (req.url === '/ctx.tar') { res.writeHead(200, { 'Content-Type': 'application/x-tar' }); res.end(tar); return; }
      if (req.url === '/Dockerfile') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('FROM busybox\nRUN echo remote-df > /r.txt\n'); return; }
      res.writeHead(404);
      res.end('no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      let r = await apiRequest(tgt.daemon.socket, 'POST', `/build?t=remote:tar&remote=${encodeURIComponent(`${base}/ctx.tar`)}`, { timeout: 120_000 });
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /Successfully tagged remote:tar/);
      assert.equal((await tgt.ok(['run', '--rm', 'remote:tar', 'cat', '/r.txt'])).stdout, 'remote-tar\n');
      r = await apiRequest(tgt.daemon.socket, 'POST', `/build?t=remote:df&remote=${encodeURIComponent(`${base}/Dockerfile`)}`, { timeout: 120_000 });
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /Successfully tagged remote:df/, r.body);
      assert.equal((await tgt.ok(['run', '--rm', 'remote:df', 'cat', '/r.txt'])).stdout, 'remote-df\n');
      r = await apiRequest(tgt.daemon.socket, 'POST', `/build?remote=${encodeURIComponent(`${base}/missing.tar`)}`, { timeout: 120_000 });
      assert.equal(r.status, 404, r.body);
      assert.match(r.body, /error downloading remote context http:\/\/127\.0\.0\.1:\d+\/missing\.tar: failed to GET http:\/\/127\.0\.0\.1:\d+\/missing\.tar with status 404 Not Found: no/);
      // The docker CLI fetches an http URL itself and sends the tar.
      const cli = await tgt.docker(['build', '-t', 'remote:cli', `${base}/ctx.tar`], { env: env(tgt) });
      assert.equal(cli.code, 0, cli.stderr + cli.stdout);
      assert.equal((await tgt.ok(['run', '--rm', 'remote:cli', 'cat', '/r.txt'])).stdout, 'remote-tar\n');
    } finally {
      server.close();
    }
  });

  s.test('docker-compose: a build: section is built, tagged and run by up', async (tgt, t) => {
    if (!existsSync(COMPOSE)) return t.skip(`${COMPOSE} is not installed (Debian docker-compose)`);
    const dir = context(tgt, 'compose', {
      'docker-compose.yml': [
        'version: "3"', 'services:', '  app:', '    build:', '      context: ./app', '      dockerfile: App.df',
        '      args:', '        GREETING: composed', '    image: composebuilt:1',
        '    command: cat /greeting',
      ].join('\n') + '\n',
      'app/App.df': 'FROM busybox\nARG GREETING=none\nRUN echo "$GREETING" > /greeting\n',
    });
    const compose = (...args: string[]) => run(COMPOSE, ['-p', 'btbuild', ...args], { env: env(tgt), cwd: dir, timeout: 180_000 });
    try {
      let r = await compose('build');
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.equal((await tgt.ok(['run', '--rm', 'composebuilt:1', 'cat', '/greeting'])).stdout, 'composed\n');
      r = await compose('up', '--no-color');
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /app_1 +\| composed/);
    } finally {
      await compose('down', '-t', '1');
    }
  }, { timeout: 300_000 });
});
