// RUN --mount with its options (the Dockerfile reference's, as BuildKit
// implements them: dockerd's classic builder refuses the flag, so these are
// berthd-only), built through berthd by the docker CLI, and build secrets
// through `berth build --secret` (docker's --secret is buildx-only).

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { compatSuite, type CompatTarget } from './target.ts';
import { BERTH, run } from '../helpers/daemon.ts';

function context(tgt: CompatTarget, name: string, files: Record<string, string>): string {
  const dir = tgt.tmpDir(name);
  for (const [p, body] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), body);
  }
  return dir;
}

const docker = (tgt: CompatTarget, args: string[]) => tgt.docker(args, { env: { ...process.env, ...tgt.daemon.env, DOCKER_BUILDKIT: '0' } });

compatSuite('build: RUN --mount and secrets', (s) => {
  s.test('bind, tmpfs and cache mounts with their options', async (tgt) => {
    const dir = context(tgt, 'mounts', {
      'Dockerfile': [
        'FROM busybox AS stage',
        'RUN mkdir -p /out && echo staged > /out/s.txt && chown 7:8 /out/s.txt',
        'FROM busybox',
        'WORKDIR /w',
        'RUN --mount=type=bind,source=src,target=m ls /w/m > /ls1 && cat /w/m/a.txt > /bind1 && (touch /w/m/x 2>/dev/null || echo ro > /bind-ro)',
        'RUN --mount=type=bind,source=src,target=/m,rw touch /m/new && ls /m > /ls2',
        'RUN --mount=type=bind,from=stage,source=/out,target=/st stat -c %u:%g /st/s.txt > /bind-from && cat /st/s.txt >> /bind-from',
        'RUN --mount=type=tmpfs,target=/t,size=1m sh -c \'df -k /t | tail -1 | awk "{print \\$2}" > /tmpfs-size; dd if=/dev/zero of=/t/f bs=1k count=2048 2>/dev/null || echo full >> /tmpfs-size\'',
        'RUN --mount=type=cache,target=/c,id=perm,mode=0750,uid=33,gid=44 stat -c "%a %u:%g" /c > /cache-perm',
        'RUN --mount=type=cache,target=/c2,from=stage,source=/out sh -c \'cat /c2/s.txt > /cache-from; echo more >> /c2/s.txt\'',
        'RUN --mount=type=cache,target=/c3,ro sh -c \'touch /c3/x 2>/dev/null || echo ro > /cache-ro\'',
      ].join('\n'),
      'src/a.txt': 'A1\n', 'src/skip.log': 'no\n', '.dockerignore': 'src/*.log\n',
    });
    let r = await docker(tgt, ['build', '-t', 'mounts:1', dir]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const show = 'cat /ls1 /bind1 /bind-ro /ls2 /bind-from /tmpfs-size /cache-perm /cache-from /cache-ro; ls -d /m /w/m /t /c /c2 /c3 /st 2>/dev/null; true';
    r = await tgt.ok(['run', '--rm', 'mounts:1', 'sh', '-c', show]);
    assert.equal(r.stdout, [
      'a.txt', // .dockerignore'd files are not in the bind
      'A1', 'ro',
      'a.txt', 'new',
      '7:8', 'staged',
      '1024', 'full',
      '750 33:44',
      'staged',
      'ro',
      // (no mount point and nothing written through a mount stays in the image)
    ].join('\n') + '\n');

    // A bind's content is in the step's key: changing a bound file reruns that step (and those after it).
    writeFileSync(join(dir, 'src/a.txt'), 'A2\n');
    r = await docker(tgt, ['build', '-t', 'mounts:2', dir]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((r.stdout.match(/Using cache/g) ?? []).length, 2, r.stdout); // the stage's RUN and WORKDIR
    assert.equal((await tgt.ok(['run', '--rm', 'mounts:2', 'cat', '/bind1', '/cache-from'])).stdout, 'A2\nstaged\nmore\n',
      'the cache seeded from the stage kept what the first build wrote');
    // An ignored file changing is no change; nor is a cache's content.
    writeFileSync(join(dir, 'src/skip.log'), 'still no\n');
    r = await docker(tgt, ['build', '-t', 'mounts:3', dir]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((r.stdout.match(/Using cache/g) ?? []).length, 9, r.stdout);

    const bad: Array<[string, RegExp]> = [
      ['RUN --mount=type=bind,target=/x,mode=0700 true', /mode not allowed for "bind" type mounts/],
      ['RUN --mount=type=cache,target=/x,sharing=sometimes true', /unsupported sharing value "sometimes"/],
      ['RUN --mount=type=bind,source=nope,target=/x true', /mount source "nope" not found in the build context/],
      ['RUN --mount=type=bind,source=src/skip.log,target=/x true', /mount source "src\/skip.log" not found in the build context/],
      ['RUN --mount=type=bind,source=../..,target=/x true', /forbidden path outside the build context/],
      ['RUN --mount=type=cache,target=/x,from=busybox,source=/nope true', /mount source "\/nope" not found in "busybox"/],
      ['RUN --mount=type=bind,target=/x,from=busybox,source=/nope true', /mount source "\/nope" not found in "busybox"/],
    ];
    for (const [line, re] of bad) {
      writeFileSync(join(dir, 'Dockerfile'), `FROM busybox\n${line}\n`);
      r = await docker(tgt, ['build', dir]);
      assert.notEqual(r.code, 0, line);
      assert.match(r.stderr + r.stdout, re, line);
    }
  }, { only: 'berthd', timeout: 300_000 });

  s.test('sharing=locked: two stages built at once use the cache one after the other', async (tgt) => {
    const step = (n: string) => `RUN --mount=type=cache,id=lk,target=/c,sharing=locked sh -c 'echo ${n}-in >> /c/log; sleep 2; echo ${n}-out >> /c/log'`;
    const dir = context(tgt, 'locked', {
      'Dockerfile': [
        'FROM busybox AS a', step('a'), 'FROM busybox AS b', step('b'),
        'FROM busybox', 'COPY --from=a /bin/true /a', 'COPY --from=b /bin/true /b',
        'RUN --mount=type=cache,id=lk,target=/c cp /c/log /log',
      ].join('\n'),
    });
    const r = await docker(tgt, ['build', '-t', 'locked:1', dir]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const log = (await tgt.ok(['run', '--rm', 'locked:1', 'cat', '/log'])).stdout.trim().split('\n');
    assert.equal(log.length, 4, log.join(','));
    assert.ok(['a-in,a-out,b-in,b-out', 'b-in,b-out,a-in,a-out'].includes(log.join(',')), `not one after the other: ${log.join(',')}`);
  }, { only: 'berthd', timeout: 300_000 });

  s.test('berth build --secret: files and environment variables, mode and owner, required, never in the image or the key', async (tgt) => {
    const dir = context(tgt, 'secrets', {
      'Dockerfile': [
        'FROM busybox',
        'RUN --mount=type=secret,id=tok cat /run/secrets/tok > /got1 && stat -c "%a %u:%g" /run/secrets/tok >> /got1',
        'RUN --mount=type=secret,id=tok,target=/s/t,mode=0440,uid=1000,gid=1001 stat -c "%a %u:%g" /s/t > /got2',
        'RUN --mount=type=secret,id=envtok,env=TOK sh -c \'echo "$TOK" > /got3; test -e /run/secrets/envtok || echo nofile >> /got3\'',
        'RUN --mount=type=secret,id=BYNAME,env=B,target=/b sh -c \'echo "$B" > /got4; cat /b >> /got4\'',
        'RUN --mount=type=secret,id=absent sh -c \'test -e /run/secrets/absent || echo absent > /got5\'',
      ].join('\n'),
      'tok.txt': 'file-secret',
    });
    const env = { ...process.env, ...tgt.daemon.env, MYTOK: 'from-env', BYNAME: 'by-name' };
    const berth = (args: string[], cwd = dir) => run(BERTH, args, { env, cwd, timeout: 240_000 });
    let r = await berth(['build', '--secret', 'id=tok,src=tok.txt', '--secret', 'id=envtok,env=MYTOK', '--secret', 'id=BYNAME', '-t', 'sec:1', '.']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    r = await tgt.ok(['run', '--rm', 'sec:1', 'sh', '-c', 'cat /got1 /got2 /got3 /got4 /got5; ls -d /run /s /b 2>/dev/null; true']);
    assert.equal(r.stdout, 'file-secret400 0:0\n440 1000:1001\nfrom-env\nnofile\nby-name\nby-nameabsent\n');
    const meta = (await tgt.ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'sec:1'])).stdout
      + (await tgt.ok(['image', 'inspect', 'sec:1'])).stdout;
    assert.equal(/file-secret|from-env|by-name/.test(meta), false, 'no secret value in the history or the config');
    // The secrets' values are not in the cache key (as in BuildKit).
    writeFileSync(join(dir, 'tok.txt'), 'changed');
    r = await berth(['build', '--secret', 'id=tok,src=tok.txt', '--secret', 'id=envtok,env=MYTOK', '--secret', 'id=BYNAME', '-t', 'sec:2', '.']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((r.stdout.match(/Using cache/g) ?? []).length, 5, r.stdout);

    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN --mount=type=secret,id=need,required=true true\n');
    r = await berth(['build', '.']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /secret need not found/);
    const cliErrors: Array<[string, RegExp]> = [
      ['src=tok.txt', /secret missing ID/],
      ['id=a,colour=red', /unexpected key 'colour' in 'colour=red'/],
      ['id=a,type=pipe', /unsupported secret type "pipe"/],
      ['id=a,src=nosuchfile', /failed to stat nosuchfile/],
      ['id=big,src=big.bin', /secret big too big. max size 500KB/],
    ];
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(500 * 1024 + 1));
    for (const [spec, re] of cliErrors) {
      r = await berth(['build', '--secret', spec, '.']);
      assert.equal(r.code, 1, spec);
      assert.match(r.stderr, re, spec);
    }
  }, { only: 'berthd', timeout: 300_000 });

  s.test('a secret file is served from a tmpfs: no byte of it under the data root, during the RUN or after', async (tgt) => {
    const value = `s3cr3t-${randomBytes(12).toString('hex')}`;
    const dir = context(tgt, 'secret-tmpfs', {
      // The value's hash, not the value: the RUN line is in the image's history.
      'Dockerfile': `FROM busybox\nRUN --mount=type=secret,id=s,mode=0444 sh -c 'test "$(sha256sum < /run/secrets/s)" = "${createHash('sha256').update(value).digest('hex')}  -" && sleep 8'\n`,
      's.txt': value,
    });
    const dataRoot = tgt.daemon.dataRoot;
    // Files of the data root's own filesystem holding the value (a tmpfs mounted below it is not searched).
    const onDisk = async (xdev: boolean) => (await run('sh', ['-c', `find "$1" ${xdev ? '-xdev ' : ''}-type f -print0 | xargs -0 grep -l -F -e "$2" || true`, 'sh', dataRoot, value])).stdout.trim();
    const tmpfsMounts = async () => (await run('findmnt', ['-rn', '-t', 'tmpfs', '-o', 'TARGET'])).stdout.split('\n').filter((t) => t.startsWith(`${dataRoot}/builder/tmp/`));
    const building = run(BERTH, ['build', '--secret', 'id=s,src=s.txt', '-t', 'sectmpfs', '.'], { env: { ...process.env, ...tgt.daemon.env }, cwd: dir, timeout: 240_000 });
    let seen: string[] = [];
    let during = '';
    for (let i = 0; i < 2400 && !seen.length; i++) {
      seen = await tmpfsMounts();
      if (seen.length) during = await onDisk(true);
      else await new Promise((r) => setTimeout(r, 100));
    }
    const r = await building;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(seen.length, 1, 'the secret\'s tmpfs was seen mounted under the builder\'s tmp during the RUN');
    assert.equal(during, '', 'no file on the data root\'s disk holds the secret during the RUN');
    assert.deepEqual(await tmpfsMounts(), [], 'the tmpfs goes with the RUN');
    assert.equal(await onDisk(false), '', 'nothing under the data root holds the secret after the build');
  }, { only: 'berthd', timeout: 300_000 });

  s.test('a secret given as env= stays in memory: not in the RUN container\'s record nor anywhere under the data root', async (tgt) => {
    const value = `s3cr3t-env-${randomBytes(12).toString('hex')}`;
    const dir = context(tgt, 'secret-env', {
      'Dockerfile': `FROM busybox\nRUN --mount=type=secret,id=s,env=S sh -c 'test "$(printf %s "$S" | sha256sum)" = "${createHash('sha256').update(value).digest('hex')}  -" && sleep 3'\n`,
    });
    const dataRoot = tgt.daemon.dataRoot;
    const onDisk = async () => (await run('sh', ['-c', 'find "$1" -type f -print0 | xargs -0 grep -l -F -e "$2" || true', 'sh', dataRoot, value])).stdout.trim();
    // --rm=false: the RUN's container and its record stay after the build.
    const r = await run(BERTH, ['build', '--rm=false', '--secret', 'id=s,env=SV', '-t', 'secenv', '.'], { env: { ...process.env, ...tgt.daemon.env, SV: value }, cwd: dir, timeout: 240_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const kept = (await tgt.ok(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}'])).stdout.split('\n')
      .filter((l) => l.includes('sha256sum')).map((l) => l.split(' ')[0]!);
    assert.ok(kept.length >= 1, `the RUN container is kept: ${r.stdout}`);
    const inspect = (await tgt.ok(['inspect', ...kept])).stdout;
    assert.equal(inspect.includes(value), false, 'not in the container\'s config');
    assert.equal(await onDisk(), '', 'nothing under the data root holds the secret');
    await tgt.ok(['rm', '-f', ...kept]);
  }, { only: 'berthd', timeout: 300_000 });
});
