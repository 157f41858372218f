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

test('batch writer: small lent pieces are copied into the batch and released at once; the write keeps their bytes', async () => {
  const { res, written, complete } = slowSocket();
  const out = new BatchWriter(res);
  const a = Buffer.from('first ');
  const b = Buffer.from('second');
  let released = 0;
  out.push(a, () => released++);
  assert.equal(released, 1, 'copied at push');
  out.push(b, () => released++);
  assert.equal(released, 2);
  // Their reader reuses the buffers now: the batch already holds a copy.
  a.fill(0x78);
  b.fill(0x78);
  await tick();
  complete();
  await out.flush();
  assert.equal(Buffer.concat(written).toString(), 'first second');
});

test('batch writer: batches written one after another never overwrite each other; order kept around large pieces', async () => {
  const { res, written, complete } = slowSocket();
  const out = new BatchWriter(res);
  const big = Buffer.alloc(32 * 1024, 0x42);
  const expect: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    const line = Buffer.from(`line ${i}\n`);
    expect.push(line);
    void out.push(line);
    if (i % 1000 === 999) {
      // A flush per turn: earlier batches are still in the socket while later pieces are copied.
      await tick();
      expect.push(big);
      void out.push(big);
    }
  }
  // The socket takes what is waiting at every turn until all is written.
  const pump = setInterval(complete, 1);
  try {
    await out.flush();
  } finally {
    clearInterval(pump);
  }
  assert.equal(Buffer.concat(written).toString('latin1'), Buffer.concat(expect).toString('latin1'));
});

test('batch writer: a gone response releases a large lent piece at once', async () => {
  const gone = slowSocket();
  gone.res.destroy();
  const out = new BatchWriter(gone.res);
  let released = 0;
  await out.push(Buffer.alloc(128 * 1024), () => released++);
  assert.equal(released, 1);
});
