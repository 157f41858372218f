// A sent build context keeps its large files' bodies in memory: the tree
// shows them with their size, owner, mode and mtime and the cache hash is
// known, but no byte is written until materialize(). A path the archive
// replaces or removes later drops its body; a hardlink to a kept body gets
// it written first; coalesce() joins a stream's small chunks.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, lstatSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { BuildContext } from '../../../src/builder/context.ts';
import { fileHash } from '../../../src/builder/file-hash.ts';
import { coalesce } from '../../../src/stores/tar/coalesce.ts';
import { tarStream, type TarEntry } from '../../../src/stores/tar/writer.ts';
import { emptyHeader } from '../../../src/stores/tar/format.ts';

function file(name: string, body: Buffer, over: Partial<ReturnType<typeof emptyHeader>> = {}): TarEntry {
  return { header: { ...emptyHeader(name, 'file'), size: body.length, mode: 0o640, mtime: 1_600_000_000, ...over }, body };
}

/** The context tar as a socket would deliver it: many small chunks through a Readable. */
function asSocket(entries: TarEntry[]): PassThrough {
  const out = new PassThrough({ highWaterMark: 16 * 1024 });
  const src = tarStream(entries);
  src.on('data', (c: Buffer) => { for (let i = 0; i < c.length; i += 20_000) out.write(c.subarray(i, i + 20_000)); });
  src.on('end', () => out.end());
  return out;
}

const allocated = (p: string) => statSync(p).blocks * 512;

test('large bodies wait in memory until materialize(); metadata and hashes are there at once', async () => {
  const tmp = mkdtempSync(`${tmpdir()}/ctxdef-`);
  try {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const small = Buffer.from('FROM busybox\n');
    const ctx = await BuildContext.fromTar(asSocket([
      file('Dockerfile', small), file('big', big, { uid: 123, gid: 45 }), file('dir/big2', big),
    ]), tmp, 'Dockerfile');
    try {
      const abs = `${ctx.root}/big`;
      const st = lstatSync(abs);
      assert.equal(st.size, big.length);
      assert.equal(st.mode & 0o7777, 0o640);
      assert.deepEqual([st.uid, st.gid, st.mtimeMs], [123, 45, 1_600_000_000_000]);
      assert.equal(allocated(abs), 0, 'no block written yet');
      assert.equal(ctx.heldBytes, 2 * big.length);
      assert.equal(ctx.readDockerfile('Dockerfile'), 'FROM busybox\n');
      // The cache key's hash comes from the stream, without reading the (still empty) file.
      assert.equal(fileHash(abs, st), createHash('sha256').update(big).digest('hex'));
      ctx.materialize();
      assert.equal(ctx.heldBytes, 0);
      assert.deepEqual(readFileSync(abs), big);
      assert.deepEqual(readFileSync(`${ctx.root}/dir/big2`), big);
      const after = lstatSync(abs);
      assert.equal(after.mtimeMs, 1_600_000_000_000, 'mtime kept');
      assert.equal(fileHash(abs, after), createHash('sha256').update(big).digest('hex'));
    } finally {
      await ctx.close();
    }
    assert.deepEqual(readdirSync(tmp), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a body whose path the archive replaces is dropped; a hardlinked one is written before the link', async () => {
  const tmp = mkdtempSync(`${tmpdir()}/ctxdef-`);
  try {
    const a = randomBytes(2 * 1024 * 1024);
    const b = randomBytes(2 * 1024 * 1024);
    const ctx = await BuildContext.fromTar(asSocket([
      file('Dockerfile', Buffer.from('FROM x\n')),
      file('d/a', a),
      // d becomes a symlink to /: d/a's body must never be written through it.
      { header: { ...emptyHeader('d', 'symlink'), linkname: '/' } },
      file('x', a),
      file('x', b),
      file('h', b),
      { header: { ...emptyHeader('h2', 'link'), linkname: 'h' } },
    ]), tmp, 'Dockerfile');
    try {
      assert.equal(lstatSync(`${ctx.root}/d`).isSymbolicLink(), true);
      assert.equal(ctx.heldBytes, b.length, 'only x (second body) is still held: d/a dropped, h written for its link');
      assert.deepEqual(readFileSync(`${ctx.root}/h2`), b);
      ctx.materialize();
      assert.deepEqual(readFileSync(`${ctx.root}/x`), b);
      assert.equal(existsSync(`${ctx.root}/a`), false);
    } finally {
      await ctx.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a bad archive after a kept body gives the memory back and leaves nothing', async () => {
  const tmp = mkdtempSync(`${tmpdir()}/ctxdef-`);
  try {
    const big = randomBytes(2 * 1024 * 1024);
    await assert.rejects(BuildContext.fromTar(asSocket([file('big', big), file('../escape', Buffer.from('x'))]), tmp, 'Dockerfile'), /escapes/);
    assert.deepEqual(readdirSync(tmp), []);
    const ok = await BuildContext.fromTar(asSocket([file('big', big)]), tmp, 'Dockerfile');
    assert.equal(ok.heldBytes, big.length);
    await ok.close();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('coalesce joins small chunks, keeps every byte in order, and passes errors on', async () => {
  const src = new PassThrough();
  const parts: Buffer[] = [];
  for (let i = 0; i < 500; i++) parts.push(randomBytes(1000 + i));
  setImmediate(() => { for (const p of parts) src.write(p); src.end(); });
  const got: Buffer[] = [];
  for await (const c of coalesce(src, 64 * 1024)) got.push(c);
  assert.deepEqual(Buffer.concat(got), Buffer.concat(parts));
  assert.ok(got.length < parts.length / 5, `${got.length} pieces for ${parts.length} chunks`);

  const bad = new PassThrough();
  setImmediate(() => { bad.write(Buffer.from('abc')); bad.destroy(new Error('reset by peer')); });
  await assert.rejects((async () => { for await (const _ of coalesce(bad)) { /* drain */ } })(), /reset by peer/);
});
