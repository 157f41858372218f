// A big upload body read straight from the request's socket into one
// reused buffer, not through Node's HTTP parser: the parser copies every
// body read (64 KiB) into a buffer allocated for it, and for a 250 MB push
// the ~4,000 fresh buffers, their page faults and the garbage collections
// they bring were a quarter of `berth registry serve`'s CPU (perf:
// memmove in the parser's on_body and the page faults under it).
//
//   const raw = takeBody(req, res);        // null: read req as a stream
//   if (raw) await raw.pump((chunk) => sink(chunk), buffer);   // chunk lent for the call
//
// How: the parser is stopped (the socket paused, the request's _read made a
// no-op), what it already parsed is taken from the request, and the rest of
// Content-Length is read from a duplicate of the socket's descriptor by a
// second net.Socket with `onread` into one buffer. The parser still expects
// the body, so the connection cannot carry another request: the answer says
// `Connection: close` (a client opens a new connection, ~0.1 ms here); a
// request pipelined behind the body is dropped with the connection unanswered
// (the client sees the connection close and must send it again).
// Plain TCP only (TLS decrypts in Node anyway), and only bodies of at least
// RAW_ABOVE bytes framed by Content-Length.

import type { IncomingMessage, ServerResponse } from 'node:http';
import * as net from 'node:net';
import { dupCloexec } from '../sys/libc.ts';
import { rawSocket } from '../sys/send-file-range.ts';
import { CopyBehind } from '../stores/write-behind.ts';
import type { Ingest } from '../stores/content.ts';

const RAW_ABOVE = 1 << 20;
const READ_BUFFER = 1 << 20;
const SLAB = 2 << 20;
/** Buffer sets kept for the next upload (each READ_BUFFER + 2 SLABs). */
const KEEP_SETS = 4;

interface BufferSet { read: Buffer; slabs: [Buffer, Buffer] }

/** Reused, so their pages stay mapped: a fresh 5 MiB per request would fault them in again. */
const spare: BufferSet[] = [];

function takeBuffers(): BufferSet {
  return spare.pop() ?? { read: Buffer.allocUnsafe(READ_BUFFER), slabs: [Buffer.allocUnsafe(SLAB), Buffer.allocUnsafe(SLAB)] };
}

function giveBack(b: BufferSet): void {
  if (spare.length < KEEP_SETS) spare.push(b);
}

type ParsingSocket = net.Socket & { _handle?: { reading?: boolean; readStop?(): number } };

export interface RawBody {
  readonly length: number;
  /**
   * Hands the body to onChunk in order, a piece at a time (valid only during
   * the call); a returned promise holds the reading until it settles.
   * Resolves after `length` bytes; rejects (code ECONNRESET) when the client
   * goes or stalls first, after what did arrive was handed over.
   */
  pump(onChunk: (c: Buffer) => Promise<void> | null, buffer: Buffer): Promise<void>;
}

/** A reader for req's body past Node's parser; null where it cannot take one (read req as a stream instead). */
export function takeBody(req: IncomingMessage, res: ServerResponse): RawBody | null {
  const cl = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || cl === undefined || !/^\d+$/.test(cl)) return null;
  const length = Number(cl);
  if (length < RAW_ABOVE || req.readableDidRead || req.readableFlowing) return null;
  const raw = rawSocket(req.socket);
  if (!raw) return null;
  const sock = raw.sock as ParsingSocket;
  // From here on nothing asks the parser for more: the request's read-ahead is cut off, the socket stopped.
  (req as unknown as { _read(): void })._read = () => {};
  sock.pause();
  return {
    length,
    pump: async (onChunk, buffer) => {
      // A resume the parser scheduled before the pause may still run (a tick): after it, stop for good.
      await new Promise((r) => setImmediate(r));
      const h = sock._handle;
      if (h?.reading) {
        h.reading = false;
        h.readStop?.();
      }
      let got = 0;
      for (let c: Buffer | null; got < length && (c = req.read() as Buffer | null) !== null;) {
        const part = c.length > length - got ? c.subarray(0, length - got) : c;
        got += part.length;
        await onChunk(part);
      }
      if (got >= length) return;
      if (sock.destroyed) throw cut(got, length);
      res.setHeader('Connection', 'close');
      const idle = sock.timeout ?? 0;
      sock.setTimeout(0);
      try {
        await readRest(raw.fd, buffer, length - got, idle, onChunk);
      } finally {
        if (!sock.destroyed && idle) sock.setTimeout(idle);
      }
    },
  };
}

function cut(got: number, length: number): Error {
  return Object.assign(new Error(`upload body cut off after ${got} of ${length} bytes`), { code: 'ECONNRESET' });
}

/** Reads want bytes from a duplicate of fd into buffer (the client's connection stays open on fd). */
function readRest(fd: number, buffer: Buffer, want: number, idleMs: number, onChunk: (c: Buffer) => Promise<void> | null): Promise<void> {
  let got = 0;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      // destroy(), never end(): end() would shut down the connection the answer still goes out on.
      d.destroy();
      if (err) reject(err);
      else resolve();
    };
    const feed = (n: number): boolean => {
      if (settled) return false;
      const c = buffer.subarray(0, Math.min(n, want - got));
      got += c.length;
      let wait: Promise<void> | null;
      try {
        wait = onChunk(c);
      } catch (err) {
        finish(err as Error);
        return false;
      }
      const complete = got >= want;
      if (!wait) {
        if (complete) finish();
        return !complete;
      }
      wait.then(() => { if (complete) finish(); else d.resume(); }, (err: unknown) => finish(err as Error));
      return false;
    };
    const d = new net.Socket({
      fd: dupCloexec(fd), readable: true, writable: false, allowHalfOpen: true,
      onread: { buffer, callback: (n: number) => feed(n) },
    });
    if (idleMs) d.setTimeout(idleMs, () => finish(Object.assign(new Error(`upload body idle for ${idleMs / 1000}s`), { code: 'ECONNRESET' })));
    d.on('error', (err) => finish(Object.assign(new Error(`upload body: ${err.message}`), { code: 'ECONNRESET' })));
    d.on('end', () => finish(cut(got, want)));
    d.on('close', () => finish(cut(got, want)));
  });
}

/**
 * Appends req's body to the ingest by takeBody (slabs written behind the
 * reads); false when takeBody cannot take it and nothing was read (the
 * caller streams it).
 */
export async function appendRaw(ingest: Ingest, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const raw = takeBody(req, res);
  if (!raw) return false;
  const bufs = takeBuffers();
  try {
    const w = new CopyBehind(ingest, () => {}, bufs.slabs);
    let failed: unknown = null;
    await raw.pump((c) => w.push(c), bufs.read).catch((err: unknown) => { failed = err; });
    await w.flush();
    if (failed) throw failed;
    return true;
  } finally {
    giveBack(bufs);
  }
}
