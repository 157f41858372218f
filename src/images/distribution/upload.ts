// Uploading one blob, the way the distribution spec allows:
//
//   - monolithic: POST for a session, one PUT ?digest= with the whole blob
//     (one round trip; small and medium blobs);
//   - chunked: PATCHes of `chunk` bytes with Content-Range, each to the
//     Location the previous answer gave, then a PUT ?digest= with no body.
//     Used for blobs above CHUNKED_ABOVE, when the registry asks for a
//     minimum chunk (OCI-Chunk-Min-Length), and when it refuses a body as
//     too large (413: a proxy's body limit; the chunk is halved and the
//     upload goes on from what the registry has).
//
// A chunk cut off mid-way is resumed from the registry's own count (GET
// on the session: Range 0-N) instead of starting the blob again.

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { isCode, unavailable } from '../../core/errors.ts';
import type { RegistryClient } from './client.ts';
import { type FileBody, drop } from './transport.ts';

/** Blobs larger than this go in chunks (a cut connection then costs one chunk). */
export const CHUNKED_ABOVE = 64 << 20;
export const DEFAULT_CHUNK = 32 << 20;
const MIN_CHUNK = 256 << 10;
const ATTEMPTS = 4;

export interface BlobSource {
  digest: string;
  size: number;
  /** The blob's bytes start..end (inclusive). */
  open(start: number, end: number): Readable;
  /** The file the blob is in, when it is one: bodies then go out by sendfile (transport.ts), not through open(). */
  file?: string;
  /** Bytes the registry holds so far (for progress). */
  onProgress?(sent: number): void;
}

function appendDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

async function openSession(c: RegistryClient): Promise<{ location: string; minChunk: number }> {
  const res = await c.request('POST', `/v2/${c.repo}/blobs/uploads/`);
  if (res.statusCode !== 202 || !res.headers.location) throw await c.error(res, `upload to ${c.repo}`);
  drop(res);
  const min = Number(res.headers['oci-chunk-min-length'] ?? 0);
  return { location: c.resolve(res.headers.location), minChunk: Number.isFinite(min) && min > 0 ? min : 0 };
}

/** Where the registry's copy of the session ends (its Range header), for a resume. */
async function uploadedBytes(c: RegistryClient, location: string): Promise<{ offset: number; location: string }> {
  const res = await c.request('GET', location);
  if (res.statusCode !== 204 && res.statusCode !== 200) throw await c.error(res, `upload status on ${c.repo}`);
  drop(res);
  const m = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? ''));
  // "0-0" is what registries answer for an empty session too: read as nothing yet.
  const last = m ? Number(m[1]) : 0;
  return { offset: last > 0 ? last + 1 : 0, location: res.headers.location ? c.resolve(res.headers.location) : location };
}

/** One request's body: the file range (sent by sendfile) or a stream of it; unpipe/destroy stop a stream that is no longer wanted. */
function bodyOf(src: BlobSource, start: number, end: number): { body: Readable | FileBody; unpipe(): void; destroy(): void } {
  if (src.file) return { body: { path: src.file, start, length: end - start + 1 }, unpipe: () => {}, destroy: () => {} };
  const body = src.open(start, end);
  return { body, unpipe: () => body.unpipe(), destroy: () => body.destroy() };
}

/** Uploads src to c's repository; the registry verifies the digest on the final PUT. */
export async function uploadBlob(c: RegistryClient, src: BlobSource): Promise<void> {
  const session = await openSession(c);
  const chunk = Math.max(session.minChunk, DEFAULT_CHUNK);
  if (src.size <= CHUNKED_ABOVE && !session.minChunk) {
    const body = src.size > 0 ? bodyOf(src, 0, src.size - 1) : null;
    let res: IncomingMessage | null = null;
    try {
      res = await c.request('PUT', appendDigest(session.location, src.digest), {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(src.size) },
        body: body?.body ?? '',
      });
    } catch (err) {
      // A proxy refusing the body may reset the connection before its 413 can be read: chunks, as for a 413.
      if (!isCode(err, 'unavailable') || src.size <= MIN_CHUNK) throw err;
    } finally {
      body?.unpipe();
    }
    if (res?.statusCode === 201) { drop(res); src.onProgress?.(src.size); return; }
    // Answered before the body was read: stop reading the file.
    body?.destroy();
    if (res && res.statusCode !== 413) throw await c.error(res, `upload of ${src.digest} to ${c.repo}`);
    if (res) drop(res);
    // Too large for one request: a new session, in chunks that fit.
    const again = await openSession(c);
    return uploadChunked(c, src, again.location, Math.max(again.minChunk, Math.min(DEFAULT_CHUNK, Math.floor(src.size / 2))), again.minChunk);
  }
  return uploadChunked(c, src, session.location, chunk, session.minChunk);
}

async function uploadChunked(c: RegistryClient, src: BlobSource, location: string, chunk: number, minChunk: number): Promise<void> {
  let offset = 0;
  let failures = 0;
  while (offset < src.size) {
    const end = Math.min(src.size, offset + chunk) - 1;
    let res: IncomingMessage;
    const body = bodyOf(src, offset, end);
    try {
      res = await c.request('PATCH', location, {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${end}`, 'Content-Length': String(end - offset + 1) },
        body: body.body,
      });
    } catch (err) {
      body.destroy();
      // A cut connection (or a body limit that resets it): ask the registry how far it got, go on in smaller chunks.
      if (!isCode(err, 'unavailable') || ++failures >= ATTEMPTS) throw err;
      chunk = Math.max(MIN_CHUNK, minChunk, Math.floor(chunk / 2));
      ({ offset, location } = await uploadedBytes(c, location));
      continue;
    }
    if (res.statusCode !== 202) body.destroy();
    if (res.statusCode === 202) {
      drop(res);
      location = res.headers.location ? c.resolve(res.headers.location) : location;
      offset = end + 1;
      failures = 0;
      src.onProgress?.(offset);
      continue;
    }
    if (res.statusCode === 413 && chunk > Math.max(MIN_CHUNK, minChunk)) {
      drop(res);
      chunk = Math.max(MIN_CHUNK, minChunk, Math.floor(chunk / 2));
      ({ offset, location } = await uploadedBytes(c, location));
      continue;
    }
    if ((res.statusCode === 416 || (res.statusCode ?? 0) >= 500) && ++failures < ATTEMPTS) {
      drop(res);
      ({ offset, location } = await uploadedBytes(c, location));
      continue;
    }
    throw await c.error(res, `upload of ${src.digest} to ${c.repo} (bytes ${offset}-${end})`);
  }
  const res = await c.request('PUT', appendDigest(location, src.digest), { headers: { 'Content-Length': '0' }, body: '' });
  if (res.statusCode !== 201) throw await c.error(res, `upload of ${src.digest} to ${c.repo}`);
  drop(res);
  if (offset !== src.size) throw unavailable(`upload of ${src.digest} to ${c.repo} ended at ${offset} of ${src.size} bytes`);
}
