// The build cache: step key -> the image that step produced. A key is the
// sha256 of the parent image ID, the instruction as it ran (expanded, with
// the ARG values RUN sees) and, for COPY/ADD, the hash of the copied files'
// paths, modes, owners and contents. The images themselves are ordinary
// (untagged, with a parent) rows, so garbage collection keeps what the
// cache points at, and `builder prune` drops the rows and those images.

import { createHash } from 'node:crypto';
import type { Database } from '../stores/metadata.ts';

const MIGRATIONS = [
  (db: import('node:sqlite').DatabaseSync) => db.exec(`
    CREATE TABLE build_cache (
      key      TEXT PRIMARY KEY,
      image_id TEXT NOT NULL,
      created  INTEGER NOT NULL
    );
    CREATE INDEX build_cache_image ON build_cache(image_id);
  `),
];

export class BuildCache {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
    db.migrate('builder', MIGRATIONS);
  }

  static key(parts: string[]): string {
    const h = createHash('sha256');
    for (const p of parts) h.update(p).update('\0');
    return h.digest('hex');
  }

  get(key: string): string | undefined {
    const row = this.#db.sqlite.prepare('SELECT image_id FROM build_cache WHERE key = ?').get(key) as { image_id: string } | undefined;
    if (!row) return undefined;
    if (!this.#db.images.get(row.image_id)) {
      this.#db.sqlite.prepare('DELETE FROM build_cache WHERE key = ?').run(key);
      return undefined;
    }
    return row.image_id;
  }

  put(key: string, imageId: string): void {
    this.#db.sqlite.prepare('INSERT INTO build_cache (key, image_id, created) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET image_id = excluded.image_id, created = excluded.created')
      .run(key, imageId, Date.now());
  }

  imageIds(): string[] {
    return (this.#db.sqlite.prepare('SELECT DISTINCT image_id FROM build_cache').all() as Array<{ image_id: string }>).map((r) => r.image_id);
  }

  clear(): number {
    return Number(this.#db.sqlite.prepare('DELETE FROM build_cache').run().changes);
  }
}
