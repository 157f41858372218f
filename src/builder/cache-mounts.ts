// RUN --mount=type=cache directories, kept under <builder>/cache-mounts
// across builds (builder prune empties them), and who may use them at once
// (BuildKit's sharing modes, within this daemon):
//   shared   any number of RUNs at the same time (the default);
//   locked   one RUN at a time: the next waits until the first is done;
//   private  one RUN at a time: another one running meanwhile gets a
//            further directory of the same cache ("<key>-1", ...), kept too.
// A cache's directory is made whole under a temporary name and renamed
// into place, so a crash never leaves a half-initialised cache.

import * as fs from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import type { CacheSharing } from './run-mounts.ts';

export interface CacheMountSpec {
  /** The cache's id (default: its target) and what else keys it (a from= base, mode/uid/gid). */
  keyParts: string[];
  sharing: CacheSharing;
  /** Fills a new cache directory (mode/owner, or a copy of the from= tree). */
  init(dir: string): void;
}

export interface HeldCacheMount {
  dir: string;
  release(): void;
}

export class CacheMounts {
  readonly dir: string;
  readonly #shared = new Map<string, number>();
  readonly #exclusive = new Set<string>();
  #waiters: Array<() => void> = [];

  constructor(builderRoot: string) {
    this.dir = `${builderRoot}/cache-mounts`;
  }

  static key(parts: string[]): string {
    return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
  }

  async acquire(spec: CacheMountSpec, signal?: AbortSignal): Promise<HeldCacheMount> {
    const key = CacheMounts.key(spec.keyParts);
    let dir: string;
    if (spec.sharing === 'private') {
      let n = 0;
      while (this.#busy(this.#instance(key, n))) n++;
      dir = this.#instance(key, n);
      this.#exclusive.add(dir);
    } else {
      dir = this.#instance(key, 0);
      const exclusive = spec.sharing === 'locked';
      while (exclusive ? this.#busy(dir) : this.#exclusive.has(dir)) {
        signal?.throwIfAborted();
        await new Promise<void>((res) => this.#waiters.push(res));
      }
      if (exclusive) this.#exclusive.add(dir);
      else this.#shared.set(dir, (this.#shared.get(dir) ?? 0) + 1);
    }
    try {
      this.#ensure(dir, spec.init);
    } catch (err) {
      this.#release(dir);
      throw err;
    }
    let released = false;
    return { dir, release: () => { if (!released) { released = true; this.#release(dir); } } };
  }

  #instance(key: string, n: number): string {
    return n === 0 ? `${this.dir}/${key}` : `${this.dir}/${key}-${n}`;
  }

  #busy(dir: string): boolean {
    return this.#exclusive.has(dir) || (this.#shared.get(dir) ?? 0) > 0;
  }

  #release(dir: string): void {
    if (!this.#exclusive.delete(dir)) {
      const n = (this.#shared.get(dir) ?? 1) - 1;
      if (n > 0) this.#shared.set(dir, n);
      else this.#shared.delete(dir);
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #ensure(dir: string, init: (dir: string) => void): void {
    if (fs.existsSync(dir)) return;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.dir}/.new-${randomBytes(6).toString('hex')}`;
    try {
      fs.mkdirSync(tmp, { mode: 0o755 });
      init(tmp);
      fs.renameSync(tmp, dir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Removes every cache directory not in use; returns their names. */
  prune(): string[] {
    if (!fs.existsSync(this.dir)) return [];
    const out: string[] = [];
    for (const d of fs.readdirSync(this.dir)) {
      const abs = `${this.dir}/${d}`;
      if (this.#busy(abs)) continue;
      fs.rmSync(abs, { recursive: true, force: true });
      if (!d.startsWith('.new-')) out.push(d);
    }
    return out;
  }
}
