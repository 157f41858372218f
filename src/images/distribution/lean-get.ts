// A blob GET over a plain TCP connection, its body read into one buffer
// that is reused for every read (net.Socket's `onread`):
//
//   const r = await leanGet(url, headers, timeouts);     // null: https, use send()
//   if (r.status === 200 && r.length !== null) await r.pump((chunk) => copyOut(chunk));
//   else r.destroy();                                   // and ask again through send()
//
// Node's HTTP client hands over a body in 64 KiB buffers allocated for each
// socket read; for a 200 MB layer that is 3,000 fresh buffers, and the page
// faults and garbage collections they cost took 1.0-1.1 s of the daemon's
// CPU against 0.2-0.3 s for 1 MiB reads into one buffer (200 MB from
// `berth registry serve` on loopback, load ~11). Only what a blob download
// needs is here: one request per connection (Connection: close), a body
// framed by Content-Length; anything else (a redirect, a challenge, an
// error, a chunked body) is for the caller to ask again the ordinary way.

import * as net from 'node:net';
import { unavailable } from '../../core/errors.ts';
import type { Timeouts } from './transport.ts';

/** One read's worth: what the socket has, up to this much, lands in the buffer at once. */
const READ_BUFFER = 1 << 20;
const MAX_HEAD = 64 * 1024;

export interface LeanResponse {
  status: number;
  /** Lowercased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body's length from Content-Length; null when the body is framed otherwise (chunked, or up to the close). */
  length: number | null;
  /**
   * Hands the body to onChunk, a piece at a time; a piece is valid only
   * during the call (the buffer is read into again). When onChunk returns a
   * promise, reading waits for it. Resolves once `length` bytes came;
   * rejects (unavailable) on a cut connection or an idle body.
   */
  pump(onChunk: (chunk: Buffer) => Promise<void> | null): Promise<void>;
  destroy(err?: Error): void;
}

const unsafeHeader = (v: string) => /[\r\n]/.test(v);

/**
 * Sends GET url with headers on a new connection; resolves once the
 * response's head is in. null for URLs it does not handle (https) or
 * header values it will not put on the wire.
 */
export function leanGet(url: string, headers: Record<string, string>, t: Timeouts): Promise<LeanResponse | null> {
  const u = new URL(url);
  if (u.protocol !== 'http:' || Object.entries(headers).some(([k, v]) => unsafeHeader(k) || unsafeHeader(v))) return Promise.resolve(null);
  const lines = [`GET ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, 'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  const what = `GET ${url}`;
  const buf = Buffer.allocUnsafe(READ_BUFFER);
  let head: Buffer | null = Buffer.alloc(0);
  /** Body bytes that came with the head, before pump() was called. */
  let early: Buffer | null = null;
  let length: number | null = null;
  let got = 0;
  let sink: ((c: Buffer) => Promise<void> | null) | null = null;
  let done: ((err?: Error) => void) | null = null;
  let failure: Error | null = null;
  let closed = false;
  let sock: net.Socket;

  return new Promise<LeanResponse | null>((resolve, reject) => {
    const headTimer = setTimeout(() => fail(unavailable(`no response from ${u.host} within ${t.headersMs / 1000}s (GET ${u.pathname})`)), t.headersMs);
    const fail = (err: Error) => {
      if (failure) return;
      failure = err;
      clearTimeout(headTimer);
      sock.destroy();
      reject(err);
      done?.(err);
    };
    /** Gives c to the sink; false pauses the socket until a returned promise settles. */
    const feed = (c: Buffer): boolean => {
      got += c.length;
      const wait = c.length ? sink!(c) : null;
      const complete = length !== null && got >= length;
      if (complete) {
        sock.destroy();
        if (!wait) done!();
      }
      if (!wait) return true;
      wait.then(() => { if (complete) done!(); else sock.resume(); }, (err: unknown) => fail(err as Error));
      return false;
    };
    const onHead = (raw: Buffer, end: number): boolean => {
      clearTimeout(headTimer);
      const [statusLine, ...rest] = raw.toString('latin1', 0, end).split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
      if (!m) { fail(unavailable(`${what}: not an HTTP response`)); return false; }
      const hs: Record<string, string> = {};
      for (const l of rest) {
        const i = l.indexOf(':');
        if (i <= 0) continue;
        const k = l.slice(0, i).trim().toLowerCase();
        const v = l.slice(i + 1).trim();
        hs[k] = hs[k] === undefined ? v : `${hs[k]}, ${v}`;
      }
      const cl = hs['content-length'];
      length = !hs['transfer-encoding'] && cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : null;
      const body = raw.subarray(end + 4);
      if (body.length) early = Buffer.from(body);
      sock.setTimeout(t.idleMs, () => fail(unavailable(`${u.host} stopped sending (GET ${u.pathname}: nothing for ${t.idleMs / 1000}s)`)));
      head = null;
      resolve({
        status: Number(m[1]), headers: hs, length,
        pump: (onChunk) => new Promise<void>((res, rej) => {
          if (failure) { rej(failure); return; }
          sink = onChunk;
          done = (err) => { done = () => {}; if (err) rej(err); else res(); };
          const first = early;
          early = null;
          if (first && !feed(first)) return;
          if (length !== null && got >= length) return;
          if (closed) done(cut());
          else sock.resume();
        }),
        destroy: (err) => fail(err ?? unavailable(`${what}: closed by the reader`)),
      });
      // Nothing more is read until pump() asks for it.
      return false;
    };
    sock = net.connect({
      host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80),
      onread: {
        buffer: buf,
        callback: (n: number, b: Uint8Array): boolean => {
          if (failure) return false;
          const c = Buffer.from(b.buffer, b.byteOffset, n);
          if (head) {
            head = Buffer.concat([head, c]);
            const end = head.indexOf('\r\n\r\n');
            if (end >= 0) return onHead(head, end);
            if (head.length > MAX_HEAD) fail(unavailable(`${what}: response head larger than ${MAX_HEAD} bytes`));
            return true;
          }
          return feed(c);
        },
      },
    });
    sock.setNoDelay(true);
    sock.once('connect', () => sock.write(`${lines.join('\r\n')}\r\n\r\n`));
    sock.on('error', (err) => fail(unavailable(`${what}: ${err.message}`)));
    const cut = () => unavailable(`${what}: connection closed after ${got}${length === null ? '' : ` of ${length}`} bytes`);
    sock.on('close', () => {
      closed = true;
      if (failure) return;
      if (head) fail(unavailable(`${what}: connection closed before the response`));
      // Before pump(): it says so once it has fed what came with the head.
      else if (done && (length === null || got < length)) done(cut());
    });
  });
}
