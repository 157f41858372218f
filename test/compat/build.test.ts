// docker build (the classic builder, DOCKER_BUILDKIT=0) against the daemon:
// a corpus of Dockerfiles, each built and then run to check the files and
// the config it produced; the cache; multi-stage builds; and bad input.
// Heredocs and RUN --mount are BuildKit syntax the classic builder of
// dockerd refuses, so those tests are berthd-only.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { compatSuite, lines, type CompatTarget } from './target.ts';
import { startBerthRegistry } from '../helpers/registry.ts';
import { startGitServer } from '../helpers/git-server.ts';
import { apiRequest } from '../helpers/api.ts';

const CLASSIC = { env: { DOCKER_BUILDKIT: '0' } };

function context(tgt: CompatTarget, name: string, files: Record<string, string>): string {
  const dir = tgt.tmpDir(name);
  for (const [p, body] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), body);
  }
  return dir;
}

async function build(tgt: CompatTarget, dir: string, args: string[] = []) {
  return tgt.docker(['build', ...args, dir], { ...CLASSIC, env: { ...process.env, ...tgt.daemon.env, DOCKER_BUILDKIT: '0' } });
}

async function inspect(tgt: CompatTarget, ref: string, fmt: string): Promise<string> {
  return (await tgt.ok(['image', 'inspect', '-f', fmt, ref])).stdout.trim();
}

compatSuite('build', (s) => {
  s.test('instructions: files and config of the image', async (tgt) => {
    const dir = context(tgt, 'basic', {
      'Dockerfile': [
        'FROM busybox',
        'ARG WHO=world',
        'ENV GREETING="hello ${WHO}" EMPTY= ALT=${UNSET:-dflt} PLUS=${WHO:+set}',
        'LABEL org.example.a=1 "b c"="two words"',
        'COPY a.txt /app/',
        'COPY dir/ /app/dir/',
        'ADD arch.tar /unpacked/',
        'COPY --chown=1:2 a.txt /owned.txt',
        'WORKDIR /app',
        'WORKDIR sub',
        'RUN echo "built $WHO" > built.txt && pwd > /pwd.txt',
        'USER daemon',
        'EXPOSE 8080 53/udp',
        'VOLUME /data',
        'STOPSIGNAL SIGINT',
        'HEALTHCHECK --interval=5s --retries=2 CMD ["true"]',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["cat /app/sub/built.txt"]',
      ].join('\n'),
      'a.txt': 'A\n',
      'dir/x/y.txt': 'Y\n',
      'ignored.md': 'no\n',
      '.dockerignore': '*.md\n',
    });
    // A tar for ADD to extract.
    const src = context(tgt, 'tarsrc', { 'in/t.txt': 'T\n' });
    await tgt.ok(['run', '--rm', '-v', `${src}:/s`, '-v', `${dir}:/o`, 'busybox', 'tar', '-C', '/s', '-cf', '/o/arch.tar', 'in']);
    const r = await build(tgt, dir, ['-t', 'basic:1', '--build-arg', 'WHO=you']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Step 1\/18 : FROM busybox\n/);
    assert.match(r.stdout, /Successfully tagged basic:1\n/);
    assert.equal((await tgt.ok(['run', '--rm', 'basic:1'])).stdout, 'built you\n');
    const fsCheck = await tgt.ok(['run', '--rm', '--entrypoint', 'sh', 'basic:1', '-c',
      'cat /app/a.txt /app/dir/x/y.txt /unpacked/in/t.txt /pwd.txt; stat -c "%u:%g" /owned.txt; ls /app; id -un; echo $GREETING/$EMPTY/$ALT/$PLUS']);
    assert.equal(fsCheck.stdout, 'A\nY\nT\n/app/sub\n1:2\na.txt\ndir\nsub\ndaemon\nhello you//dflt/set\n');
    assert.equal(await inspect(tgt, 'basic:1', '{{json .Config.ExposedPorts}} {{json .Config.Volumes}} {{.Config.StopSignal}} {{.Config.WorkingDir}} {{.Config.User}}'),
      '{"53/udp":{},"8080/tcp":{}} {"/data":{}} SIGINT /app/sub daemon');
    assert.equal(await inspect(tgt, 'basic:1', '{{json .Config.Labels}} {{json .Config.Entrypoint}} {{json .Config.Cmd}}'),
      '{"b c":"two words","org.example.a":"1"} ["/bin/sh","-c"] ["cat /app/sub/built.txt"]');
    assert.equal(await inspect(tgt, 'basic:1', '{{json .Config.Healthcheck}}'), '{"Test":["CMD","true"],"Interval":5000000000,"Retries":2}');
    const hist = lines((await tgt.ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'basic:1'])).stdout);
    assert.ok(hist.some((h) => h.startsWith('|1 WHO=you /bin/sh -c echo "built $WHO" > built.txt')), hist.join('\n'));
    assert.ok(hist.some((h) => /^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/app\/ /.test(h)), hist.join('\n'));
    assert.ok(hist.some((h) => h === '/bin/sh -c #(nop)  USER daemon|0B'), hist.join('\n'));
    assert.ok(hist.some((h) => h === '/bin/sh -c #(nop)  ARG WHO=world|0B'), `ARG is a config-only step with the Dockerfile's value:\n${hist.join('\n')}`);
  });

  s.test('cache: a rebuild uses it, a changed file invalidates from its step, --no-cache ignores it', async (tgt) => {
    const dir = context(tgt, 'cache', { 'Dockerfile': 'FROM busybox\nCOPY f /f\nRUN cat /f > /g\nCMD ["cat", "/g"]\n', 'f': 'one\n' });
    const first = await build(tgt, dir, ['-t', 'cache:1']);
    assert.equal(first.code, 0, first.stderr);
    const id1 = await inspect(tgt, 'cache:1', '{{.Id}}');
    const layers = await inspect(tgt, 'cache:1', '{{len .RootFS.Layers}}');
    const again = await build(tgt, dir, ['-t', 'cache:1']);
    assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 3);
    assert.equal(await inspect(tgt, 'cache:1', '{{.Id}}'), id1);
    assert.equal(await inspect(tgt, 'cache:1', '{{len .RootFS.Layers}}'), layers);
    writeFileSync(join(dir, 'f'), 'two\n');
    const changed = await build(tgt, dir, ['-t', 'cache:2']);
    assert.equal((changed.stdout.match(/Using cache/g) ?? []).length, 0);
    assert.equal((await tgt.ok(['run', '--rm', 'cache:2'])).stdout, 'two\n');
    const nocache = await build(tgt, dir, ['--no-cache', '-t', 'cache:3']);
    assert.equal(nocache.stdout.includes('Using cache'), false);
  });

  // berthd keeps the last uploads and links a large file from them when every byte is the same
  // (src/builder/context-reuse.ts): the cases where only the bytes tell the upload from the kept one.
  s.test('cache with large files: other bytes of the same size and mtime miss and reach the image; a mode change misses; two contexts in turn', async (tgt) => {
    const t0 = new Date('2024-01-02T03:04:05Z');
    const big = randomBytes(300_000);
    const make = (name: string, data: Buffer, extra: Record<string, string> = {}) => {
      const dir = context(tgt, name, { 'Dockerfile': 'FROM busybox\nCOPY big /big\nRUN sha256sum /big > /sum\n', ...extra });
      writeFileSync(join(dir, 'big'), data);
      utimesSync(join(dir, 'big'), t0, t0);
      return dir;
    };
    const sum = async (ref: string) => (await tgt.ok(['run', '--rm', ref, 'cat', '/sum'])).stdout.split(' ')[0];
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const dir = make('bigcache', big);
    assert.equal((await build(tgt, dir, ['-t', 'bigc:1'])).code, 0);
    assert.equal(((await build(tgt, dir, ['-t', 'bigc:1'])).stdout.match(/Using cache/g) ?? []).length, 2);
    // Same size, same mtime, same mode: one byte differs.
    const changed = Buffer.from(big);
    changed[150_000] ^= 0xff;
    writeFileSync(join(dir, 'big'), changed);
    utimesSync(join(dir, 'big'), t0, t0);
    const r2 = await build(tgt, dir, ['-t', 'bigc:2']);
    assert.equal((r2.stdout.match(/Using cache/g) ?? []).length, 0, r2.stdout);
    assert.equal(await sum('bigc:2'), sha(changed));
    chmodSync(join(dir, 'big'), 0o755);
    const r3 = await build(tgt, dir, ['-t', 'bigc:3']);
    assert.equal((r3.stdout.match(/Using cache/g) ?? []).length, 0, r3.stdout);
    assert.equal((await tgt.ok(['run', '--rm', 'bigc:3', 'stat', '-c', '%a', '/big'])).stdout.trim(), '755');
    // Another context: the same name, size, mode and mtime, other bytes; built in turn with the first.
    const other = randomBytes(300_000);
    const dir2 = make('bigcache2', other);
    chmodSync(join(dir2, 'big'), 0o755);
    for (let i = 0; i < 2; i++) {
      assert.equal((await build(tgt, dir, ['-t', 'bigc:a'])).code, 0);
      assert.equal(await sum('bigc:a'), sha(changed), `round ${i}: the first context`);
      assert.equal((await build(tgt, dir2, ['-t', 'bigc:b'])).code, 0);
      assert.equal(await sum('bigc:b'), sha(other), `round ${i}: the second context`);
    }
  });

  s.test('multi-stage: --target, COPY --from a stage and an image, unused stages skipped', async (tgt) => {
    const dir = context(tgt, 'multi', {
      'Dockerfile': [
        'FROM busybox AS base', 'RUN echo base > /base.txt',
        'FROM base AS builder', 'RUN echo built > /out.txt',
        'FROM busybox AS unused', 'RUN echo should-not-run',
        'FROM scratch', 'COPY --from=builder /out.txt /base.txt /', 'COPY --from=busybox /bin/busybox /busybox',
        'CMD ["/busybox", "cat", "/out.txt", "/base.txt"]',
      ].join('\n'),
    });
    const r = await build(tgt, dir, ['-t', 'multi:1']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    // dockerd's classic builder runs every stage; berth skips what the target does not need (as BuildKit does).
    if (tgt.name === 'berthd') assert.equal(r.stdout.includes('should-not-run'), false, 'the unused stage is skipped');
    assert.equal((await tgt.ok(['run', '--rm', 'multi:1'])).stdout, 'built\nbase\n');
    const t = await build(tgt, dir, ['--target', 'base', '-t', 'multi:base']);
    assert.equal(t.code, 0, t.stderr);
    assert.equal((await tgt.ok(['run', '--rm', 'multi:base', 'cat', '/base.txt'])).stdout, 'base\n');
  });

  s.test('ADD from a URL served on loopback', async (tgt) => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
      res.end(`served ${req.url}\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as { port: number }).port;
      const dir = context(tgt, 'url', { 'Dockerfile': `FROM busybox\nADD http://127.0.0.1:${port}/file.txt /dl/\n` });
      const r = await build(tgt, dir, ['-t', 'url:1', '--network', 'host']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const out = await tgt.ok(['run', '--rm', 'url:1', 'sh', '-c', 'cat /dl/file.txt; stat -c %a /dl/file.txt']);
      assert.equal(out.stdout, 'served /file.txt\n600\n');
    } finally {
      server.close();
    }
  });

  s.test('bad input: clear errors, nothing left behind', async (tgt) => {
    const before = (await tgt.ok(['images', '-q'])).stdout;
    const unknown = await build(tgt, context(tgt, 'bad1', { Dockerfile: 'FROM busybox\n\nFOO bar\n' }));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /line 3: unknown instruction: FOO/i);
    const missing = await build(tgt, context(tgt, 'bad2', { Dockerfile: 'FROM busybox\nCOPY nope /x\n' }));
    assert.notEqual(missing.code, 0);
    assert.match(missing.stdout + missing.stderr, /nope.*(no such file|not found|does not exist)/i);
    const excluded = await build(tgt, context(tgt, 'bad3', { Dockerfile: 'FROM busybox\nCOPY secret.key /x\n', 'secret.key': 'k', '.dockerignore': '*.key\n' }));
    assert.notEqual(excluded.code, 0);
    const outside = await build(tgt, context(tgt, 'bad4', { Dockerfile: 'FROM busybox\nCOPY ../x /x\n' }));
    assert.notEqual(outside.code, 0);
    assert.match(outside.stdout + outside.stderr, /outside the build context|no such file|not found/i);
    const target = await build(tgt, context(tgt, 'bad5', { Dockerfile: 'FROM busybox AS a\n' }), ['--target', 'nosuch']);
    assert.equal(target.code, 1);
    assert.match(target.stderr, /failed to reach build target nosuch in Dockerfile/);
    const failing = await build(tgt, context(tgt, 'bad6', { Dockerfile: 'FROM busybox\nRUN echo visible-output; exit 7\n' }), ['-t', 'never:1']);
    assert.equal(failing.code, 7);
    assert.match(failing.stdout, /visible-output/);
    assert.match(failing.stderr, /The command '\/bin\/sh -c echo visible-output; exit 7' returned a non-zero code: 7/);
    assert.equal((await tgt.docker(['image', 'inspect', 'never:1'])).code, 1, 'nothing tagged');
    // dockerd keeps the failed step's container unless --force-rm; berth removes it (nothing left behind).
    if (tgt.name === 'berthd') assert.equal((await tgt.ok(['ps', '-aq'])).stdout, '', 'no container left');
    // A symlink in the context that points out of it is followed inside the context only.
    const linkDir = context(tgt, 'bad7', { Dockerfile: 'FROM busybox\nCOPY link /x\n' });
    symlinkSync('/etc/passwd', join(linkDir, 'link'));
    const link = await build(tgt, linkDir, ['-t', 'link:1']);
    if (link.code === 0) {
      const seen = await tgt.ok(['run', '--rm', 'link:1', 'cat', '/x']);
      assert.equal(seen.stdout.includes('root:x:0:0'), false, 'a host file never enters the image');
    }
    void before;
  });

  s.test('berth-only syntax: heredocs, RUN --mount=type=cache, COPY --exclude and --chmod', async (tgt) => {
    const dir = context(tgt, 'here', {
      'Dockerfile': [
        'FROM busybox', 'ARG V=val',
        'RUN <<EOF', 'echo one > /h1', 'echo $V > /h2', 'EOF',
        'COPY <<EOF /conf.txt', 'v=$V', 'EOF',
        'RUN --mount=type=cache,target=/cache echo x >> /cache/n && wc -l < /cache/n > /count',
        'COPY --exclude=*.log src/ /src/',
        'COPY --chmod=640 src/a.txt /mode.txt',
      ].join('\n'),
      'src/a.txt': 'a', 'src/b.log': 'b',
    });
    const r = await build(tgt, dir, ['-t', 'here:1']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = await tgt.ok(['run', '--rm', 'here:1', 'sh', '-c', 'cat /h1 /h2 /conf.txt /count; ls /src; test -e /cache/n || echo no-cache-in-image; stat -c %a /mode.txt']);
    assert.equal(out.stdout, 'one\nval\nv=val\n1\na.txt\nno-cache-in-image\n640\n');
    const again = await build(tgt, dir, ['--no-cache', '-t', 'here:2']);
    assert.equal(again.code, 0);
    assert.equal((await tgt.ok(['run', '--rm', 'here:2', 'cat', '/count'])).stdout, '2\n', 'the cache mount persists between builds');
  }, { only: 'berthd' });

  s.test('COPY --parents (labs syntax): sources keep their paths, after a /./ pivot when there is one', async (tgt) => {
    const dir = context(tgt, 'parents', {
      'Dockerfile': [
        'FROM busybox',
        'COPY ./x/a.txt ./y/a.txt /no_parents/',
        'COPY --parents ./x/a.txt ./y/a.txt /parents/',
        'COPY --parents */b.txt /glob/',
        'COPY --parents ./x/./sub/*.txt /pivot/',
        'COPY --parents x/sub /dirs',
      ].join('\n'),
      'x/a.txt': 'xa', 'y/a.txt': 'ya', 'x/b.txt': 'xb', 'y/b.txt': 'yb', 'x/sub/c.txt': 'c',
    });
    const r = await build(tgt, dir, ['-t', 'parents:1']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = await tgt.ok(['run', '--rm', 'parents:1', 'sh', '-c', 'cd / && find no_parents parents glob pivot dirs -type f | sort']);
    assert.equal(out.stdout, 'dirs/x/sub/c.txt\nglob/x/b.txt\nglob/y/b.txt\nno_parents/a.txt\nparents/x/a.txt\nparents/y/a.txt\npivot/sub/c.txt\n');
  }, { only: 'berthd' });

  s.test('--cache-from: steps of a pulled image (no local build cache) are reused, others are not', async (tgt) => {
    const reg = await startBerthRegistry();
    try {
      const name = `${reg.host}/build/cached:1`;
      const df = 'FROM busybox\nENV A=1\nCOPY f /f\nRUN cat /f > /g\nCMD ["cat", "/g"]\n';
      const dir = context(tgt, 'cfrom', { 'Dockerfile': df, 'f': 'cached\n' });
      assert.equal((await build(tgt, dir, ['-t', name])).code, 0);
      const id = await inspect(tgt, name, '{{.Id}}');
      await tgt.ok(['push', name]);
      await tgt.ok(['rmi', name]);
      // Nothing of that build is left locally (dockerd's cache is the removed image chain; berthd's has its own table).
      if (tgt.name === 'berthd') await tgt.ok(['builder', 'prune', '-f']);
      await tgt.ok(['pull', name]);
      const without = await build(tgt, dir, ['-t', 'cfrom:none']);
      assert.equal(without.code, 0, without.stderr);
      assert.equal((without.stdout.match(/Using cache/g) ?? []).length, 0, without.stdout);
      await tgt.ok(['rmi', 'cfrom:none']);
      if (tgt.name === 'berthd') await tgt.ok(['builder', 'prune', '-f']);
      const withIt = await build(tgt, dir, ['--cache-from', name, '--cache-from', 'nosuch:image', '-t', 'cfrom:1']);
      assert.equal(withIt.code, 0, withIt.stderr + withIt.stdout);
      assert.equal((withIt.stdout.match(/Using cache/g) ?? []).length, 4, withIt.stdout);
      assert.equal(await inspect(tgt, 'cfrom:1', '{{.Id}}'), id, 'the last step is the source image itself');
      assert.equal((await tgt.ok(['run', '--rm', 'cfrom:1'])).stdout, 'cached\n');
      // A changed file: the steps before it still come from the source, the rest run.
      writeFileSync(join(dir, 'f'), 'changed\n');
      const changed = await build(tgt, dir, ['--cache-from', name, '-t', 'cfrom:2']);
      assert.equal(changed.code, 0, changed.stderr);
      assert.equal((changed.stdout.match(/Using cache/g) ?? []).length, 1, changed.stdout);
      assert.equal((await tgt.ok(['run', '--rm', 'cfrom:2'])).stdout, 'changed\n');
    } finally {
      await reg.stop();
    }
  });

  s.test('git URL contexts: #ref:dir of a repository served on loopback, by the CLI and as the API\'s remote', async (tgt) => {
    const g = await startGitServer(tgt.tmpDir('git'), {
      master: { 'Dockerfile': 'FROM busybox\nCOPY which /which\n', 'which': 'master\n' },
      feature: { 'sub/Dockerfile': 'FROM busybox\nCOPY . /ctx/\nCMD ["cat", "/ctx/which"]\n', 'sub/which': 'feature-sub\n', 'top': 'outside sub\n' },
    });
    try {
      const r = await build(tgt, `${g.url}#feature:sub`, ['-t', 'git:1']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.equal((await tgt.ok(['run', '--rm', 'git:1'])).stdout, 'feature-sub\n');
      assert.equal((await tgt.ok(['run', '--rm', 'git:1', 'ls', '/ctx'])).stdout, 'Dockerfile\nwhich\n', 'only the subdir is the context');
      const dflt = await build(tgt, g.url, ['-t', 'git:2']);
      assert.equal(dflt.code, 0, dflt.stderr + dflt.stdout);
      assert.equal((await tgt.ok(['run', '--rm', 'git:2', 'cat', '/which'])).stdout, 'master\n', 'the ref defaults to master');
      // docker-py (and berth build) send the URL as remote: the daemon clones.
      const api = await apiRequest(tgt.daemon.socket, 'POST', `/build?t=git:api&remote=${encodeURIComponent(`${g.url}#feature:sub`)}`, { timeout: 60_000 });
      assert.equal(api.status, 200, api.body);
      assert.doesNotMatch(api.body, /errorDetail/);
      assert.equal((await tgt.ok(['run', '--rm', 'git:api'])).stdout, 'feature-sub\n');
      const bad = await build(tgt, `${g.url}#nosuch`, ['-t', 'git:bad']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /nosuch/);
      const badDir = await apiRequest(tgt.daemon.socket, 'POST', `/build?remote=${encodeURIComponent(`${g.url}#feature:nodir`)}`, { timeout: 60_000 });
      // dockerd 20.10 answers 500 for this bad input; berthd a 400.
      assert.equal(badDir.status, tgt.name === 'dockerd' ? 500 : 400, badDir.body);
      assert.match(badDir.body, /not a directory|no such file|nodir/i);
    } finally {
      await g.stop();
    }
  });

  s.test('--platform without emulation: checked, local images used as they are, pulls ask for it', async (tgt) => {
    const hostArch = await inspect(tgt, 'busybox', '{{.Architecture}}');
    const dir = context(tgt, 'plat', {
      'Dockerfile': 'FROM busybox\nARG TARGETPLATFORM\nRUN echo "t=$TARGETPLATFORM" > /t\n',
      'Dockerfile.from': 'FROM --platform=linux/arm64 busybox\nRUN true\n',
    });
    const bogus = await build(tgt, dir, ['--platform', 'bogus']);
    assert.equal(bogus.code, 1);
    assert.match(bogus.stderr, /"bogus": unknown operating system or architecture/);
    const bad = await build(tgt, dir, ['--platform', 'linux/a.b']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /"a\.b" is an invalid component of "linux\/a\.b"/);
    const arm = await build(tgt, dir, ['--platform', 'linux/arm64', '-t', 'plat:arm']);
    assert.equal(arm.code, 0, arm.stderr + arm.stdout);
    assert.equal(await inspect(tgt, 'plat:arm', '{{.Architecture}}'), hostArch, 'the local base is used as it is');
    // The classic builder of dockerd leaves TARGETPLATFORM empty; berth sets it as BuildKit does.
    if (tgt.name === 'berthd') assert.equal((await tgt.ok(['run', '--rm', 'plat:arm', 'cat', '/t'])).stdout, 't=linux/arm64\n');
    const from = await build(tgt, dir, ['-f', join(dir, 'Dockerfile.from'), '-t', 'plat:from']);
    assert.equal(from.code, 0, from.stderr + from.stdout);
    // dockerd 20.10's import ignores --platform, so the arm64 image below can only be made on berthd.
    if (tgt.name === 'dockerd') return;
    const reg = await startBerthRegistry();
    try {
      // An arm64 image in a registry (a copy of busybox labelled arm64): the build pulls it for --platform.
      const name = `${reg.host}/build/armbase:1`;
      const src = context(tgt, 'armsrc', { 'f': 'arm\n' });
      await tgt.ok(['run', '--rm', '-v', `${src}:/o`, 'busybox', 'tar', '-C', '/', '-cf', '/o/rootfs.tar', 'bin', 'etc']);
      await tgt.ok(['import', '--platform', 'linux/arm64', join(src, 'rootfs.tar'), name]);
      assert.equal(await inspect(tgt, name, '{{.Architecture}}'), 'arm64');
      await tgt.ok(['push', name]);
      await tgt.ok(['rmi', name]);
      const child = context(tgt, 'armchild', { 'Dockerfile': `FROM ${name}\nLABEL x=1\n` });
      const r = await build(tgt, child, ['--platform', 'linux/arm64', '-t', 'plat:pulled']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.equal(await inspect(tgt, 'plat:pulled', '{{.Os}}/{{.Architecture}}'), 'linux/arm64');
    } finally {
      await reg.stop();
    }
  });

  s.test('history as dockerd writes it: config steps in Go formatting, SHELL in the prefix, WORKDIR a layer when it creates the directory, one step per --label', async (tgt) => {
    const dir = context(tgt, 'hist', {
      Dockerfile: [
        'FROM busybox', 'WORKDIR /tmp', 'WORKDIR rel/x', 'HEALTHCHECK --interval=5s --retries=2 CMD ["true"]', 'HEALTHCHECK NONE',
        'ENTRYPOINT echo "hi"', 'EXPOSE 80 90/udp 100-101', 'COPY --chown=1:2 f ./', 'SHELL ["/bin/sh", "-ec"]', 'USER 1:2', 'CMD ["x"]',
      ].join('\n'),
      f: 'f\n',
    });
    const r = await build(tgt, dir, ['-t', 'hist:1', '--label', 'z=1', '--label', 'lbl=v w']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Step 12\/13 : LABEL lbl=v w\n[^]*Step 13\/13 : LABEL z=1\n/);
    assert.match(r.stdout, /Step 5\/13 : HEALTHCHECK NONE\nNote: overriding previous HEALTHCHECK: \[CMD true\]\n/);
    const hist = lines((await tgt.ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'hist:1'])).stdout).reverse().slice(-12);
    assert.deepEqual(hist.map((h) => h.replace(/file:[0-9a-f]{64}/, 'file:H')), [
      '/bin/sh -c #(nop) WORKDIR /tmp',
      '/bin/sh -c #(nop) WORKDIR /tmp/rel/x',
      `/bin/sh -c #(nop)  HEALTHCHECK &{["CMD" "true"] "5s" "0s" "0s" '\\x02'}`,
      `/bin/sh -c #(nop)  HEALTHCHECK &{["NONE"] "0s" "0s" "0s" '\\x00'}`,
      '/bin/sh -c #(nop)  ENTRYPOINT ["/bin/sh" "-c" "echo \\"hi\\""]',
      '/bin/sh -c #(nop)  EXPOSE 100-101 80 90/udp',
      '/bin/sh -c #(nop) COPY --chown=1:2file:H in ./ ',
      '/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]',
      '/bin/sh -ec #(nop)  USER 1:2',
      '/bin/sh -ec #(nop)  CMD ["x"]',
      '/bin/sh -ec #(nop)  LABEL lbl=v w',
      '/bin/sh -ec #(nop)  LABEL z=1',
    ]);
    // busybox's layer, the directory WORKDIR rel/x made (/tmp already existed: no layer), the COPY.
    const base = Number(await inspect(tgt, 'busybox', '{{len .RootFS.Layers}}'));
    assert.equal(Number(await inspect(tgt, 'hist:1', '{{len .RootFS.Layers}}')), base + 2);
    const out = await tgt.ok(['run', '--rm', '--entrypoint', 'sh', '-u', '0', 'hist:1', '-c', 'stat -c "%U %a" /tmp/rel /tmp/rel/x; pwd']);
    assert.equal(out.stdout, 'root 755\nroot 755\n/tmp/rel/x\n');
    // A stage copying the directory WORKDIR made (it is in the image, not only made by the runtime).
    const from = context(tgt, 'hist2', { Dockerfile: 'FROM busybox AS a\nWORKDIR /made/here\nFROM busybox\nCOPY --from=a /made /made\n' });
    const r2 = await build(tgt, from, ['-t', 'hist:2']);
    assert.equal(r2.code, 0, r2.stderr + r2.stdout);
    assert.equal((await tgt.ok(['run', '--rm', 'hist:2', 'ls', '/made'])).stdout, 'here\n');
  });

  s.test('ARGs before FROM are numbered steps; ARG in a stage is a history entry', async (tgt) => {
    const dir = context(tgt, 'metaarg', { Dockerfile: 'ARG BASE=busybox\nFROM $BASE\nARG A=1 B\nRUN echo $A > /a\n' });
    const r = await build(tgt, dir, ['-t', 'metaarg:1']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Step 1\/4 : ARG BASE=busybox\nStep 2\/4 : FROM \$BASE\n/);
    const hist = lines((await tgt.ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'metaarg:1'])).stdout);
    assert.deepEqual(hist.slice(0, 2), ['|1 A=1 /bin/sh -c echo $A > /a', '/bin/sh -c #(nop)  ARG A=1 B']);
  });

  s.test('FROM an image the store lacks is pulled (and pushed images built here pull back)', async (tgt) => {
    const reg = await startBerthRegistry();
    try {
      const name = `${reg.host}/build/base:1`;
      const base = context(tgt, 'pbase', { Dockerfile: 'FROM busybox\nRUN echo from-registry > /marker\n' });
      assert.equal((await build(tgt, base, ['-t', name])).code, 0);
      await tgt.ok(['push', name]);
      await tgt.ok(['rmi', name]);
      const child = context(tgt, 'pchild', { Dockerfile: `FROM ${name}\nRUN cat /marker > /copied\n` });
      const r = await build(tgt, child, ['-t', 'pulled:1']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.equal((await tgt.ok(['run', '--rm', 'pulled:1', 'cat', '/copied'])).stdout, 'from-registry\n');
      const missing = await build(tgt, context(tgt, 'pmiss', { Dockerfile: `FROM ${reg.host}/build/nosuch:1\n` }));
      assert.notEqual(missing.code, 0);
      assert.match(missing.stdout + missing.stderr, /nosuch/);
    } finally {
      await reg.stop();
    }
  });
});
