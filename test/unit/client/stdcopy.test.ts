import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { FrameDemuxer, copyDemuxed, encodeFrame } from '../../../src/client/stdcopy.ts';

function collect(chunks: Buffer[]): Array<[number, string]> {
  const frames: Array<[number, string]> = [];
  const d = new FrameDemuxer((s, p) => frames.push([s, p.toString()]));
  for (const c of chunks) d.push(c);
  return frames;
}

test('demuxes several frames in one chunk', () => {
  const data = Buffer.concat([encodeFrame(1, 'out\n'), encodeFrame(2, 'err\n'), encodeFrame(1, 'more')]);
  assert.deepEqual(collect([data]), [[1, 'out\n'], [2, 'err\n'], [1, 'more']]);
});

test('reassembles frames split at every possible byte boundary', () => {
  const data = Buffer.concat([encodeFrame(1, 'hello'), encodeFrame(2, 'world!'), encodeFrame(0, 'in')]);
  for (let cut = 0; cut <= data.length; cut++) {
    const frames = collect([data.subarray(0, cut), data.subarray(cut)]);
    assert.deepEqual(frames, [[1, 'hello'], [2, 'world!'], [0, 'in']], `cut at ${cut}`);
  }
  const oneByOne = collect([...data].map((b) => Buffer.from([b])));
  assert.deepEqual(oneByOne, [[1, 'hello'], [2, 'world!'], [0, 'in']]);
});

test('a large frame across many chunks arrives whole', () => {
  const payload = Buffer.alloc(300_000, 'x');
  const data = encodeFrame(1, payload);
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += 4096) chunks.push(data.subarray(i, i + 4096));
  const frames = collect(chunks);
  assert.equal(frames.length, 1);
  assert.equal(frames[0][1].length, 300_000);
});

test('empty frames are skipped; an incomplete tail is held back', () => {
  const d = new FrameDemuxer(() => assert.fail('no frame expected'));
  d.push(encodeFrame(1, ''));
  d.push(encodeFrame(1, 'abc').subarray(0, 9));
  assert.equal(d.pending, 9);
});

test('stream 3 carries a daemon error; unknown stream ids are rejected', () => {
  assert.throws(() => collect([encodeFrame(3, 'boom')]), /error from daemon in stream: boom/);
  const bad = encodeFrame(1, 'x');
  bad[0] = 7;
  assert.throws(() => collect([bad]), /Unrecognized input header: 7/);
});

test('copyDemuxed writes stdout and stderr frames to their streams', async () => {
  const src = new PassThrough();
  const out = new PassThrough();
  const err = new PassThrough();
  const outText: string[] = [];
  const errText: string[] = [];
  out.on('data', (c: Buffer) => outText.push(c.toString()));
  err.on('data', (c: Buffer) => errText.push(c.toString()));
  const done = copyDemuxed(src, out, err);
  src.write(encodeFrame(1, 'a'));
  src.write(encodeFrame(2, 'b'));
  src.end(encodeFrame(1, 'c'));
  await done;
  assert.equal(outText.join(''), 'ac');
  assert.equal(errText.join(''), 'b');
});
