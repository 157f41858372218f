// Blob endpoints: HEAD/GET (with Range), DELETE, and the upload protocol
// (POST to open or mount or upload monolithically, PATCH to append, PUT to
// commit, GET for status, DELETE to cancel). A blob is served from a
// repository only once that repository links it: pushed there, mounted
// there, or referenced by one of its manifests.

import * as fs from 'node:fs';
import { isCode } from '../core/errors.ts';
import { RegistryError, regError } from './errors.ts';
import { type Req, refuseWrites, send } from './http.ts';
import { checkDigest, checkName } from './names.ts';
import type { UploadSession } from './uploads.ts';
import { sendFileBody } from './send-blob.ts';
import { blobSize } from './storage.ts';
import { appendStream } from '../stores/write-behind.ts';
import { appendRaw } from './raw-body.ts';
import type { RegistryRoot } from './http.ts';

/** The blob's size, if the repository links it. */
function linkedSize(r: Req, name: string, digest: string): number {
  const size = r.state.store.hasBlobLink(name, digest) ? blobSize(r.state.store, digest) : null;
  if (size === null) throw regError('BLOB_UNKNOWN', undefined, { digest });
  return size;
}

/** "bytes=a-b", "bytes=a-", "bytes=-n" as an inclusive range within size; null if none asked. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw regError('RANGE_INVALID', `unsupported Range "${header.slice(0, 80)}"`);
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) {
    throw new RegistryError('RANGE_INVALID', `Range "${header.slice(0, 80)}" not satisfiable for ${size} bytes`, null,
      { headers: { 'Content-Range': `bytes */${size}` } });
  }
  return { start, end };
}

export async function getBlob(r: Req, name: string, rawDigest: string, head: boolean): Promise<void> {
  checkName(name);
  const digest = checkDigest(rawDigest);
  if (r.state.proxy && r.state.root) await r.state.proxy.blob(r.state.root.content, r.state.root.index, name, digest);
  const size = linkedSize(r, name, digest);
  const base = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`,
    'Cache-Control': 'max-age=31536000',
  };
  const range = head ? null : parseRange(r.req.headers.range, size);
  if (head) return send(r.res, 200, { ...base, 'Content-Length': size });
  const status = range ? 206 : 200;
  const headers: Record<string, string | number> = { ...base, 'Content-Length': range ? range.end - range.start + 1 : size };
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  if (size === 0) return send(r.res, 200, headers);
  const start = range ? range.start : 0;
  await sendFileBody(r.res, status, { 'Docker-Distribution-API-Version': 'registry/2.0', ...headers },
    r.state.store.blobPath(digest), start, Number(headers['Content-Length']));
}

export async function deleteBlob(r: Req, name: string, rawDigest: string): Promise<void> {
  checkName(name);
  const digest = checkDigest(rawDigest);
  const root = refuseWrites(r.state);
  if (!r.state.deleteEnabled) throw regError('UNSUPPORTED', 'deletion is disabled on this registry');
  if (!root.index.unlinkBlob(name, digest)) throw regError('BLOB_UNKNOWN', undefined, { digest });
  send(r.res, 202, {});
}

function uploadHeaders(name: string, s: UploadSession): Record<string, string> {
  const end = s.ingest.offset > 0 ? s.ingest.offset - 1 : 0;
  return {
    Location: `/v2/${name}/blobs/uploads/${s.uuid}`,
    Range: `0-${end}`,
    'Docker-Upload-UUID': s.uuid,
  };
}

function created(r: Req, name: string, digest: string): void {
  send(r.res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
}

/** "<start>-<end>" (inclusive); the spec's form, with docker's optional "bytes " prefix tolerated. */
function checkContentRange(r: Req, offset: number): void {
  const header = r.req.headers['content-range'];
  if (!header) return;
  const m = /^(?:bytes )?(\d+)-(\d+)$/.exec(header.trim());
  const fail = (why: string) => new RegistryError('RANGE_INVALID', why, { 'Content-Range': header.slice(0, 80) }, {
    headers: { Range: `0-${offset > 0 ? offset - 1 : 0}` },
  });
  if (!m) throw fail(`malformed Content-Range "${header.slice(0, 80)}"`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start !== offset) throw fail(`Content-Range starts at ${start}, but the upload has ${offset} bytes`);
  if (end < start) throw fail(`Content-Range end ${end} is before its start ${start}`);
  const len = r.req.headers['content-length'];
  if (len !== undefined && Number(len) !== end - start + 1) {
    throw fail(`Content-Range ${start}-${end} does not match Content-Length ${len}`);
  }
}

/** Appends the request body to the session. A cut request keeps what arrived (the client may resume). */
async function append(r: Req, s: UploadSession): Promise<void> {
  if (!await appendRaw(s.ingest, r.req, r.res)) await appendStream(s.ingest, r.req);
}

/** Commits the session's bytes as digest, linking the blob to the repository. */
async function commit(r: Req, root: RegistryRoot, name: string, s: UploadSession, digest: string): Promise<void> {
  root.uploads.finish(s);
  try {
    await s.ingest.commit({ digest });
  } catch (err) {
    if (isCode(err, 'invalid_argument')) throw regError('DIGEST_INVALID', (err as Error).message, { digest });
    throw err;
  }
  linkChecked(root, name, digest);
  created(r, name, digest);
}

/**
 * Links a blob to the repository in a transaction that sees the file on
 * disk: a garbage collection in another process cannot take it between
 * the check and the link (gc.ts).
 */
function linkChecked(root: RegistryRoot, name: string, digest: string): void {
  root.index.transaction(() => {
    if (!fs.existsSync(root.content.path(digest))) {
      throw regError('BLOB_UPLOAD_INVALID', 'the blob was removed by a concurrent garbage collection; upload it again', { digest });
    }
    root.index.linkBlob(name, digest);
  });
}

export async function startUpload(r: Req, name: string): Promise<void> {
  checkName(name);
  const root = refuseWrites(r.state);
  const q = r.url.searchParams;
  const mount = q.get('mount');
  const from = q.get('from');
  if (mount) {
    const digest = checkDigest(mount);
    if (from && from !== name) {
      checkName(from);
      if (root.index.hasBlobLink(from, digest) && await root.content.has(digest)) {
        try {
          linkChecked(root, name, digest);
          return created(r, name, digest);
        } catch (err) {
          if (!(err instanceof RegistryError)) throw err;
          // Collected meanwhile: fall through to an ordinary upload.
        }
      }
    } else if (!from && root.index.hasBlobLink(name, digest) && await root.content.has(digest)) {
      return created(r, name, digest);
    }
    // Not mountable: the spec says to open an ordinary upload instead.
  }
  const digestParam = q.get('digest');
  const digest = digestParam ? checkDigest(digestParam) : null;
  const s = await root.uploads.start(name, digest ? digest.slice(0, digest.indexOf(':')) : undefined);
  if (digest) {
    try {
      await append(r, s);
    } catch (err) {
      await root.uploads.cancel(s);
      throw err;
    }
    return commit(r, root, name, s, digest);
  }
  send(r.res, 202, uploadHeaders(name, s));
}

export async function patchUpload(r: Req, name: string, uuid: string): Promise<void> {
  checkName(name);
  const root = refuseWrites(r.state);
  const s = root.uploads.get(name, uuid);
  await root.uploads.exclusive(s, async () => {
    checkContentRange(r, s.ingest.offset);
    await append(r, s);
    // A chunked upload's bytes go to disk between its requests: the commit's fsync then has little left.
    void s.ingest.syncEarly().catch(() => {});
    send(r.res, 202, uploadHeaders(name, s));
  });
}

export async function putUpload(r: Req, name: string, uuid: string): Promise<void> {
  checkName(name);
  const root = refuseWrites(r.state);
  const s = root.uploads.get(name, uuid);
  const raw = r.url.searchParams.get('digest');
  if (!raw) throw regError('DIGEST_INVALID', 'digest parameter missing');
  const digest = checkDigest(raw);
  await root.uploads.exclusive(s, async () => {
    checkContentRange(r, s.ingest.offset);
    await append(r, s);
    await commit(r, root, name, s, digest);
  });
}

export async function uploadStatus(r: Req, name: string, uuid: string): Promise<void> {
  checkName(name);
  if (!r.state.root) throw regError('BLOB_UPLOAD_UNKNOWN');
  const s = r.state.root.uploads.get(name, uuid);
  send(r.res, 204, uploadHeaders(name, s));
}

export async function cancelUpload(r: Req, name: string, uuid: string): Promise<void> {
  checkName(name);
  const root = refuseWrites(r.state);
  const s = root.uploads.get(name, uuid);
  await root.uploads.exclusive(s, () => root.uploads.cancel(s));
  send(r.res, 204, {});
}
