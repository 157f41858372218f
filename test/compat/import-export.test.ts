// docker export of a container's filesystem, docker import of a tar (with
// -c changes and -m message), history, and the round trip between them.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { compatSuite, lines, makeTar } from './target.ts';

interface Entry { type: string; mode: number; content: string; linkname: string | null }

/** Reads a tar into name -> entry; names lose any leading "./" and trailing "/". */
async function readTar(data: Buffer): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  const extract = tarStream.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => { chunks.push(c as Buffer); });
      stream.on('end', () => {
        const name = header.name.replace(/^\.\//, '').replace(/\/$/, '');
        const small = header.type === 'file' && (header.size ?? 0) < 4096;
        entries.set(name, {
          type: header.type ?? 'file', mode: header.mode ?? 0, linkname: header.linkname ?? null,
          content: small ? Buffer.concat(chunks).toString('utf8') : '',
        });
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from([data]).pipe(extract);
  await done;
  return entries;
}

compatSuite('import and export', (s) => {
  s.test('export writes the container filesystem with its changes', async (tgt) => {
    await tgt.ok(['run', '--name', 'exp', 'busybox', 'sh', '-c',
      'echo written-by-container > /hello.txt; mkdir -p /data/sub; echo x > /data/sub/f; ln -s /hello.txt /link; rm /etc/group']);
    const dir = tgt.tmpDir('export');
    const file = join(dir, 'exp.tar');
    assert.equal((await tgt.ok(['export', '-o', file, 'exp'])).stdout, '');
    const entries = await readTar(readFileSync(file));
    assert.equal(entries.get('bin/busybox')?.type, 'file');
    assert.equal((entries.get('bin/busybox')!.mode & 0o111) !== 0, true, 'busybox stays executable');
    assert.equal(entries.get('hello.txt')?.content, 'written-by-container\n');
    assert.equal(entries.get('data/sub/f')?.content, 'x\n');
    assert.deepEqual([entries.get('link')?.type, entries.get('link')?.linkname], ['symlink', '/hello.txt']);
    assert.equal(entries.has('etc/passwd'), true);
    assert.equal(entries.has('etc/group'), false, 'a deleted file is absent, not a whiteout');
    assert.ok(![...entries.keys()].some((n) => n.split('/').pop()!.startsWith('.wh.')), 'no whiteouts in an export');

    // To stdout as well (the CLI refuses a terminal, a pipe is fine).
    const piped = await tgt.ok(['export', 'exp']);
    const again = await readTar(piped.stdoutBuf);
    assert.equal(again.get('hello.txt')?.content, 'written-by-container\n');
  });

  s.test('import with -c and -m, then history', async (tgt) => {
    const tar = await makeTar(tgt.tmpDir('imp'), 'rootfs', { 'etc/motd': 'imported\n', 'opt/app/run.sh': 'echo app\n' });
    const r = await tgt.ok(['import', '-c', 'CMD ["/bin/sh"]', '-c', 'ENV APP=1', '-c', 'WORKDIR /opt/app',
      '-m', 'imported by the compat suite', tar, 'imported:v1']);
    const id = r.stdout.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const cfg = (await tgt.ok(['image', 'inspect', '-f', '{{json .Config.Cmd}}|{{json .Config.Env}}|{{.Config.WorkingDir}}|{{.Id}}',
      'imported:v1'])).stdout.trim();
    assert.equal(cfg, `["/bin/sh"]|["APP=1"]|/opt/app|${id}`);
    const hist = lines((await tgt.ok(['history', '--no-trunc', '--format', '{{.ID}}|{{.Comment}}', 'imported:v1'])).stdout);
    assert.deepEqual(hist, [`${id}|imported by the compat suite`]);
    const table = lines((await tgt.ok(['history', 'imported:v1'])).stdout);
    assert.deepEqual(table[0].split(/\s{2,}/), ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT']);
    assert.match(table[1], /imported by the compat suite$/);
    assert.equal((await tgt.ok(['history', '-q', 'imported:v1'])).stdout, `${id.slice(7, 19)}\n`);
  });

  s.test('import from stdin', async (tgt) => {
    const tar = await makeTar(tgt.tmpDir('stdin'), 'rootfs', { 'stdin.txt': 'via stdin\n' });
    const id = (await tgt.ok(['import', '-', 'fromstdin:1'], { input: readFileSync(tar) })).stdout.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const exported = await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'fromstdin:1']);
    assert.equal(exported.stdout.trim(), id);
    assert.equal((await tgt.ok(['history', '--format', '{{.Comment}}', 'fromstdin:1'])).stdout, 'Imported from -\n');
  });

  s.test('export then import round-trips a container into a runnable image', async (tgt) => {
    await tgt.ok(['run', '--name', 'src', 'busybox', 'sh', '-c', 'echo round-trip > /rt.txt']);
    const file = join(tgt.tmpDir('rt'), 'src.tar');
    await tgt.ok(['export', '-o', file, 'src']);
    await tgt.ok(['import', '-c', 'CMD ["cat", "/rt.txt"]', file, 'roundtrip:1']);
    assert.equal((await tgt.ok(['run', '--rm', 'roundtrip:1'])).stdout, 'round-trip\n');
    assert.equal((await tgt.ok(['run', '--rm', 'roundtrip:1', 'sh', '-c', 'ls /bin/busybox'])).stdout, '/bin/busybox\n');
  });

  s.test('import of something that is not a tar fails', async (tgt) => {
    const r = await tgt.docker(['import', '-', 'broken:1'], { input: 'this is not a tar archive\n'.repeat(40) });
    assert.notEqual(r.code, 0);
    assert.equal((await tgt.docker(['image', 'inspect', 'broken:1'])).code, 1, 'no image was tagged');
  });
});
