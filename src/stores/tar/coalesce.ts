// A socket's stream in large pieces. An HTTP request body arrives in
// chunks of ~20 KiB (the docker CLI's 250 MB build context: ~11,500 of
// them), and each chunk that crosses an async iterator, a generator and a
// Readable costs far more than the bytes it carries. Here chunks are taken
// as 'data' events (one call each) and handed on joined, up to `max`
// bytes at a time; the source is paused while that much waits unread.

import type { Readable } from 'node:stream';

const DEFAULT_MAX = 4 * 1024 * 1024;

export function coalesce(src: Readable, max = DEFAULT_MAX): AsyncIterable<Buffer> {
  return { [Symbol.asyncIterator]: () => iterate(src, max) };
}

async function* iterate(src: Readable, max: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let bytes = 0;
  let ended = false;
  let failed: Error | null = null;
  let wake: (() => void) | null = null;
  const signal = () => { const w = wake; wake = null; w?.(); };
  const onData = (c: Buffer | string) => {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    pending.push(b);
    bytes += b.length;
    if (bytes >= max) src.pause();
    signal();
  };
  const onEnd = () => { ended = true; signal(); };
  const onError = (err: Error) => { failed = err; signal(); };
  // A request whose client went away ends with 'close' and no 'end'.
  const onClose = () => { if (!ended && !failed) failed = Object.assign(new Error('aborted'), { code: 'ECONNRESET' }); signal(); };
  src.on('data', onData);
  src.once('end', onEnd);
  src.once('error', onError);
  src.once('close', onClose);
  try {
    for (;;) {
      if (pending.length) {
        const out = pending.length === 1 ? pending[0] : Buffer.concat(pending, bytes);
        pending = [];
        bytes = 0;
        if (src.isPaused()) src.resume();
        yield out;
        continue;
      }
      if (failed) throw failed;
      if (ended) return;
      await new Promise<void>((r) => { wake = r; });
    }
  } finally {
    src.off('data', onData);
    src.off('end', onEnd);
    src.off('error', onError);
    src.off('close', onClose);
    // Stopped early (a bad archive): the rest of the body is not read.
    if (!ended) src.pause();
  }
}
