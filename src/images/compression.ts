// Decompression by magic bytes, as docker import and docker load accept:
// plain tar, gzip, zstd (Node's zlib), and xz or bzip2 through the xz and
// bzip2 tools when the host has them (Node has neither codec).
//
// Bombs: a 9 MiB gzip can hold 10 GiB of zeros (zstd and bzip2 far more).
// Every compressed stream is watched as it expands: once it has produced
// RATIO_FLOOR bytes, an output more than `maxRatio` times the input read so
// far stops it with a 400, long before the layer-size limit (real layers
// expand 2-10 times; `max-compression-ratio` in daemon.json, 0 turns the
// check off). `maxBytes` bounds the output whatever the ratio.

import { spawn } from 'node:child_process';
import { PassThrough, Readable, Transform, pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { invalid } from '../core/errors.ts';

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

export interface DecompressLimits {
  /** Most uncompressed bytes (named max-layer-size in the error); unbounded when absent. */
  maxBytes?: number;
  /** Most output bytes per input byte once RATIO_FLOOR bytes came out; 0 or absent: no check. */
  maxRatio?: number;
}

/**
 * Output chunk of the zlib codecs (Node's default is 16 KiB). Each chunk is a
 * round trip between the event loop and a libuv thread; on a busy machine
 * every wake-up waits for a CPU, so a 150 MB layer in 16 KiB pieces (9,300
 * round trips) took seconds longer than in 1 MiB pieces (150).
 */
const CODEC_CHUNK = 1 << 20;

/** Output below which the ratio is not judged: small layers of zeros are legitimate. */
export const RATIO_FLOOR = 256 * 1024 * 1024;

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  return 'none';
}

/**
 * The uncompressed stream, whatever src was compressed with. Errors surface on the returned stream.
 * consumed (gzip and zstd): hears each chunk of src once the codec has finished with it, so that its
 * buffer can be reused (the first chunks, copied while the format is detected, are not reported).
 */
export async function decompress(
  src: NodeJS.ReadableStream | AsyncIterable<Buffer>, limits: DecompressLimits = {}, consumed?: (chunk: Buffer) => void,
): Promise<{ stream: Readable; compression: Compression }> {
  const it = (src as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 6) {
    const r = await it.next();
    if (r.done) { ended = true; break; }
    head = Buffer.concat([head, typeof r.value === 'string' ? Buffer.from(r.value) : r.value]);
  }
  const compression = detectCompression(head);
  let input = head.length;
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      input += chunk.length;
      yield chunk;
    }
  }
  const raw = Readable.from(all(), { objectMode: false });
  // Closing the returned stream early must also stop reading the source.
  const onAbort = () => { void it.return?.(); };
  let stream: Readable;
  switch (compression) {
    case 'none': stream = raw; break;
    case 'gzip': stream = through(raw, zlib.createGunzip({ chunkSize: CODEC_CHUNK }), compression, onAbort, consumed); break;
    case 'zstd': stream = through(raw, zlib.createZstdDecompress({ chunkSize: CODEC_CHUNK }), compression, onAbort, consumed); break;
    case 'xz': stream = external(raw, 'xz', ['-d', '-c', '-q']); break;
    case 'bzip2': stream = external(raw, 'bzip2', ['-d', '-c']); break;
  }
  const bounded = limits.maxBytes !== undefined || (compression !== 'none' && limits.maxRatio);
  return { stream: bounded ? guard(stream, compression, () => input, limits) : stream, compression };
}

/**
 * Counts what `stream` produces and stops it (the codec, an xz or bzip2
 * process and the source with it) at the first byte past a limit.
 */
function guard(stream: Readable, compression: Compression, input: () => number, limits: DecompressLimits): Readable {
  let output = 0;
  const maxRatio = compression === 'none' ? 0 : limits.maxRatio ?? 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      output += chunk.length;
      if (limits.maxBytes !== undefined && output > limits.maxBytes) {
        cb(invalid(`archive exceeds the limit of ${limits.maxBytes} uncompressed bytes (max-layer-size)`));
      } else if (maxRatio && output > RATIO_FLOOR && output > maxRatio * input()) {
        cb(invalid(`the ${compression} archive expands more than ${maxRatio} times (${input()} bytes gave ${output} so far): `
          + `refused as a decompression bomb (max-compression-ratio ${maxRatio})`));
      } else {
        cb(null, chunk);
      }
    },
  });
  stream.on('error', (err) => check.destroy(err));
  // Closing or failing the guard stops everything behind it.
  check.on('close', () => { if (!stream.destroyed) stream.destroy(); });
  stream.pipe(check);
  return check;
}

/** zlib's own failures (Z_BUF_ERROR, Z_DATA_ERROR, ZSTD_error_*) mean the input is damaged: the sender's fault, a 400. */
function isCodecError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ZSTD_'));
}

function damaged(compression: Compression, err: Error): Error {
  const hint = (err as { code?: string }).code === 'Z_BUF_ERROR' ? ' (the archive is truncated)' : '';
  return invalid(`the ${compression} archive is damaged: ${err.message}${hint}`);
}

function through(
  raw: Readable, t: zlib.Gunzip | zlib.ZstdDecompress, compression: Compression, onAbort: () => void, consumed?: (chunk: Buffer) => void,
): Readable {
  // The reader gets `out`, so that a codec error reaches it as the client's error.
  const out = new PassThrough();
  let failed = false;
  const fail = (err: Error) => {
    if (failed) return;
    failed = true;
    onAbort();
    raw.destroy();
    t.destroy();
    out.destroy(isCodecError(err) ? damaged(compression, err) : err);
  };
  raw.on('error', fail);
  t.on('error', fail);
  // Closing `out` early must also stop the codec and the source.
  out.on('close', () => {
    if (t.destroyed) return;
    t.destroy();
    raw.destroy();
    onAbort();
  });
  if (consumed) feed(raw, t, consumed); else raw.pipe(t);
  t.pipe(out);
  return out;
}

/**
 * raw.pipe(t), but each chunk is reported once t's write of it has completed
 * (a zlib stream's write completes when the codec has taken all its input).
 * Errors and closing are handled by through().
 */
function feed(raw: Readable, t: zlib.Gunzip | zlib.ZstdDecompress, consumed: (chunk: Buffer) => void): void {
  raw.on('data', (chunk: Buffer) => {
    if (!t.write(chunk, (err) => { if (!err) consumed(chunk); })) raw.pause();
  });
  t.on('drain', () => raw.resume());
  raw.on('end', () => t.end());
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]!.replace(/^(xz|bzip2): (\(stdin\): )?/, '').replace(/;$/, '');
}

function external(raw: Readable, cmd: string, args: string[]): Readable {
  const out = new PassThrough();
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.on('error', (err) => out.destroy(invalid(`cannot decompress ${cmd} input: ${err.message}`)));
  pipeline(raw, child.stdin, () => {});
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(invalid(`the ${cmd === 'xz' ? 'xz' : 'bzip2'} archive is damaged: ${firstLine(stderr) || `${cmd} exited with ${code}`}`));
  });
  out.on('close', () => { if (child.exitCode === null) child.kill(); raw.destroy(); });
  return out;
}
