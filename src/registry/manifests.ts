// Manifest endpoints and the listings (tags, catalog, referrers). A pushed
// manifest is parsed and every blob or child manifest it names must already
// be in the repository (MANIFEST_BLOB_UNKNOWN otherwise); its bytes go to
// the content store under their digest, then one transaction records the
// manifest, links its blobs and moves the tag.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { artifactTypeOf, isManifestType, MT, parseManifest, type AnyManifest } from '../core/distribution.ts';
import { isCode } from '../core/errors.ts';
import { regError } from './errors.ts';
import { type Req, nextLink, page, readBody, refuseWrites, send, sendJson } from './http.ts';
import { checkDigest, checkName, checkReference } from './names.ts';

function resolve(r: Req, name: string, reference: string): string {
  const ref = checkReference(reference);
  const store = r.state.store;
  const digest = ref.digest ?? store.tag(name, ref.tag!);
  if (!digest || !store.manifest(name, digest)) {
    if (!store.repoExists(name)) throw regError('NAME_UNKNOWN', undefined, { name });
    throw regError('MANIFEST_UNKNOWN', undefined, ref.tag ? { Tag: ref.tag } : { Digest: ref.digest });
  }
  return digest;
}

export async function getManifest(r: Req, name: string, reference: string, head: boolean): Promise<void> {
  checkName(name);
  const { proxy, root, store } = r.state;
  const digest = proxy && root ? await proxy.manifest(root.content, root.index, name, checkReference(reference)) : resolve(r, name, reference);
  const row = store.manifest(name, digest);
  if (!row) throw regError('MANIFEST_UNKNOWN', undefined, { Digest: digest });
  const headers = {
    'Content-Type': row.mediaType,
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
  };
  if (r.req.headers['if-none-match'] === `"${digest}"`) return send(r.res, 304, headers);
  if (head) return send(r.res, 200, { ...headers, 'Content-Length': row.size });
  let body = r.state.bodies?.get(digest);
  if (!body) {
    body = await store.manifestBody(name, digest);
    r.state.bodies?.set(digest, body);
  }
  send(r.res, 200, headers, body);
}

/** The digests a manifest needs present in the repository. */
function children(m: AnyManifest): string[] {
  if (m.kind === 'index') return m.manifests.map((d) => d.digest);
  // Foreign layers live elsewhere (their urls), as Docker's Windows images do.
  return [m.config.digest, ...m.layers.filter((l) => l.mediaType !== MT.dockerForeignLayer).map((l) => l.digest)];
}

export async function putManifest(r: Req, name: string, reference: string): Promise<void> {
  checkName(name);
  const root = refuseWrites(r.state);
  const ref = checkReference(reference);
  const body = await readBody(r.req, r.state.maxManifestBytes, 'manifest');
  const algorithm = ref.digest ? ref.digest.slice(0, ref.digest.indexOf(':')) : 'sha256';
  const digest = `${algorithm}:${createHash(algorithm).update(body).digest('hex')}`;
  if (ref.digest && ref.digest !== digest) {
    throw regError('DIGEST_INVALID', `manifest digest ${digest} does not match the reference ${ref.digest}`, { digest: ref.digest });
  }
  let m: AnyManifest;
  try {
    m = parseManifest(body, r.req.headers['content-type'] ?? '');
  } catch (err) {
    if (isCode(err, 'invalid_argument')) throw regError('MANIFEST_INVALID', (err as Error).message);
    throw err;
  }
  const { index, content } = root;
  const refs = children(m);
  if (m.kind === 'index') {
    const missing = refs.filter((d) => !index.manifest(name, d));
    if (missing.length) throw regError('MANIFEST_BLOB_UNKNOWN', `manifest ${missing[0]} is not in repository ${name}`, { digest: missing[0] });
  } else {
    for (const d of refs) {
      if (!index.hasBlobLink(name, d) || !(await content.has(d))) {
        throw regError('MANIFEST_BLOB_UNKNOWN', `blob ${d} is not in repository ${name}`, { digest: d });
      }
    }
  }
  await content.writeBlob(body, { digest, size: body.length });
  index.transaction(() => {
    // Again, where no garbage collection can run in between (gc.ts): what was checked above may be gone.
    const onDisk = (d: string) => fs.existsSync(content.path(d));
    for (const d of refs) {
      const there = m.kind === 'index' ? !!index.manifest(name, d) : index.hasBlobLink(name, d) && onDisk(d);
      if (!there) throw regError('MANIFEST_BLOB_UNKNOWN', `blob ${d} is not in repository ${name}`, { digest: d });
    }
    if (!onDisk(digest)) throw regError('UNAVAILABLE', 'the manifest was removed by a concurrent garbage collection; push it again');
    index.putManifest({
      repo: name, digest, mediaType: m.mediaType, size: body.length,
      artifactType: artifactTypeOf(m) ?? null, subject: m.subject?.digest ?? null, annotations: m.annotations ?? null,
    }, refs);
    index.linkBlob(name, digest);
    if (ref.tag) index.setTag(name, ref.tag, digest);
  });
  send(r.res, 201, {
    Location: `/v2/${name}/manifests/${digest}`,
    'Docker-Content-Digest': digest,
    ...(m.subject ? { 'OCI-Subject': m.subject.digest } : {}),
  });
}

/** By digest: the manifest and its tags go. By tag: only the tag (the manifest stays). */
export async function deleteManifest(r: Req, name: string, reference: string): Promise<void> {
  checkName(name);
  const { index } = refuseWrites(r.state);
  if (!r.state.deleteEnabled) throw regError('UNSUPPORTED', 'deletion is disabled on this registry');
  const ref = checkReference(reference);
  const gone = index.transaction(() => ref.digest ? index.deleteManifest(name, ref.digest) : index.deleteTag(name, ref.tag!));
  if (!gone) {
    if (!index.repoExists(name)) throw regError('NAME_UNKNOWN', undefined, { name });
    throw regError('MANIFEST_UNKNOWN', `manifest unknown: ${reference}`);
  }
  send(r.res, 202, {});
}

export async function listTags(r: Req, name: string): Promise<void> {
  checkName(name);
  const { n, last } = page(r.url);
  if (r.state.proxy) return proxyTags(r, name);
  if (!r.state.store.repoExists(name)) throw regError('NAME_UNKNOWN', `repository name not known to registry`, { name });
  const tags = n === 0 ? [] : r.state.store.tags(name, last, n);
  sendJson(r.res, 200, { name, tags }, nextLink(`/v2/${name}/tags/list`, tags, n));
}

export async function catalog(r: Req): Promise<void> {
  const { n, last } = page(r.url);
  const repos = n === 0 ? [] : r.state.store.repos(last, n);
  sendJson(r.res, 200, { repositories: repos }, nextLink('/v2/_catalog', repos, n));
}

export async function referrers(r: Req, name: string, rawDigest: string): Promise<void> {
  checkName(name);
  const subject = checkDigest(rawDigest);
  const filter = r.url.searchParams.get('artifactType');
  const rows = r.state.store.referrers(name, subject).filter((m) => !filter || m.artifactType === filter);
  const manifests = rows.filter((m) => isManifestType(m.mediaType)).map((m) => ({
    mediaType: m.mediaType, digest: m.digest, size: m.size,
    ...(m.artifactType ? { artifactType: m.artifactType } : {}),
    ...(m.annotations ? { annotations: m.annotations } : {}),
  }));
  const body = JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests });
  send(r.res, 200, { 'Content-Type': MT.ociIndex, ...(filter ? { 'OCI-Filters-Applied': 'artifactType' } : {}) }, body);
}

/** A pull-through cache lists the upstream's tags (its own are only what was pulled). */
async function proxyTags(r: Req, name: string): Promise<void> {
  const proxy = r.state.proxy!;
  let res;
  try {
    res = await proxy.client(name).request('GET', `/v2/${name}/tags/list${r.url.search}`);
  } catch (err) {
    throw regError('UNAVAILABLE', `upstream ${proxy.endpoint.host}: ${(err as Error).message}`);
  }
  const body = await readBody(res, 16 << 20, 'tag list');
  const headers: Record<string, string> = { 'Content-Type': String(res.headers['content-type'] ?? 'application/json') };
  if (typeof res.headers.link === 'string') headers.Link = res.headers.link;
  send(r.res, res.statusCode ?? 502, headers, body);
}
