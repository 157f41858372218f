import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { isCode } from '../../../src/core/errors.ts';
import { emptyHeader, type TarHeader } from '../../../src/stores/tar/format.ts';
import { TarReader } from '../../../src/stores/tar/reader.ts';
import { tarChunks } from '../../../src/stores/tar/writer.ts';
import { tarBuffer } from '../../integration/stores/tars.ts';

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of gen) out.push(c);
  return Buffer.concat(out);
}

async function readAll(buf: Buffer, chunk = 7919, opts = {}): Promise<{ entries: Array<TarHeader & { body: string }>; digest: string }> {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  const r = new TarReader(Readable.from(parts), opts);
  const entries: Array<TarHeader & { body: string }> = [];
  for (let h = await r.next(); h; h = await r.next()) entries.push({ ...h, body: (await collect(r.body())).toString('latin1') });
  return { entries, digest: r.digest() };
}

describe('tar codec', () => {
  test('round-trips long names, long link targets, big ids, binary xattrs and devices', async () => {
    const longName = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0xff, 0xfe, 0x80, 0x00]);
    const entries: Array<{ header: TarHeader; body?: Buffer }> = [
      { header: { ...emptyHeader('dir', 'dir'), mode: 0o1777, mtime: 1234567890 } },
      { header: { ...emptyHeader(longName, 'file'), size: 3, uid: 100000000, gid: 5000000, xattrs: new Map([['security.capability', cap], ['user.ü', Buffer.from('ünï')]]) }, body: Buffer.from('abc') },
      { header: { ...emptyHeader('ln', 'symlink'), linkname: `/${'t'.repeat(150)}` } },
      { header: { ...emptyHeader('hard', 'link'), linkname: longName } },
      { header: { ...emptyHeader('dev/null', 'char'), devmajor: 1, devminor: 3, mode: 0o666 } },
      { header: { ...emptyHeader('ünicode name', 'fifo') } },
    ];
    const buf = await collect(tarChunks(entries));
    assert.equal(buf.length % 512, 0);
    const { entries: back, digest } = await readAll(buf);
    assert.equal(digest, `sha256:${createHash('sha256').update(buf).digest('hex')}`);
    assert.deepEqual(back.map((e) => [e.name, e.type]), [
      ['dir', 'dir'], [longName, 'file'], ['ln', 'symlink'], ['hard', 'link'], ['dev/null', 'char'], ['ünicode name', 'fifo'],
    ]);
    assert.equal(back[0].mode, 0o1777);
    assert.equal(back[0].mtime, 1234567890);
    assert.equal(back[1].body, 'abc');
    assert.equal(back[1].uid, 100000000);
    assert.equal(back[1].gid, 5000000);
    assert.ok(back[1].xattrs.get('security.capability')!.equals(cap), 'binary xattr is byte-exact');
    assert.equal(back[1].xattrs.get('user.ü')!.toString(), 'ünï');
    assert.equal(back[2].linkname, `/${'t'.repeat(150)}`);
    assert.equal(back[3].linkname, longName);
    assert.deepEqual([back[4].devmajor, back[4].devminor], [1, 3]);
  });

  test('the digest covers bytes after the end marker; bodies can be skipped', async () => {
    const buf = Buffer.concat([tarBuffer([{ name: 'a', body: 'x'.repeat(1000) }, { name: 'b', body: 'y' }]), Buffer.alloc(4096)]);
    const r = new TarReader(Readable.from([buf]));
    const names: string[] = [];
    for (let h = await r.next(); h; h = await r.next()) names.push(h.name);
    assert.deepEqual(names, ['a', 'b']);
    assert.equal(r.digest(), `sha256:${createHash('sha256').update(buf).digest('hex')}`);
    assert.equal(r.bytesRead, buf.length);
  });

  test('reads GNU long names and old-style directories', async () => {
    const name = 'x'.repeat(200);
    const gnu = Buffer.alloc(512);
    gnu.write('././@LongLink', 0);
    gnu.write('0000644\0', 100); gnu.write('0000000\0', 108); gnu.write('0000000\0', 116);
    gnu.write(`${(name.length + 1).toString(8).padStart(11, '0')}\0`, 124);
    gnu.write('00000000000\0', 136);
    gnu.write('L', 156);
    gnu.write('ustar  \0', 257);
    gnu.fill(0x20, 148, 156);
    let sum = 0; for (const b of gnu) sum += b;
    gnu.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    const data = Buffer.alloc(512); data.write(name);
    const rest = tarBuffer([{ name: 'short', body: 'z' }, { name: 'olddir/', type: 'file' }]);
    const { entries } = await readAll(Buffer.concat([gnu, data, rest]));
    assert.deepEqual(entries.map((e) => [e.name, e.type, e.body]), [[name, 'file', 'z'], ['olddir', 'dir', '']]);
  });

  test('rejects garbage, truncation, sparse files and the byte limit, naming it', async () => {
    await assert.rejects(readAll(Buffer.from('not a tar at all'.repeat(64))), (e) => isCode(e, 'invalid_argument') && /checksum/.test((e as Error).message));
    const good = tarBuffer([{ name: 'f', body: 'x'.repeat(2000) }]);
    await assert.rejects(readAll(good.subarray(0, 1024)), /unexpected end of tar archive/);
    const sparse = Buffer.from(good);
    sparse[156] = 'S'.charCodeAt(0);
    sparse.fill(0x20, 148, 156);
    let sum = 0; for (let i = 0; i < 512; i++) sum += sparse[i];
    sparse.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    await assert.rejects(readAll(sparse), /sparse file f/);
    await assert.rejects(readAll(good, 512, { maxBytes: 1024, limitName: 'maxBytes' }), (e) => isCode(e, 'invalid_argument') && /limit of 1024 uncompressed bytes \(maxBytes\)/.test((e as Error).message));
  });

  test('an empty stream is an empty archive', async () => {
    const { entries, digest } = await readAll(Buffer.alloc(0));
    assert.deepEqual(entries, []);
    assert.equal(digest, `sha256:${createHash('sha256').digest('hex')}`);
  });
});
