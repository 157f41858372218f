// Docker's multiplexed stream (attach and logs without a TTY): each frame is
// an 8-byte header [stream, 0, 0, 0, size as uint32 big-endian] and `size`
// bytes of payload. Stream 1 is stdout, 2 stderr, 0 stdin (written to stdout,
// as docker's stdcopy does), 3 an error text from the daemon.

import type { Readable, Writable } from 'node:stream';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const SYSTEMERR = 3;

const HEADER = 8;

export class FrameDemuxer {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #onFrame: (stream: number, payload: Buffer) => void;

  constructor(onFrame: (stream: number, payload: Buffer) => void) {
    this.#onFrame = onFrame;
  }

  /** Feeds bytes; emits every complete frame. Throws on a header it does not know. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#buffered >= HEADER) {
      const header = this.#peek(HEADER);
      const stream = header[0];
      if (stream > SYSTEMERR) throw new Error(`Unrecognized input header: ${stream}`);
      const size = header.readUInt32BE(4);
      if (this.#buffered < HEADER + size) return;
      this.#take(HEADER);
      const payload = this.#take(size);
      if (stream === SYSTEMERR) throw new Error(`error from daemon in stream: ${payload.toString('utf8')}`);
      if (size > 0) this.#onFrame(stream, payload);
    }
  }

  /** Bytes held back waiting for the rest of a frame (dropped at EOF, like docker). */
  get pending(): number {
    return this.#buffered;
  }

  #peek(n: number): Buffer {
    if (this.#chunks[0].length >= n) return this.#chunks[0].subarray(0, n);
    return Buffer.concat(this.#chunks).subarray(0, n);
  }

  #take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.#chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      return out;
    }
    const all = Buffer.concat(this.#chunks);
    const out = all.subarray(0, n);
    this.#chunks = all.length > n ? [all.subarray(n)] : [];
    this.#buffered -= n;
    return out;
  }
}

/** Encodes one frame; the daemon side of the format, used by tests and fakes. */
export function encodeFrame(stream: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/**
 * Copies a multiplexed stream to stdout/stderr (either may be null: dropped),
 * honouring back-pressure. Resolves at the source's end.
 */
export function copyDemuxed(source: Readable, stdout: Writable | null, stderr: Writable | null): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    const write = (target: Writable | null, payload: Buffer): void => {
      if (!target) return;
      if (!target.write(payload)) {
        source.pause();
        target.once('drain', () => source.resume());
      }
    };
    const demux = new FrameDemuxer((stream, payload) => {
      write(stream === STDERR ? stderr : stdout, payload);
    });
    source.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        demux.push(chunk);
      } catch (err) {
        failed = true;
        source.destroy();
        reject(err);
      }
    });
    source.on('end', () => { if (!failed) resolve(); });
    source.on('close', () => { if (!failed) resolve(); });
    source.on('error', (err) => { if (!failed) { failed = true; reject(err); } });
    // Already over: no end or close event will come.
    if (source.readableEnded || source.destroyed) resolve();
    // A paused source (a hijacked socket held since the upgrade) stays paused
    // when a data listener is added.
    source.resume();
  });
}

/** Copies a raw (TTY) stream as is. */
export function copyRaw(source: Readable, target: Writable | null): Promise<void> {
  return new Promise((resolve, reject) => {
    source.on('data', (chunk: Buffer) => {
      if (target && !target.write(chunk)) {
        source.pause();
        target.once('drain', () => source.resume());
      }
    });
    source.on('end', resolve);
    source.on('close', resolve);
    source.on('error', reject);
    if (source.readableEnded || source.destroyed) resolve();
    source.resume();
  });
}
