// docker save / docker load through the daemon: the archive's index files,
// a round trip that keeps the image ID and runs, stdout/stdin, every tag of
// a bare name, an image saved by ID, and the errors for an unknown image
// and a broken archive. Checked against dockerd 20.10 (which writes its
// legacy layout; berth writes Docker 25's OCI layout + manifest.json).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, compatSuite, lines } from './target.ts';

function tarNames(file: string): string[] {
  return execFileSync('tar', ['-tf', file]).toString().split('\n').filter(Boolean);
}

compatSuite('save and load', (s) => {
  s.test('save -o, rmi, load -i: same image ID, and it runs', async (tgt) => {
    await tgt.ok(['run', '--name', 'mk', 'busybox', 'sh', '-c', 'echo saved-file > /saved.txt']);
    await tgt.ok(['commit', '-c', 'CMD ["cat","/saved.txt"]', 'mk', 'savetest:v1']);
    await tgt.ok(['rm', 'mk']);
    const id = (await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'savetest:v1'])).stdout.trim();
    const file = join(tgt.tmpDir('save'), 'img.tar');
    assert.equal((await tgt.ok(['save', '-o', file, 'savetest:v1'])).stdout, '');
    const names = tarNames(file);
    assert.ok(names.includes('manifest.json'), names.join(' '));
    assert.ok(names.includes('repositories'), names.join(' '));
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json']).toString());
    assert.deepEqual(manifest[0].RepoTags, ['savetest:v1']);
    assert.equal(manifest[0].Layers.length, 2);
    await tgt.ok(['rmi', 'savetest:v1']);
    const load = await tgt.ok(['load', '-i', file]);
    assert.equal(load.stdout, 'Loaded image: savetest:v1\n');
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'savetest:v1'])).stdout.trim(), id);
    assert.equal((await tgt.ok(['run', '--rm', 'savetest:v1'])).stdout, 'saved-file\n');
    // Loaded again over itself: the same answer.
    assert.equal((await tgt.ok(['load', '-q', '-i', file])).stdout, 'Loaded image: savetest:v1\n');
    await tgt.ok(['rmi', 'savetest:v1']);
  });

  s.test('save to stdout, load from stdin; a bare name saves every tag; an ID saves untagged', async (tgt) => {
    await tgt.ok(['tag', 'busybox', 'multi:a']);
    await tgt.ok(['tag', 'busybox', 'multi:b']);
    const dir = tgt.tmpDir('stdout');
    const file = join(dir, 'multi.tar');
    // Through a shell: the archive is binary, run() collects text.
    execFileSync('sh', ['-c', `"$0" save multi > "$1"`, CLI, file], { env: { ...process.env, ...tgt.daemon.env } });
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json']).toString());
    assert.deepEqual([...manifest[0].RepoTags].sort(), ['multi:a', 'multi:b']);
    await tgt.ok(['rmi', 'multi:a', 'multi:b']);
    const load = await tgt.ok(['load'], { input: readFileSync(file) });
    assert.deepEqual(lines(load.stdout).sort(), ['Loaded image: multi:a', 'Loaded image: multi:b']);
    await tgt.ok(['rmi', 'multi:a', 'multi:b']);

    const id = (await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
    const byId = join(dir, 'id.tar');
    await tgt.ok(['save', '-o', byId, id.slice(7, 19)]);
    const m2 = JSON.parse(execFileSync('tar', ['-xOf', byId, 'manifest.json']).toString());
    assert.equal(m2[0].RepoTags, null);
  });

  s.test('errors: an unknown image, a file that is not an archive, an archive with no image', async (tgt) => {
    const r = await tgt.fails(['save', 'no-such-image-here'], 1);
    assert.match(r.stderr, /No such image: no-such-image-here/);
    const before = (await tgt.ok(['images', '-q', '--no-trunc'])).stdout;
    const dir = tgt.tmpDir('bad');
    const junk = join(dir, 'junk.tar');
    writeFileSync(junk, 'not an archive\n'.repeat(100));
    const bad = await tgt.fails(['load', '-i', junk], 1);
    assert.notEqual(bad.stderr.trim(), '');
    const empty = join(dir, 'empty.tar');
    execFileSync('tar', ['-cf', empty, '-T', '/dev/null']);
    const none = await tgt.fails(['load', '-i', empty], 1);
    assert.notEqual(none.stderr.trim(), '');
    assert.equal((await tgt.ok(['images', '-q', '--no-trunc'])).stdout, before);
    if (tgt.name === 'berthd') {
      // berth checks the whole archive before it answers: a 400 that names the problem.
      assert.match(bad.stderr, /Error response from daemon: invalid image archive/);
      assert.match(none.stderr, /archive is empty/);
    }
  });
});
