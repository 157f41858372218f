import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { isCode } from '../../../src/core/errors.ts';
import { FileContentStore, parseDigest } from '../../../src/stores/content.ts';

const sha = (b: string | Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function store(t: { after: (fn: () => void) => void }): { s: FileContentStore; root: string } {
  const root = mkdtempSync(`${tmpdir()}/berth-content-`);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return { s: new FileContentStore(root), root };
}

describe('content store', () => {
  test('writes, reads, lists and deletes blobs by digest', async (t) => {
    const { s, root } = store(t);
    const info = await s.writeBlob('hello');
    assert.deepEqual(info, { digest: sha('hello'), size: 5 });
    assert.equal(await s.has(info.digest), true);
    assert.deepEqual(await s.info(info.digest), info);
    assert.equal((await s.readBlob(info.digest)).toString(), 'hello');
    const chunks: Buffer[] = [];
    for await (const c of s.createReadStream(info.digest) as AsyncIterable<Buffer>) chunks.push(c);
    assert.equal(Buffer.concat(chunks).toString(), 'hello');
    assert.ok(existsSync(`${root}/blobs/sha256/${info.digest.slice(7)}`));
    assert.deepEqual(await s.list(), [info]);
    await s.delete(info.digest);
    assert.equal(await s.has(info.digest), false);
    await s.delete(info.digest); // missing is fine
    assert.deepEqual(await s.list(), []);
  });

  test('streams of many chunks are hashed as a whole; rewriting is idempotent', async (t) => {
    const { s } = store(t);
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(10_000, i));
    const whole = Buffer.concat(parts);
    const info = await s.ingest(Readable.from(parts), { digest: sha(whole), size: whole.length });
    assert.equal(info.digest, sha(whole));
    assert.equal((await s.ingest(Readable.from(parts))).digest, info.digest);
    assert.deepEqual((await s.readBlob(info.digest)).equals(whole), true);
  });

  test('a digest mismatch is rejected and leaves neither blob nor ingest file', async (t) => {
    const { s, root } = store(t);
    const wrong = sha('something else');
    await assert.rejects(s.writeBlob('payload', { digest: wrong }), (e) => isCode(e, 'invalid_argument') && /does not match/.test((e as Error).message));
    assert.equal(await s.has(wrong), false);
    assert.equal(await s.has(sha('payload')), false);
    assert.deepEqual(readdirSync(`${root}/ingest`), []);
    assert.deepEqual(readdirSync(`${root}/blobs/sha256`), []);
  });

  test('size mismatches are rejected, too long or too short', async (t) => {
    const { s, root } = store(t);
    await assert.rejects(s.writeBlob('12345', { size: 4 }), /larger than the expected 4 bytes/);
    await assert.rejects(s.writeBlob('12345', { size: 6 }), /does not match the expected 6 bytes/);
    assert.deepEqual(readdirSync(`${root}/ingest`), []);
    assert.deepEqual(readdirSync(`${root}/blobs/sha256`), []);
  });

  test('hold runs with the verified digest before the blob is visible; a failing hold leaves nothing', async (t) => {
    const { s, root } = store(t);
    const seen: Array<{ digest: string; visible: boolean }> = [];
    const info = await s.ingest(Readable.from([Buffer.from('held')]), {}, async (b) => {
      seen.push({ digest: b.digest, visible: await s.has(b.digest) });
    });
    assert.deepEqual(seen, [{ digest: sha('held'), visible: false }]);
    assert.equal(await s.has(info.digest), true);
    await assert.rejects(s.ingest(Readable.from([Buffer.from('refused')]), {}, async () => { throw new Error('no lease'); }), /no lease/);
    assert.equal(await s.has(sha('refused')), false);
    assert.deepEqual(readdirSync(`${root}/ingest`), []);
  });

  test('a failing source stream leaves nothing behind', async (t) => {
    const { s, root } = store(t);
    async function* broken() {
      yield Buffer.from('partial data');
      throw new Error('connection reset');
    }
    await assert.rejects(s.ingest(broken()), /connection reset/);
    assert.deepEqual(readdirSync(`${root}/ingest`), []);
    assert.deepEqual(await s.list(), []);
  });

  test('a keyed ingest has one writer at a time: the same key waits for commit, release or abort; others do not', async (t) => {
    const { s } = store(t);
    const first = await s.openIngest({ key: 'pull:r/a@x' });
    const other = await s.openIngest({ key: 'pull:r/b@x' });
    let second: Awaited<ReturnType<FileContentStore['openIngest']>> | null = null;
    const opening = s.openIngest({ key: 'pull:r/a@x' }).then((i) => { second = i; return i; });
    await first.write(Buffer.from('part'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(second, null, 'a second writer of the same key got in while the first was open');
    await first.release();
    const resumed = await opening;
    assert.equal(resumed.offset, 4, 'the second writer resumes after the bytes the first left');
    await resumed.write(Buffer.from('-rest'));
    assert.deepEqual(await resumed.commit({ digest: sha('part-rest') }), { digest: sha('part-rest'), size: 9 });
    const third = await s.openIngest({ key: 'pull:r/a@x' });
    assert.equal(third.offset, 0);
    await third.abort();
    await other.abort();
  });

  test('an ingest opened with hash: false commits under the digest its caller computed, or hashes its file; a wrong one is refused', async (t) => {
    const { s } = store(t);
    const given = await s.openIngest({ key: 'pull:r/c@x', hash: false });
    await given.write([Buffer.from('part'), Buffer.from('-rest')]);
    await given.release();
    const resumed = await s.openIngest({ key: 'pull:r/c@x', hash: false });
    assert.equal(resumed.offset, 9, 'a resumed unhashed ingest starts after the bytes in its file');
    assert.deepEqual(await resumed.commit({ digest: sha('part-rest'), size: 9 }, undefined, sha('part-rest')), { digest: sha('part-rest'), size: 9 });
    assert.equal((await s.readBlob(sha('part-rest'))).toString(), 'part-rest');
    const itself = await s.openIngest({ hash: false });
    await itself.write(Buffer.from('hashed at commit'));
    assert.deepEqual(await itself.commit({ digest: sha('hashed at commit') }), { digest: sha('hashed at commit'), size: 16 });
    const wrong = await s.openIngest({ key: 'pull:r/d@x', hash: false });
    await wrong.write(Buffer.from('evil'));
    await assert.rejects(wrong.commit({ digest: sha('good') }, undefined, sha('evil')), (e) => isCode(e, 'invalid_argument') && /does not match/.test((e as Error).message));
    assert.equal(await s.has(sha('evil')), false);
    assert.equal(await s.has(sha('good')), false);
    assert.deepEqual(readdirSync(`${s.root}/ingest`), [], 'a refused ingest leaves no file');
  });

  test('leftover ingest files of a crashed run are removed on open', async (t) => {
    const { root } = store(t);
    writeFileSync(`${root}/ingest/deadbeef`, 'half a blob');
    new FileContentStore(root);
    assert.deepEqual(readdirSync(`${root}/ingest`), []);
  });

  test('missing blobs are not_found; malformed digests invalid', async (t) => {
    const { s } = store(t);
    const missing = sha('nope');
    await assert.rejects(s.readBlob(missing), (e) => isCode(e, 'not_found'));
    await assert.rejects(s.info(missing), (e) => isCode(e, 'not_found'));
    assert.throws(() => s.createReadStream(missing), (e) => isCode(e, 'not_found'));
    for (const bad of ['sha256:xyz', 'md5:abcd', 'sha256', `sha256:${'A'.repeat(64)}`, `sha256:../${'a'.repeat(61)}`]) {
      assert.throws(() => parseDigest(bad), (e) => isCode(e, 'invalid_argument'), bad);
      assert.equal(await s.has(bad), false);
    }
  });
});
