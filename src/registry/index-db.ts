// The registry's index: which repositories exist, which blobs each may
// serve (pushed, mounted or referenced by its manifests), its manifests
// (with what the referrers API needs) and its tags. One SQLite file in WAL
// mode, so tag and catalog listings are index range scans however many
// repositories there are. The bytes themselves live in the content store;
// a row is written only after its blob is in place, so the index never
// names a blob that is not there.

import * as fs from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS repos (name TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS blob_links (
    repo TEXT NOT NULL, digest TEXT NOT NULL, linked INTEGER NOT NULL,
    PRIMARY KEY (repo, digest)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS blob_links_digest ON blob_links(digest);
  CREATE TABLE IF NOT EXISTS manifests (
    repo TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,
    artifact_type TEXT, subject TEXT, annotations TEXT,
    PRIMARY KEY (repo, digest)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS manifests_subject ON manifests(repo, subject);
  CREATE INDEX IF NOT EXISTS manifests_digest ON manifests(digest);
  CREATE TABLE IF NOT EXISTS manifest_refs (
    repo TEXT NOT NULL, manifest TEXT NOT NULL, child TEXT NOT NULL,
    PRIMARY KEY (repo, manifest, child)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS manifest_refs_child ON manifest_refs(child);
  CREATE TABLE IF NOT EXISTS tags (
    repo TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (repo, tag)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS tags_digest ON tags(repo, digest);
`;

export interface ManifestRow {
  repo: string;
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | null;
  subject: string | null;
  annotations: Record<string, string> | null;
}

type Stmt = ReturnType<DatabaseSync['prepare']>;

export class RegistryIndex {
  readonly #db: DatabaseSync;
  readonly #stmts = new Map<string, Stmt>();

  constructor(file: string, readOnly = false) {
    if (!readOnly) fs.mkdirSync(file.slice(0, file.lastIndexOf('/')) || '.', { recursive: true });
    this.#db = new DatabaseSync(file);
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    this.#db.exec(SCHEMA);
  }

  #q(sql: string): Stmt {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  transaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const r = fn();
      this.#db.exec('COMMIT');
      return r;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  repoExists(repo: string): boolean {
    return !!this.#q('SELECT 1 FROM repos WHERE name = ?').get(repo);
  }

  /** Repositories after `last`, in order, at most n (n < 0: all). */
  repos(last: string, n: number): string[] {
    const rows = this.#q('SELECT name FROM repos WHERE name > ? ORDER BY name LIMIT ?').all(last, n < 0 ? -1 : n);
    return rows.map((r) => r.name as string);
  }

  /** Repositories whose name contains term (LIKE is case-insensitive for ASCII), one page, and the count of all. */
  search(term: string, n: number, offset: number): { total: number; names: string[] } {
    const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const total = Number(this.#q("SELECT count(*) AS c FROM repos WHERE name LIKE ? ESCAPE '\\'").get(pattern)!.c);
    const names = this.#q("SELECT name FROM repos WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ? OFFSET ?").all(pattern, n, offset)
      .map((r) => r.name as string);
    return { total, names };
  }

  linkBlob(repo: string, digest: string): void {
    this.#q('INSERT OR IGNORE INTO repos(name) VALUES (?)').run(repo);
    this.#q('INSERT OR IGNORE INTO blob_links(repo, digest, linked) VALUES (?, ?, ?)').run(repo, digest, Date.now());
  }

  hasBlobLink(repo: string, digest: string): boolean {
    return !!this.#q('SELECT 1 FROM blob_links WHERE repo = ? AND digest = ?').get(repo, digest);
  }

  unlinkBlob(repo: string, digest: string): boolean {
    return Number(this.#q('DELETE FROM blob_links WHERE repo = ? AND digest = ?').run(repo, digest).changes) > 0;
  }

  putManifest(row: ManifestRow, children: string[]): void {
    this.#q('INSERT OR IGNORE INTO repos(name) VALUES (?)').run(row.repo);
    this.#q(`INSERT OR REPLACE INTO manifests(repo, digest, media_type, size, artifact_type, subject, annotations)
      VALUES (?, ?, ?, ?, ?, ?, ?)`).run(row.repo, row.digest, row.mediaType, row.size, row.artifactType, row.subject,
      row.annotations ? JSON.stringify(row.annotations) : null);
    for (const c of children) this.#q('INSERT OR IGNORE INTO manifest_refs(repo, manifest, child) VALUES (?, ?, ?)').run(row.repo, row.digest, c);
  }

  manifest(repo: string, digest: string): ManifestRow | null {
    const r = this.#q('SELECT * FROM manifests WHERE repo = ? AND digest = ?').get(repo, digest);
    return r ? toManifestRow(r) : null;
  }

  /** Removes the manifest, its references and every tag naming it. */
  deleteManifest(repo: string, digest: string): boolean {
    const n = Number(this.#q('DELETE FROM manifests WHERE repo = ? AND digest = ?').run(repo, digest).changes);
    this.#q('DELETE FROM manifest_refs WHERE repo = ? AND manifest = ?').run(repo, digest);
    this.#q('DELETE FROM tags WHERE repo = ? AND digest = ?').run(repo, digest);
    return n > 0;
  }

  referrers(repo: string, subject: string): ManifestRow[] {
    return this.#q('SELECT * FROM manifests WHERE repo = ? AND subject = ? ORDER BY digest').all(repo, subject).map(toManifestRow);
  }

  setTag(repo: string, tag: string, digest: string): void {
    this.#q('INSERT OR REPLACE INTO tags(repo, tag, digest) VALUES (?, ?, ?)').run(repo, tag, digest);
  }

  tag(repo: string, tag: string): string | null {
    const r = this.#q('SELECT digest FROM tags WHERE repo = ? AND tag = ?').get(repo, tag);
    return r ? r.digest as string : null;
  }

  deleteTag(repo: string, tag: string): boolean {
    return Number(this.#q('DELETE FROM tags WHERE repo = ? AND tag = ?').run(repo, tag).changes) > 0;
  }

  tags(repo: string, last: string, n: number): string[] {
    return this.#q('SELECT tag FROM tags WHERE repo = ? AND tag > ? ORDER BY tag LIMIT ?').all(repo, last, n < 0 ? -1 : n)
      .map((r) => r.tag as string);
  }

  /** Every blob digest some manifest references, and every manifest digest (for GC marking). */
  referencedDigests(): Set<string> {
    const out = new Set<string>();
    for (const r of this.#q('SELECT DISTINCT child FROM manifest_refs').all()) out.add(r.child as string);
    for (const r of this.#q('SELECT DISTINCT digest FROM manifests').all()) out.add(r.digest as string);
    return out;
  }

  /** Blob links made after `since` (unix ms): uploads whose manifest may still be on its way. */
  recentLinks(since: number): Set<string> {
    return new Set(this.#q('SELECT DISTINCT digest FROM blob_links WHERE linked >= ?').all(since).map((r) => r.digest as string));
  }

  /** Whether any manifest (in any repository) is this digest or names it. */
  isReferenced(digest: string): boolean {
    return !!this.#q('SELECT 1 FROM manifest_refs WHERE child = ? LIMIT 1').get(digest)
      || !!this.#q('SELECT 1 FROM manifests WHERE digest = ? LIMIT 1').get(digest);
  }

  /** Whether some repository linked the blob at or after `since` (unix ms). */
  linkedSince(digest: string, since: number): boolean {
    return !!this.#q('SELECT 1 FROM blob_links WHERE digest = ? AND linked >= ? LIMIT 1').get(digest, since);
  }

  /** Drops links to blobs that are gone (after GC removed them). */
  dropLinksTo(digest: string): void {
    this.#q('DELETE FROM blob_links WHERE digest = ?').run(digest);
  }
}

function toManifestRow(r: Record<string, unknown>): ManifestRow {
  return {
    repo: r.repo as string,
    digest: r.digest as string,
    mediaType: r.media_type as string,
    size: Number(r.size),
    artifactType: (r.artifact_type as string | null) ?? null,
    subject: (r.subject as string | null) ?? null,
    annotations: r.annotations ? JSON.parse(r.annotations as string) : null,
  };
}
