// The worker-thread unpacker (src/images/unpack.ts): same result as
// applyTar in this thread, the same refusals with the same codes, a source
// that fails is reported as itself and nothing is written after unpack()
// settles, a worker is reused for the next layer, and read buffers come
// back to a ring once decompressed and are read into again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import { createHash, randomBytes } from 'node:crypto';
import { ReadBuffers, workerUnpacker } from '../../../src/images/unpack.ts';
import { applyTar } from '../../../src/stores/snapshots/apply.ts';
import { isCode } from '../../../src/core/errors.ts';
import { archiveTar } from '../../helpers/hostile-tars.ts';

const tmp = () => fs.mkdtempSync(`${os.tmpdir()}/unpack-test-`);
const diffId = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function* chunks(b: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield Buffer.from(b.subarray(i, i + size));
}

function listing(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[]).sort().map((p) => {
    const st = fs.lstatSync(`${root}/${p}`);
    return `${p} ${st.isSymbolicLink() ? `-> ${fs.readlinkSync(`${root}/${p}`)}` : st.isFile() ? fs.readFileSync(`${root}/${p}`, 'utf8') : 'dir'}`;
  });
}

const big = Buffer.alloc(5 << 20, 'abcdefgh');
const layer = archiveTar([
  { name: 'etc/hostname', body: 'box\n' },
  { name: 'usr/bin/tool', body: big },
  { name: 'usr/bin/alias', symlink: 'tool' },
]);

test('a gzip layer unpacks in the worker exactly as applyTar does here, in small or large chunks', async () => {
  const a = tmp();
  const b = tmp();
  const c = tmp();
  try {
    const here = await applyTar(chunks(layer, 65536), { root: a, whiteouts: 'overlay' });
    const gz = zlib.gzipSync(layer);
    const r1 = await workerUnpacker(chunks(gz, 7000), { maxRatio: 100 }).unpack({ root: b, whiteouts: 'overlay', limits: {} });
    const r2 = await workerUnpacker(chunks(layer, 3 << 20), null).unpack({ root: c, whiteouts: 'overlay', limits: {} });
    assert.equal(here.diffId, diffId(layer));
    assert.deepEqual(r1, here);
    assert.deepEqual(r2, here);
    assert.deepEqual(listing(b), listing(a));
    assert.deepEqual(listing(c), listing(a));
    const digest = await workerUnpacker(chunks(gz, 1 << 20), { maxRatio: 100 }).unpack({ root: null, whiteouts: 'overlay', limits: {} });
    assert.equal(digest.diffId, here.diffId);
  } finally {
    for (const d of [a, b, c]) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('with verify, the worker hashes every byte sent (bytes after the tar too) and the unpack fails unless they match', async () => {
  const roots = [tmp(), tmp(), tmp()];
  try {
    // gzip's own trailer is followed by padding the decompressor never reads: it still counts.
    const blob = Buffer.concat([zlib.gzipSync(layer), Buffer.alloc(1000)]);
    const heard: string[] = [];
    const verify = (digest: string, size = blob.length) => ({ digest, size, onHashed: (d: string) => { heard.push(d); } });
    const ok = await workerUnpacker(chunks(blob, 65536), { maxRatio: 100 }, verify(diffId(blob))).unpack({ root: roots[0]!, whiteouts: 'overlay', limits: {} });
    assert.equal(ok.diffId, diffId(layer));
    assert.deepEqual(heard, [diffId(blob)]);
    const other = diffId(Buffer.from('another blob'));
    const bad = await workerUnpacker(chunks(blob, 65536), { maxRatio: 100 }, verify(other)).unpack({ root: roots[1]!, whiteouts: 'overlay', limits: {} })
      .then(() => null, (e: Error) => e);
    assert.ok(bad && isCode(bad, 'invalid_argument'), String(bad));
    assert.match(bad.message, new RegExp(`blob digest ${diffId(blob)} does not match the expected ${other}`));
    assert.deepEqual(heard, [diffId(blob), diffId(blob)]);
    const short = await workerUnpacker(chunks(blob, 65536), { maxRatio: 100 }, verify(diffId(blob), blob.length + 1)).unpack({ root: roots[2]!, whiteouts: 'overlay', limits: {} })
      .then(() => null, (e: Error) => e);
    assert.ok(short && isCode(short, 'invalid_argument'), String(short));
    assert.match(short.message, /blob size \d+ does not match the expected \d+ bytes/);
  } finally {
    for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('a hostile entry is refused in the worker with the same code and message as here', async () => {
  const evil = archiveTar([{ name: 'link', symlink: '/etc' }, { name: 'link/passwd', body: 'pwned' }]);
  const [a, b, c, d] = [tmp(), tmp(), tmp(), tmp()];
  try {
    const here = await applyTar(chunks(evil, 512), { root: a, whiteouts: 'overlay' }).then(() => null, (e: Error) => e);
    const there = await workerUnpacker(chunks(evil, 512), null).unpack({ root: b, whiteouts: 'overlay', limits: {} }).then(() => null, (e: Error) => e);
    assert.ok(here && there);
    assert.ok(isCode(there, 'invalid_argument'), String(there));
    assert.equal(there.message, here.message);
    const limited = await workerUnpacker(chunks(layer, 65536), null).unpack({ root: c, whiteouts: 'overlay', limits: { maxBytes: 1 << 20 } })
      .then(() => null, (e: Error) => e);
    assert.match(String(limited?.message), /max-layer-size/);
    const damaged = zlib.gzipSync(layer).subarray(0, 4000);
    const cut = await workerUnpacker(chunks(damaged, 1000), { maxRatio: 100 }).unpack({ root: d, whiteouts: 'overlay', limits: {} })
      .then(() => null, (e: Error) => e);
    assert.ok(isCode(cut, 'invalid_argument'), String(cut));
    assert.match(String(cut?.message), /gzip archive is damaged/);
  } finally {
    for (const x of [a, b, c, d]) fs.rmSync(x, { recursive: true, force: true });
  }
});

test('a source that fails mid-layer is the error, and the worker has stopped writing when unpack() settles', async () => {
  const root = tmp();
  try {
    const gz = zlib.gzipSync(layer, { level: 1 });
    async function* failing(): AsyncGenerator<Buffer> {
      yield* chunks(gz.subarray(0, gz.length >> 1), 65536);
      throw new Error('connection reset by peer');
    }
    const err = await workerUnpacker(failing(), { maxRatio: 100 }).unpack({ root, whiteouts: 'overlay', limits: {} }).then(() => null, (e: Error) => e);
    assert.equal(err?.message, 'connection reset by peer');
    const seen = listing(root).join('\n');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(listing(root).join('\n'), seen, 'nothing written after unpack() settled');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('layers in a row (an idle worker taken again) each get only their own bytes', async () => {
  const roots = [tmp(), tmp(), tmp()];
  try {
    const one = archiveTar([{ name: 'one', body: '1' }]);
    const two = archiveTar([{ name: 'two', body: '2' }]);
    const r1 = await workerUnpacker(chunks(one, 100), null).unpack({ root: roots[0]!, whiteouts: 'overlay', limits: {} });
    const r2 = await workerUnpacker(chunks(two, 100), null).unpack({ root: roots[1]!, whiteouts: 'overlay', limits: {} });
    assert.equal(r1.diffId, diffId(one));
    assert.equal(r2.diffId, diffId(two));
    assert.deepEqual(listing(roots[0]!), ['one 1']);
    assert.deepEqual(listing(roots[1]!), ['two 2']);
  } finally {
    for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('with a ring, read buffers come back once decompressed and are read into again; the layer and its digest are intact', async () => {
  const roots = [tmp(), tmp()];
  try {
    const random = randomBytes(6 << 20);
    const tar = archiveTar([{ name: 'r', body: random }, { name: 's', body: 'small\n' }]);
    const gz = zlib.gzipSync(tar, { level: 1 });
    const here = await applyTar(chunks(tar, 65536), { root: roots[0]!, whiteouts: 'overlay' });
    // A worker up already (kept idle after this), as for a pull's second layer: a fresh one takes longer to start than this blob to send.
    await workerUnpacker(chunks(zlib.gzipSync(layer), 65536), { maxRatio: 100 }).unpack({ root: null, whiteouts: 'overlay', limits: {} });
    const ring = new ReadBuffers(65536, 12);
    let reads = 0;
    // As a pull's tail reads: each chunk read into a buffer from the ring, the last one short.
    async function* fromRing(): AsyncGenerator<Buffer> {
      for (let i = 0; i < gz.length; i += 65536) {
        const buf = ring.take();
        const n = gz.copy(buf, 0, i, Math.min(i + 65536, gz.length));
        reads++;
        // As from a download: a little later each time (the whole blob is less than the bytes let in flight).
        await new Promise((r) => setTimeout(r, 5));
        yield n === buf.length ? buf : buf.subarray(0, n);
      }
    }
    const heard: string[] = [];
    const verify = { digest: diffId(gz), size: gz.length, onHashed: (d: string) => { heard.push(d); } };
    const r = await workerUnpacker(fromRing(), { maxRatio: 100 }, verify, ring).unpack({ root: roots[1]!, whiteouts: 'overlay', limits: {} });
    assert.deepEqual(r, here);
    assert.deepEqual(heard, [diffId(gz)]);
    assert.deepEqual(listing(roots[1]!).map((l) => l.slice(0, 64)), listing(roots[0]!).map((l) => l.slice(0, 64)));
    assert.ok(fs.readFileSync(`${roots[1]}/r`).equals(random));
    assert.ok(reads > 90, `${reads} reads`);
    assert.ok(ring.allocated < reads / 2, `${ring.allocated} buffers for ${reads} reads`);
  } finally {
    for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
  }
});
