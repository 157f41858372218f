// Reading an image archive (`docker load`) off the wire, once: small
// metadata files (manifest.json, index.json, repositories, configs of the
// legacy format) are kept in memory; every other file goes straight into
// the content store as a blob while it streams in, so a layer is written
// once. Links (the legacy format's duplicate layers) are recorded and
// resolved inside the archive only. Nothing is ever written under a path
// the archive names.

import { posix } from 'node:path';
import { invalid } from '../../core/errors.ts';
import type { ContentWriter } from '../../stores/content.ts';
import { TarReader } from '../../stores/tar/reader.ts';

const MAX_META = 32 << 20;
const META_NAME = /(^|\/)(manifest\.json|index\.json|repositories|oci-layout|VERSION|json|[^/]+\.json)$/;

export type ArchiveFile = { kind: 'meta'; bytes: Buffer } | { kind: 'blob'; digest: string; size: number };

export interface ArchiveFiles {
  files: Map<string, ArchiveFile>;
  /** Every blob written (to hold against GC and to drop what ends up unused). */
  blobs: string[];
  /** Resolves a path as the archive means it (through its links); null when it names nothing. */
  lookup(path: string): ArchiveFile | null;
}

/** A path inside the archive, or null when it would leave it. */
export function cleanPath(p: string): string | null {
  if (!p || p.startsWith('/')) return null;
  const n = posix.normalize(p).replace(/\/+$/, '');
  if (n === '.' || n === '..' || n.startsWith('../')) return null;
  return n;
}

export interface ReadArchiveOptions {
  maxBytes: number;
  /** Called with each blob's digest as soon as it is written (to lease it). */
  onBlob(digest: string): Promise<void>;
}

export async function readArchive(content: ContentWriter, src: AsyncIterable<Buffer> | NodeJS.ReadableStream, o: ReadArchiveOptions): Promise<ArchiveFiles> {
  const files = new Map<string, ArchiveFile>();
  const links = new Map<string, string>();
  const blobs: string[] = [];
  const r = new TarReader(src, { maxBytes: o.maxBytes, limitName: 'max-layer-size' });
  let entries = 0;
  for (let h = await r.next(); h; h = await r.next()) {
    entries++;
    const name = cleanPath(h.name);
    if (name === null) throw invalid(`archive entry "${h.name}" points outside the archive`);
    if (h.type === 'symlink') {
      const target = cleanPath(posix.join(posix.dirname(name), h.linkname));
      if (target === null) throw invalid(`archive link "${h.name}" -> "${h.linkname}" points outside the archive`);
      links.set(name, target);
      continue;
    }
    if (h.type === 'link') {
      const target = cleanPath(h.linkname);
      if (target === null) throw invalid(`archive link "${h.name}" -> "${h.linkname}" points outside the archive`);
      links.set(name, target);
      continue;
    }
    if (h.type !== 'file') continue;
    if (META_NAME.test(name) && h.size <= MAX_META) {
      const parts: Buffer[] = [];
      for await (const c of r.body()) parts.push(Buffer.from(c));
      files.set(name, { kind: 'meta', bytes: Buffer.concat(parts) });
      continue;
    }
    const blob = await content.ingest(r.body());
    blobs.push(blob.digest);
    await o.onBlob(blob.digest);
    files.set(name, { kind: 'blob', digest: blob.digest, size: blob.size });
  }
  if (entries === 0) throw invalid('the archive is empty: it holds no image (expected manifest.json or index.json)');
  const lookup = (path: string): ArchiveFile | null => {
    let p = cleanPath(path);
    for (let hops = 0; p !== null && hops < 16; hops++) {
      const f = files.get(p);
      if (f) return f;
      const next = links.get(p);
      if (next === undefined) return null;
      p = next;
    }
    return null;
  };
  return { files, blobs, lookup };
}
