// Blob upload sessions: a POST opens one (an ingest in the content store),
// PATCHes append in order, PUT with the digest commits it (verified before
// the blob becomes visible), DELETE cancels. A session lives in memory; one
// idle past the timeout is aborted and its bytes removed. Requests on one
// session are serialized, so two PATCHes never interleave their bytes.

import { randomUUID } from 'node:crypto';
import type { ContentWriter, Ingest } from '../stores/content.ts';
import { regError } from './errors.ts';

export interface UploadSession {
  readonly uuid: string;
  readonly repo: string;
  readonly ingest: Ingest;
  readonly started: Date;
  touched: number;
  busy: Promise<unknown>;
}

export class UploadSessions {
  readonly #content: ContentWriter;
  readonly #sessions = new Map<string, UploadSession>();
  readonly #idleMs: number;
  readonly #timer: NodeJS.Timeout;

  constructor(content: ContentWriter, idleMs = 15 * 60_000) {
    this.#content = content;
    this.#idleMs = idleMs;
    this.#timer = setInterval(() => void this.#expire(), Math.min(idleMs, 60_000));
    this.#timer.unref();
  }

  get size(): number { return this.#sessions.size; }

  async start(repo: string, algorithm?: string): Promise<UploadSession> {
    const ingest = await this.#content.openIngest(algorithm ? { algorithm } : {});
    const s: UploadSession = { uuid: randomUUID(), repo, ingest, started: new Date(), touched: Date.now(), busy: Promise.resolve() };
    this.#sessions.set(s.uuid, s);
    return s;
  }

  get(repo: string, uuid: string): UploadSession {
    const s = this.#sessions.get(uuid);
    if (!s || s.repo !== repo) throw regError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: uuid.slice(0, 100) });
    s.touched = Date.now();
    return s;
  }

  /** Runs fn with the session to itself (requests on one upload queue up). */
  async exclusive<T>(s: UploadSession, fn: () => Promise<T>): Promise<T> {
    const run = s.busy.then(fn, fn);
    s.busy = run.catch(() => {});
    return run;
  }

  /** Forgets the session (after commit, which removes the ingest itself). */
  finish(s: UploadSession): void {
    this.#sessions.delete(s.uuid);
  }

  async cancel(s: UploadSession): Promise<void> {
    this.#sessions.delete(s.uuid);
    await s.ingest.abort();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const s of [...this.#sessions.values()]) await this.cancel(s);
  }

  async #expire(): Promise<void> {
    const cutoff = Date.now() - this.#idleMs;
    for (const s of [...this.#sessions.values()]) {
      if (s.touched < cutoff) await this.exclusive(s, () => this.cancel(s)).catch(() => {});
    }
  }
}
