// Request decoding and response encoding shared by the handlers: docker's
// query conventions (BoolValue, integer parameters) and JSON in and out.

import type { ServerResponse } from 'node:http';
import { invalid } from '../core/errors.ts';

/** dockerd's httputils.BoolValue: absent, "", "0", "no", "false" and "none" are false, anything else true. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = (q.get(name) ?? '').trim().toLowerCase();
  return !(v === '' || v === '0' || v === 'no' || v === 'false' || v === 'none');
}

/** An optional integer query parameter; a value that is not one is a 400 naming it. */
export function intParam(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^[+-]?\d+$/.test(raw.trim())) throw invalid(`invalid value for "${name}": ${JSON.stringify(raw)} is not an integer`);
  return Number.parseInt(raw, 10);
}

/** A required unsigned 32-bit query parameter (resize's h and w). */
export function uint32Param(q: URLSearchParams, name: string, what: string): number {
  const raw = q.get(name) ?? '';
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n > 0xffffffff) throw invalid(`invalid resize ${what} ${JSON.stringify(raw)}`);
  return n;
}

export { readJson } from './json-body.ts';

/** Writes a JSON answer the way dockerd's WriteJSON does (one encoded value and a newline). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** A JSON answer already encoded (a newline is added, as sendJson does). */
export function sendJsonText(res: ServerResponse, status: number, json: string): void {
  const body = `${json}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** An answer with no body: 201, 204, 304. */
export function sendStatus(res: ServerResponse, status: number): void {
  res.writeHead(status, status === 204 || status === 304 ? {} : { 'Content-Length': '0' });
  res.end();
}

/** Starts a streamed answer and sends its headers at once: clients wait for them before going on. */
export function startStream(res: ServerResponse, contentType: string | null, status = 200): void {
  if (contentType) res.setHeader('Content-Type', contentType);
  res.writeHead(status);
  res.flushHeaders();
}

/**
 * Writes to a streamed answer, resolving once the chunk is handed to the
 * socket (backpressure). `written` is called once the socket is done with
 * the chunk's bytes (written, or the answer is gone): its buffer may then
 * be reused.
 */
export function writeChunk(res: NodeJS.WritableStream & { destroyed?: boolean }, chunk: Buffer | string, written?: () => void): Promise<void> {
  if (res.destroyed) {
    written?.();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    if (res.write(chunk, written && (() => written()))) resolve();
    else {
      const done = () => { res.removeListener('drain', done); res.removeListener('close', done); resolve(); };
      res.once('drain', done);
      res.once('close', done);
    }
  });
}
