// decompress()'s bounds: a compressed stream that expands past the ratio
// (once RATIO_FLOOR bytes came out) or past maxBytes fails with a 400
// naming the limit, for every codec; small highly compressible inputs and
// streams under the limits pass whole.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { isCode } from '../../../src/core/errors.ts';
import { RATIO_FLOOR, decompress, type DecompressLimits } from '../../../src/images/compression.ts';
import { zeroBomb } from '../../helpers/bombs.ts';

const MiB = 1024 * 1024;

async function drain(bytes: Buffer, limits: DecompressLimits): Promise<number> {
  const { stream } = await decompress(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), limits);
  let n = 0;
  for await (const c of stream as AsyncIterable<Buffer>) n += c.length;
  return n;
}

describe('decompress limits', () => {
  test('a gzip bomb past the floor fails on the ratio; without the check it expands whole', async () => {
    const b = await zeroBomb(RATIO_FLOOR + 32 * MiB);
    assert.ok(b.bytes.length < MiB, `${b.bytes.length} bytes of gzip`);
    await assert.rejects(drain(b.bytes, { maxRatio: 100 }), (e) => isCode(e, 'invalid_argument')
      && /^the gzip archive expands more than 100 times \(\d+ bytes gave \d+ so far\): refused as a decompression bomb \(max-compression-ratio 100\)$/.test((e as Error).message));
    assert.equal(await drain(b.bytes, { maxRatio: 0 }), b.tarSize);
  });

  test('zstd is judged the same way', async () => {
    const b = await zeroBomb(RATIO_FLOOR + 8 * MiB, 'zstd');
    await assert.rejects(drain(b.bytes, { maxRatio: 1000 }), /the zstd archive expands more than 1000 times/);
  });

  test('below the floor, any ratio passes (small layers of zeros are legitimate)', async () => {
    const b = await zeroBomb(16 * MiB);
    assert.equal(await drain(b.bytes, { maxRatio: 2 }), b.tarSize);
  });

  test('maxBytes bounds plain, gzip and xz streams (the xz process stopped)', async () => {
    const zeros = Buffer.alloc(4 * MiB);
    const inputs: Array<[string, Buffer]> = [
      ['plain', zeros], ['gzip', zlib.gzipSync(zeros)], ['xz', execFileSync('xz', ['-c', '-0'], { input: zeros })],
    ];
    for (const [name, bytes] of inputs) {
      await assert.rejects(drain(bytes, { maxBytes: MiB }), (e) => isCode(e, 'invalid_argument')
        && (e as Error).message === `archive exceeds the limit of ${MiB} uncompressed bytes (max-layer-size)`, name);
      assert.equal(await drain(bytes, { maxBytes: 4 * MiB }), 4 * MiB, name);
    }
  });
});
