// Images, tags and repo digests in SQLite. References are stored fully
// normalized ("docker.io/library/busybox:latest"); turning them into the
// familiar form is the image service's business.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ImageConfigFile } from '../../core/image.ts';

/** One layer of an image as stored: the compressed blob and what it unpacks to. */
export interface LayerRecord {
  digest: string;          // blob digest in the content store
  mediaType: string;
  size: number;            // compressed bytes
  diffId: string;          // sha256 of the uncompressed tar
  uncompressedSize: number; // bytes of file content (apply result)
}

export interface ImageRow {
  id: string;
  manifestDigest: string;
  created: string;
  size: number;
  config: ImageConfigFile;
  chainId: string | null;
  parent: string;
  layers: LayerRecord[];
  added: number;
}

interface RawImage {
  id: string; manifest_digest: string; created: string; size: number; config: string;
  chain_id: string | null; parent: string; layers: string; added: number;
}

function fromRaw(r: RawImage): ImageRow {
  return {
    id: r.id, manifestDigest: r.manifest_digest, created: r.created, size: Number(r.size),
    config: JSON.parse(r.config) as ImageConfigFile, chainId: r.chain_id, parent: r.parent,
    layers: JSON.parse(r.layers) as LayerRecord[], added: Number(r.added),
  };
}

export interface ImageRepository {
  put(row: ImageRow): void;
  get(id: string): ImageRow | undefined;
  list(): ImageRow[];
  /** Deletes the image with its tags and digests. */
  delete(id: string): void;
  /** IDs starting with "sha256:<hexPrefix>" (at most `limit`). */
  byPrefix(hexPrefix: string, limit?: number): string[];
  /** Images whose parent is id. */
  children(id: string): string[];

  /** Points ref at imageId; returns the image it pointed at before, if any. */
  setTag(ref: string, imageId: string): string | undefined;
  removeTag(ref: string): boolean;
  tagTarget(ref: string): string | undefined;
  tagsOf(imageId: string): string[];
  allTags(): Array<{ reference: string; imageId: string }>;

  addDigest(ref: string, imageId: string): void;
  removeDigest(ref: string): boolean;
  digestTarget(ref: string): string | undefined;
  digestsOf(imageId: string): string[];
  allDigests(): Array<{ reference: string; imageId: string }>;
}

export class SqliteImageRepository implements ImageRepository {
  readonly #s: Record<string, StatementSync>;

  constructor(db: DatabaseSync) {
    const p = (sql: string) => db.prepare(sql);
    this.#s = {
      put: p(`INSERT INTO images (id, manifest_digest, created, size, config, chain_id, parent, layers, added)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT(id) DO UPDATE SET manifest_digest = excluded.manifest_digest, created = excluded.created,
                size = excluded.size, config = excluded.config, chain_id = excluded.chain_id,
                parent = excluded.parent, layers = excluded.layers`),
      get: p('SELECT * FROM images WHERE id = ?'),
      list: p('SELECT * FROM images ORDER BY added'),
      del: p('DELETE FROM images WHERE id = ?'),
      delTags: p('DELETE FROM tags WHERE image_id = ?'),
      delDigests: p('DELETE FROM repo_digests WHERE image_id = ?'),
      prefix: p("SELECT id FROM images WHERE id LIKE 'sha256:' || ? || '%' LIMIT ?"),
      children: p('SELECT id FROM images WHERE parent = ?'),
      tagGet: p('SELECT image_id FROM tags WHERE reference = ?'),
      tagSet: p('INSERT INTO tags (reference, image_id) VALUES (?, ?) ON CONFLICT(reference) DO UPDATE SET image_id = excluded.image_id'),
      tagDel: p('DELETE FROM tags WHERE reference = ?'),
      tagsOf: p('SELECT reference FROM tags WHERE image_id = ? ORDER BY reference'),
      tagsAll: p('SELECT reference, image_id FROM tags ORDER BY reference'),
      digGet: p('SELECT image_id FROM repo_digests WHERE reference = ?'),
      digSet: p('INSERT INTO repo_digests (reference, image_id) VALUES (?, ?) ON CONFLICT(reference) DO UPDATE SET image_id = excluded.image_id'),
      digDel: p('DELETE FROM repo_digests WHERE reference = ?'),
      digOf: p('SELECT reference FROM repo_digests WHERE image_id = ? ORDER BY reference'),
      digAll: p('SELECT reference, image_id FROM repo_digests ORDER BY reference'),
    };
  }

  put(row: ImageRow): void {
    this.#s.put.run(row.id, row.manifestDigest, row.created, row.size, JSON.stringify(row.config),
      row.chainId, row.parent, JSON.stringify(row.layers), row.added);
  }

  get(id: string): ImageRow | undefined {
    const r = this.#s.get.get(id) as RawImage | undefined;
    return r ? fromRaw(r) : undefined;
  }

  list(): ImageRow[] {
    return (this.#s.list.all() as unknown as RawImage[]).map(fromRaw);
  }

  delete(id: string): void {
    this.#s.delTags.run(id);
    this.#s.delDigests.run(id);
    this.#s.del.run(id);
  }

  byPrefix(hexPrefix: string, limit = 2): string[] {
    if (!/^[a-f0-9]*$/.test(hexPrefix)) return [];
    return (this.#s.prefix.all(hexPrefix, limit) as Array<{ id: string }>).map((r) => r.id);
  }

  children(id: string): string[] {
    return (this.#s.children.all(id) as Array<{ id: string }>).map((r) => r.id);
  }

  setTag(ref: string, imageId: string): string | undefined {
    const before = this.tagTarget(ref);
    this.#s.tagSet.run(ref, imageId);
    return before;
  }

  removeTag(ref: string): boolean {
    return Number(this.#s.tagDel.run(ref).changes) > 0;
  }

  tagTarget(ref: string): string | undefined {
    return (this.#s.tagGet.get(ref) as { image_id: string } | undefined)?.image_id;
  }

  tagsOf(imageId: string): string[] {
    return (this.#s.tagsOf.all(imageId) as Array<{ reference: string }>).map((r) => r.reference);
  }

  allTags(): Array<{ reference: string; imageId: string }> {
    return (this.#s.tagsAll.all() as Array<{ reference: string; image_id: string }>).map((r) => ({ reference: r.reference, imageId: r.image_id }));
  }

  addDigest(ref: string, imageId: string): void {
    this.#s.digSet.run(ref, imageId);
  }

  removeDigest(ref: string): boolean {
    return Number(this.#s.digDel.run(ref).changes) > 0;
  }

  digestTarget(ref: string): string | undefined {
    return (this.#s.digGet.get(ref) as { image_id: string } | undefined)?.image_id;
  }

  digestsOf(imageId: string): string[] {
    return (this.#s.digOf.all(imageId) as Array<{ reference: string }>).map((r) => r.reference);
  }

  allDigests(): Array<{ reference: string; imageId: string }> {
    return (this.#s.digAll.all() as Array<{ reference: string; image_id: string }>).map((r) => ({ reference: r.reference, imageId: r.image_id }));
  }
}
