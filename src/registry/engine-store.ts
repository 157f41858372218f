// berthd's image store seen as a registry (read-only): what its registry
// listener (--registry-listen) serves, through the same handlers as
// `berth registry serve` (storage.ts).
//
//   repositories   the familiar names of the engine's tagged (or pulled by
//                  digest) images: "busybox", "team/app",
//                  "registry.example.com/app"; a name whose registry has a
//                  port ("localhost:5000/app") is no valid repository name
//                  and is not served (tag it under another name);
//   tags           the images' tags;
//   manifests      each image's stored manifest (the one it was pulled,
//                  built, committed, imported or loaded with), or, when
//                  that no longer names exactly its layers, an OCI manifest
//                  generated from them (records.ts imageManifest: the same
//                  bytes every time, kept in memory, never written);
//   blobs          the image's config and layers, straight from the
//                  engine's content store: layers are kept compressed as
//                  fetched or built, so nothing is recompressed or copied.
//
// A repository serves only the blobs and manifests of its own images.
// Nothing is cached across requests but the manifests (by image ID and
// stored manifest digest): a tag moved or an image removed is seen at once.

import * as fs from 'node:fs';
import type { ImageRepository, ImageRow } from '../stores/metadata/images.ts';
import type { FileContentStore } from '../stores/content.ts';
import { imageManifest, type ServedManifest } from '../images/records.ts';
import { familiarName, parseNormalized, refString } from '../images/reference.ts';
import { regError } from './errors.ts';
import type { ManifestRow } from './index-db.ts';
import { checkName } from './names.ts';
import type { RegistryStore } from './storage.ts';

type ImageReader = Pick<ImageRepository, 'get' | 'tagTarget' | 'allTags' | 'allDigests'>;

const MANIFEST_CACHE = 512;

/** The repository name a stored reference is served under, or null. */
function repoOf(stored: string): { repo: string; tag?: string } | null {
  try {
    const ref = parseNormalized(stored);
    const repo = familiarName(ref);
    checkName(repo);
    return { repo, ...(ref.tag !== undefined ? { tag: ref.tag } : {}) };
  } catch {
    return null;
  }
}

export class EngineStore implements RegistryStore {
  readonly #images: ImageReader;
  readonly #content: FileContentStore;
  readonly #manifests = new Map<string, ServedManifest>();

  constructor(images: ImageReader, content: FileContentStore) {
    this.#images = images;
    this.#content = content;
  }

  /** Every (repository, tag?, image) the engine holds, tags and digest references alike. */
  #entries(): Array<{ repo: string; tag?: string; imageId: string }> {
    const out: Array<{ repo: string; tag?: string; imageId: string }> = [];
    for (const t of this.#images.allTags()) {
      const r = repoOf(t.reference);
      if (r) out.push({ ...r, imageId: t.imageId });
    }
    for (const d of this.#images.allDigests()) {
      const r = repoOf(d.reference);
      if (r) out.push({ repo: r.repo, imageId: d.imageId });
    }
    return out;
  }

  /** The images of one repository (by ID). */
  #imagesOf(name: string): ImageRow[] {
    const ids = new Set(this.#entries().filter((e) => e.repo === name).map((e) => e.imageId));
    return [...ids].map((id) => this.#images.get(id)).filter((r): r is ImageRow => !!r);
  }

  /** The manifest served for an image (stored, else generated); null if its config blob is gone. */
  #served(row: ImageRow): ServedManifest | null {
    const key = `${row.id} ${row.manifestDigest}`;
    const hit = this.#manifests.get(key);
    if (hit) return hit;
    let configSize: number;
    try {
      configSize = fs.statSync(this.#content.path(row.id)).size;
    } catch {
      return null;
    }
    let stored: Buffer | null = null;
    try {
      stored = fs.readFileSync(this.#content.path(row.manifestDigest));
    } catch { /* none stored: generated */ }
    const m = imageManifest(row, stored, configSize);
    if (this.#manifests.size >= MANIFEST_CACHE) this.#manifests.delete(this.#manifests.keys().next().value!);
    this.#manifests.set(key, m);
    return m;
  }

  repoExists(name: string): boolean {
    return this.#entries().some((e) => e.repo === name);
  }

  repos(last: string, n: number): string[] {
    const all = [...new Set(this.#entries().map((e) => e.repo))].filter((r) => r > last).sort();
    return n < 0 ? all : all.slice(0, n);
  }

  tags(name: string, last: string, n: number): string[] {
    const all = this.#entries().filter((e) => e.repo === name && e.tag !== undefined && e.tag > last).map((e) => e.tag!).sort();
    return n < 0 ? all : all.slice(0, n);
  }

  tag(name: string, tag: string): string | null {
    let id: string | undefined;
    try {
      id = this.#images.tagTarget(refString({ ...parseNormalized(name), tag }));
    } catch {
      return null;
    }
    const row = id ? this.#images.get(id) : undefined;
    return row ? this.#served(row)?.digest ?? null : null;
  }

  #find(name: string, digest: string): ServedManifest | null {
    for (const row of this.#imagesOf(name)) {
      const m = this.#served(row);
      if (m?.digest === digest) return m;
    }
    return null;
  }

  manifest(name: string, digest: string): ManifestRow | null {
    const m = this.#find(name, digest);
    if (!m) return null;
    return { repo: name, digest, mediaType: m.mediaType, size: m.bytes.length, artifactType: null, subject: null, annotations: null };
  }

  async manifestBody(name: string, digest: string): Promise<Buffer> {
    const m = this.#find(name, digest);
    if (!m) throw regError('MANIFEST_UNKNOWN', undefined, { Digest: digest });
    return m.bytes;
  }

  hasBlobLink(name: string, digest: string): boolean {
    return this.#imagesOf(name).some((row) => row.id === digest || row.layers.some((l) => l.digest === digest));
  }

  blobPath(digest: string): string {
    return this.#content.path(digest);
  }

  search(term: string, n: number, offset: number): { total: number; names: string[] } {
    const t = term.toLowerCase();
    const all = this.repos('', -1).filter((r) => r.includes(t));
    return { total: all.length, names: all.slice(offset, offset + n) };
  }

  referrers(): ManifestRow[] {
    // The engine keeps no referrers (signatures, SBOMs): an empty index, as the spec answers for none.
    return [];
  }
}
