// Leases: what garbage collection must keep besides what images reach.
// Work in flight takes one over the blobs and layers it writes, and drops it
// when the image row is committed (or the work failed and its leftovers are
// collected). A pull's lease has an expiry and is recorded in the metadata:
// when berthd dies mid-pull, the next start's sweep keeps what the pull had
// committed until the lease expires, and the next pull of the reference
// resumes from it (with its keyed partial downloads, kept as long), then
// supersedes the old lease. An expired lease's keys are collected.

import { randomBytes } from 'node:crypto';
import type { Logger } from '../core/logger.ts';
import type { LeaseRepository, LeaseRow } from '../stores/metadata/leases.ts';

export interface LeaseOptions {
  /**
   * Unix ms after which the lease stops holding. A lease with an expiry is
   * recorded in the metadata and outlives this process until it expires
   * (a pull: the next pull of the reference resumes from what it kept); one
   * without lives only as long as this process (an import, commit, build,
   * load or push: nothing resumes those after a restart, so what they wrote
   * goes in the next start's sweep).
   */
  expiresAt?: number;
  /** What took it ("pull docker.io/library/busybox:latest"): a later success of the same work supersedes it. */
  label?: string;
}

/**
 * Holds on chain IDs and blob digests that GC must not touch: counted ones
 * taken by this process (whatever their expiry), and the recorded leases an
 * earlier process left, which hold until they expire.
 */
export class Leases {
  readonly #held = new Map<string, number>();
  readonly #left = new Map<string, LeaseRow>();
  /** Key -> the latest expiry among the leases in #left holding it. */
  #leftKeys = new Map<string, number>();
  readonly #repo: LeaseRepository | undefined;
  readonly #now: () => number;

  constructor(repo?: LeaseRepository, now: () => number = Date.now) {
    this.#repo = repo;
    this.#now = now;
    for (const l of repo?.list() ?? []) this.#left.set(l.id, l);
    this.#index();
  }

  acquire(keys: Iterable<string>, opts: LeaseOptions = {}): () => void {
    const list = [...keys];
    let recorded: LeaseRow | null = null;
    if (opts.expiresAt !== undefined && this.#repo) {
      recorded = { id: randomBytes(8).toString('hex'), label: opts.label ?? '', createdAt: this.#now(), expiresAt: opts.expiresAt, keys: [...new Set(list)] };
      this.#repo.put(recorded);
    }
    for (const k of list) this.#held.set(k, (this.#held.get(k) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const k of list) {
        const n = (this.#held.get(k) ?? 1) - 1;
        if (n <= 0) this.#held.delete(k); else this.#held.set(k, n);
      }
      if (!recorded) return;
      try {
        this.#repo!.delete(recorded.id);
      } catch {
        // The row stays (a full disk, a closed database): it holds until it expires, like one a crash left.
        this.#left.set(recorded.id, recorded);
        this.#index();
      }
    };
  }

  has(key: string): boolean {
    return this.#held.has(key) || (this.#leftKeys.get(key) ?? 0) > this.#now();
  }

  /** Forgets the expired leases earlier processes left (their rows too); returns them. */
  expire(): LeaseRow[] {
    const now = this.#now();
    return this.#drop([...this.#left.values()].filter((l) => l.expiresAt <= now));
  }

  /** Forgets the leases earlier processes left under this label (work since finished); returns them. */
  supersede(label: string): LeaseRow[] {
    return this.#drop([...this.#left.values()].filter((l) => l.label === label));
  }

  /** When the next lease an earlier process left expires. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const l of this.#left.values()) if (next === undefined || l.expiresAt < next) next = l.expiresAt;
    return next;
  }

  #drop(rows: LeaseRow[]): LeaseRow[] {
    for (const l of rows) {
      this.#repo?.delete(l.id);
      this.#left.delete(l.id);
    }
    if (rows.length) this.#index();
    return rows;
  }

  #index(): void {
    const keys = new Map<string, number>();
    for (const l of this.#left.values()) for (const k of l.keys) keys.set(k, Math.max(keys.get(k) ?? 0, l.expiresAt));
    this.#leftKeys = keys;
  }
}

/**
 * Collects what the leases left by an earlier process held once they go:
 * on expiry (a timer for the next one) or when superseded.
 */
export class LeaseExpiry {
  readonly #leases: Leases;
  readonly #locked: <T>(fn: () => Promise<T>) => Promise<T>;
  readonly #collect: (keys: string[]) => Promise<unknown>;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | null = null;

  /** locked runs under the image service's mutex; collect removes what nothing else keeps of keys. */
  constructor(leases: Leases, locked: <T>(fn: () => Promise<T>) => Promise<T>, collect: (keys: string[]) => Promise<unknown>, log: Logger) {
    this.#leases = leases;
    this.#locked = locked;
    this.#collect = collect;
    this.#log = log;
  }

  /** (Re)arms the timer for the next expiry. */
  arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const next = this.#leases.nextExpiry();
    if (next === undefined) return;
    const delay = Math.min(Math.max(0, next - Date.now()) + 1000, 2 ** 31 - 1);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#drop(() => this.#leases.expire(), 'expired');
    }, delay).unref();
  }

  /** After a pull succeeded: the leases an earlier process left under its label go. */
  async supersede(label: string): Promise<void> {
    await this.#drop(() => this.#leases.supersede(label), 'superseded');
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #drop(take: () => LeaseRow[], why: string): Promise<void> {
    await this.#locked(async () => {
      const keys = take().flatMap((l) => l.keys);
      if (keys.length) await this.#collect(keys);
    }).catch((err) => this.#log.warn(`collecting what ${why} leases held failed`, { err: String(err) }))
      .finally(() => this.arm());
  }
}
