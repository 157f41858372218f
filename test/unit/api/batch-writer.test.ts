// BatchWriter's release of lent pieces (log chunks that are views of a
// block their reader reads into again): never before the bytes are copied
// into a joined write or written by the socket.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { BatchWriter } from '../../../src/api/batch-writer.ts';

/** A response whose writes complete only when the test says so. */
function slowSocket(): { res: Writable; written: Buffer[]; complete: () => void } {
  const written: Buffer[] = [];
  const pending: Array<() => void> = [];
  const res = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      pending.push(() => {
        written.push(Buffer.from(chunk));
        cb();
      });
    },
  });
  return { res, written, complete: () => { for (const f of pending.splice(0)) f(); } };
}

const tick = () => new Promise((r) => setImmediate(r));

test('batch writer: a large lent piece is released once the socket has written it, not before', async () => {
  const { res, written, complete } = slowSocket();
  const out = new BatchWriter(res);
  const piece = Buffer.alloc(256 * 1024, 0x61);
  let released = 0;
  const waiting = out.push(piece, () => released++);
  assert.ok(waiting, 'a full batch is written at once');
  await tick();
  assert.equal(released, 0, 'still in the socket');
  complete();
  await waiting;
  assert.equal(released, 1);
  assert.equal(Buffer.concat(written).toString('latin1'), 'a'.repeat(256 * 1024));
});

test('batch writer: small lent pieces are released once joined; the joined write keeps their bytes', async () => {
  const { res, written, complete } = slowSocket();
  const out = new BatchWriter(res);
  const a = Buffer.from('first ');
  const b = Buffer.from('second');
  let released = 0;
  out.push(a, () => released++);
  out.push(b, () => released++);
  await tick();
  assert.equal(released, 2, 'copied into one write');
  // Their reader reuses the buffers now: the write already holds a copy.
  a.fill(0x78);
  b.fill(0x78);
  complete();
  await out.flush();
  assert.equal(Buffer.concat(written).toString(), 'first second');
});

test('batch writer: a lone small lent piece waits for its write; a gone response releases at once', async () => {
  const { res, complete } = slowSocket();
  const out = new BatchWriter(res);
  let released = 0;
  out.push(Buffer.from('alone'), () => released++);
  await tick();
  assert.equal(released, 0, 'written as it is: still in the socket');
  complete();
  await out.flush();
  await tick();
  assert.equal(released, 1);

  const gone = slowSocket();
  gone.res.destroy();
  const out2 = new BatchWriter(gone.res);
  let released2 = 0;
  await out2.push(Buffer.alloc(128 * 1024), () => released2++);
  assert.equal(released2, 1);
});
