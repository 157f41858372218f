// The read side of a registry's storage: what the pull endpoints (/v2/,
// tags, catalog, manifests, blobs, referrers) ask. Two implementations:
//
//   RootStore      a registry root (`berth registry serve`): the SQLite index
//                  and the content store the registry was pushed into;
//   EngineStore    berthd's own image store (engine-store.ts): its tagged
//                  images as repositories, its content store as the blobs,
//                  read-only, so one host's images are pulled by others with
//                  no push and no second copy of any blob.
//
// The handlers (manifests.ts, blobs.ts) are written against this interface
// only; the write side (uploads, manifest PUT, deletes, gc) needs a
// registry root and is refused where there is none.

import * as fs from 'node:fs';
import { isCode } from '../core/errors.ts';
import type { FileContentStore } from '../stores/content.ts';
import { regError } from './errors.ts';
import type { ManifestRow, RegistryIndex } from './index-db.ts';

export interface RegistryStore {
  repoExists(name: string): boolean;
  /** Repository names after `last`, sorted, at most n (n < 0: all). */
  repos(last: string, n: number): string[];
  /** Tags of a repository after `last`, sorted, at most n (n < 0: all). */
  tags(name: string, last: string, n: number): string[];
  /** The manifest digest a tag points at. */
  tag(name: string, tag: string): string | null;
  /** A manifest the repository holds (by digest). */
  manifest(name: string, digest: string): ManifestRow | null;
  /** A manifest's bytes (MANIFEST_UNKNOWN when gone). */
  manifestBody(name: string, digest: string): Promise<Buffer>;
  /** Whether the repository may serve this blob. */
  hasBlobLink(name: string, digest: string): boolean;
  /** Where a blob's bytes are (served by sendfile). */
  blobPath(digest: string): string;
  /** Manifests of the repository whose subject is this digest. */
  referrers(name: string, subject: string): ManifestRow[];
  /** Repositories whose name contains term (case-insensitive), sorted: one page from offset, and how many in all. */
  search(term: string, n: number, offset: number): { total: number; names: string[] };
}

/** A registry root: the index `berth registry serve` keeps and its content store. */
export class RootStore implements RegistryStore {
  readonly #content: FileContentStore;
  readonly #index: RegistryIndex;

  constructor(content: FileContentStore, index: RegistryIndex) {
    this.#content = content;
    this.#index = index;
  }

  repoExists(name: string): boolean { return this.#index.repoExists(name); }
  repos(last: string, n: number): string[] { return this.#index.repos(last, n); }
  tags(name: string, last: string, n: number): string[] { return this.#index.tags(name, last, n); }
  tag(name: string, tag: string): string | null { return this.#index.tag(name, tag); }
  manifest(name: string, digest: string): ManifestRow | null { return this.#index.manifest(name, digest); }
  hasBlobLink(name: string, digest: string): boolean { return this.#index.hasBlobLink(name, digest); }
  blobPath(digest: string): string { return this.#content.path(digest); }
  referrers(name: string, subject: string): ManifestRow[] { return this.#index.referrers(name, subject); }
  search(term: string, n: number, offset: number): { total: number; names: string[] } { return this.#index.search(term, n, offset); }

  async manifestBody(_name: string, digest: string): Promise<Buffer> {
    try {
      return await this.#content.readBlob(digest);
    } catch (err) {
      if (isCode(err, 'not_found')) throw regError('MANIFEST_UNKNOWN', `manifest ${digest} is indexed but its content is gone`);
      throw err;
    }
  }
}

/** A blob's size, when the file is there (a stat of a cached inode: done in line, no thread pool hop). */
export function blobSize(store: RegistryStore, digest: string): number | null {
  try {
    return fs.statSync(store.blobPath(digest)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
