// docker images, tag, rmi: listing, filters, dangling images, untag versus
// delete, and the conflicts with containers that use an image.

import assert from 'node:assert/strict';
import { type CompatTarget, compatSuite, lines, makeTar } from './target.ts';

async function importTar(tgt: CompatTarget, ref: string, content: string): Promise<string> {
  const tar = await makeTar(tgt.tmpDir('img'), 'layer', { 'file.txt': content });
  const id = (await tgt.ok(['import', tar, ref])).stdout.trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  return id;
}

async function refs(tgt: CompatTarget, ...args: string[]): Promise<string[]> {
  return lines((await tgt.ok(['images', ...args, '--format', '{{.Repository}}:{{.Tag}}'])).stdout).sort();
}

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

compatSuite('images', (s) => {
  s.test('images lists busybox; -q gives short ids', async (tgt) => {
    const id = (await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
    const table = lines((await tgt.ok(['images'])).stdout);
    assert.deepEqual(table[0].split(/\s{2,}/), ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']);
    const row = table.find((l) => l.startsWith('busybox '))?.split(/\s{2,}/);
    assert.ok(row, table.join('\n'));
    assert.deepEqual(row.slice(0, 3), ['busybox', 'latest', short(id)]);
    assert.match(row[4], /^\d+(\.\d+)?[kM]?B$/);
    assert.ok(lines((await tgt.ok(['images', '-q'])).stdout).includes(short(id)));
    assert.ok(lines((await tgt.ok(['images', '-q', '--no-trunc'])).stdout).includes(id));
  });

  s.test('tag, reference filter, repository argument', async (tgt) => {
    const id = (await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
    await tgt.ok(['tag', 'busybox', 'mybb:v1']);
    await tgt.ok(['tag', 'busybox:latest', 'mybb:v2']);
    await tgt.ok(['tag', id, 'other/repo']);
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'mybb:v1'])).stdout.trim(), id);
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'other/repo:latest'])).stdout.trim(), id);
    assert.deepEqual(await refs(tgt, '--filter', 'reference=mybb:*'), ['mybb:v1', 'mybb:v2']);
    assert.deepEqual(await refs(tgt, '--filter', 'reference=busybox'), ['busybox:latest']);
    assert.deepEqual(await refs(tgt, 'mybb'), ['mybb:v1', 'mybb:v2']);
    assert.deepEqual(await refs(tgt, 'mybb:v2'), ['mybb:v2']);
    assert.deepEqual(await refs(tgt, '--filter', 'reference=other/*'), ['other/repo:latest']);
    for (const r of ['mybb:v1', 'mybb:v2', 'other/repo']) await tgt.ok(['rmi', r]);
  });

  s.test('re-tagging leaves a dangling image', async (tgt) => {
    const first = await importTar(tgt, 'dang:1', 'one');
    const second = await importTar(tgt, 'dang:1', 'two');
    assert.notEqual(first, second);
    assert.deepEqual(lines((await tgt.ok(['images', '-f', 'dangling=true', '-q'])).stdout), [short(first)]);
    assert.ok(!lines((await tgt.ok(['images', '-f', 'dangling=false', '-q'])).stdout).includes(short(first)));
    const row = lines((await tgt.ok(['images', '--format', '{{.ID}} {{.Repository}} {{.Tag}}'])).stdout).find((l) => l.startsWith(short(first)));
    assert.equal(row, `${short(first)} <none> <none>`);
    await tgt.ok(['rmi', short(first), 'dang:1']);
    assert.equal((await tgt.ok(['images', '-f', 'dangling=true', '-q'])).stdout, '');
  });

  s.test('rmi untags while other tags remain, deletes with the last', async (tgt) => {
    const id = await importTar(tgt, 'two:a', 'x');
    await tgt.ok(['tag', 'two:a', 'two:b']);
    assert.equal((await tgt.ok(['rmi', 'two:a'])).stdout, 'Untagged: two:a\n');
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'two:b'])).stdout.trim(), id);
    const del = await tgt.ok(['rmi', 'two:b']);
    const out = lines(del.stdout);
    assert.deepEqual(out.slice(0, 2), ['Untagged: two:b', `Deleted: ${id}`]);
    // dockerd goes on to list the layers it released.
    for (const l of out.slice(2)) assert.match(l, /^Deleted: sha256:[0-9a-f]{64}$/);
    const gone = await tgt.fails(['image', 'inspect', id], 1);
    assert.match(gone.stderr, /No such image/);
  });

  s.test('rmi by id of an image with several tags needs -f', async (tgt) => {
    const id = await importTar(tgt, 'multi:a', 'm');
    await tgt.ok(['tag', 'multi:a', 'multi:b']);
    const r = await tgt.fails(['rmi', short(id)], 1);
    assert.match(r.stderr, new RegExp(`conflict: unable to delete ${short(id)} \\(must be forced\\) - image is referenced in multiple repositories`));
    const forced = lines((await tgt.ok(['rmi', '-f', short(id)])).stdout);
    assert.deepEqual(forced.filter((l) => l.startsWith('Untagged:')).sort(), ['Untagged: multi:a', 'Untagged: multi:b']);
    assert.ok(forced.includes(`Deleted: ${id}`));
  });

  s.test('rmi of an image a container uses: conflict, -f, running', async (tgt) => {
    const id = await importTar(tgt, 'used:1', 'u');
    const ctr = (await tgt.ok(['create', '--name', 'user1', 'used:1', 'true'])).stdout.trim();
    const r = await tgt.fails(['rmi', 'used:1'], 1);
    assert.match(r.stderr, /conflict: unable to remove repository reference "used:1" \(must force\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}/);
    assert.ok(r.stderr.includes(ctr.slice(0, 12)) && r.stderr.includes(short(id)));
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'used:1'])).stdout.trim(), id);
    // -f removes it even though a stopped container still refers to it.
    const forced = lines((await tgt.ok(['rmi', '-f', 'used:1'])).stdout);
    assert.deepEqual(forced, ['Untagged: used:1', `Deleted: ${id}`]);
    await tgt.ok(['rm', 'user1']);

    // A running container's image cannot be deleted, even with -f (its tag can go).
    await tgt.ok(['tag', 'busybox', 'running:1']);
    await tgt.ok(['run', '-d', '--name', 'user2', 'running:1', 'sleep', '1000']);
    assert.equal((await tgt.ok(['rmi', '-f', 'running:1'])).stdout, 'Untagged: running:1\n');
    const busybox = (await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
    await tgt.ok(['tag', 'busybox', 'extra:1']);
    const cannot = await tgt.fails(['rmi', '-f', short(busybox)], 1);
    assert.match(cannot.stderr, /conflict: unable to delete [0-9a-f]{12} \(cannot be forced\) - image is being used by running container [0-9a-f]{12}/);
    assert.ok(lines((await tgt.ok(['images', '-q'])).stdout).includes(short(busybox)));
    await tgt.ok(['rm', '-f', 'user2']);
    await tgt.ok(['rmi', 'extra:1']);
  });

  s.test('unknown images and bad references', async (tgt) => {
    assert.match((await tgt.fails(['rmi', 'nosuch-image'], 1)).stderr, /No such image: nosuch-image:latest/);
    assert.match((await tgt.fails(['tag', 'nosuch-image', 'z:1'], 1)).stderr, /No such image: nosuch-image:latest/);
    assert.match((await tgt.fails(['image', 'inspect', 'nosuch-image'], 1)).stderr, /No such image: nosuch-image/);
    assert.match((await tgt.fails(['tag', 'busybox', 'bad:tag:x'], 1)).stderr, /invalid reference format/);
  });
});
