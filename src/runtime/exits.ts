// Watching conmon's exit directory.
//
// conmon writes <exit-dir>/<id> (the exit code as text) with
// g_file_set_contents: a temporary file renamed into place, so the file
// appears whole and inotify reports a rename with the final name. One
// fs.watch on the directory serves every waiter; it is opened while
// someone waits and closed when nobody does. Waiters re-check the file
// right after registering, so an exit between "not yet" and "watching"
// is not missed. Nothing here depends on the process that started the
// container: a fresh berthd waits on an old container the same way.

import fs from 'node:fs';

type Wake = () => void;

export class ExitDirWatcher {
  readonly dir: string;
  #watcher: fs.FSWatcher | null = null;
  #waiters = new Map<string, Set<Wake>>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Calls `wake` whenever something named `id` changes in the directory,
   * until the returned function is called.
   */
  subscribe(id: string, wake: Wake): () => void {
    let set = this.#waiters.get(id);
    if (!set) this.#waiters.set(id, (set = new Set()));
    set.add(wake);
    this.#ensureWatching();
    return () => {
      const s = this.#waiters.get(id);
      if (!s) return;
      s.delete(wake);
      if (s.size === 0) this.#waiters.delete(id);
      if (this.#waiters.size === 0) this.close();
    };
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }

  #ensureWatching(): void {
    if (this.#watcher) return;
    fs.mkdirSync(this.dir, { recursive: true });
    const w = fs.watch(this.dir, { persistent: true }, (_event, name) => {
      if (name === null) {
        // The kernel queue overflowed: wake everyone to re-check.
        for (const s of this.#waiters.values()) for (const wake of s) wake();
        return;
      }
      const s = this.#waiters.get(name.toString());
      if (s) for (const wake of [...s]) wake();
    });
    w.on('error', () => {
      // The directory went away (root removed): wake all so they re-check
      // and fail cleanly; a later subscribe re-creates the watch.
      this.#watcher = null;
      for (const s of this.#waiters.values()) for (const wake of s) wake();
    });
    this.#watcher = w;
  }
}

/**
 * One timer for the liveness checks of every waiter, instead of an
 * interval each: with thousands of containers running, a check per
 * container per second (pid file, /proc, exit file, metadata) was a third
 * of the daemon's CPU at 1,500 and grew with every container. A sweep asks
 * each entry's cheap `alive()` and wakes those that say no; it runs every
 * `minMs`, or less often when a sweep takes long, so that sweeping never
 * costs more than about 2% of a CPU.
 */
export class LivenessSweep {
  readonly #entries = new Set<{ alive: () => boolean; wake: () => void }>();
  readonly #minMs: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(minMs: number) {
    this.#minMs = minMs;
  }

  get size(): number { return this.#entries.size; }

  /** Asks `alive` at every sweep and calls `wake` when it answers false (or throws), until the returned function is called. */
  add(alive: () => boolean, wake: () => void): () => void {
    const entry = { alive, wake };
    this.#entries.add(entry);
    this.#timer ??= setTimeout(() => this.#sweep(), this.#minMs);
    return () => {
      this.#entries.delete(entry);
      if (this.#entries.size === 0) this.close();
    };
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #sweep(): void {
    this.#timer = null;
    const t0 = performance.now();
    for (const e of [...this.#entries]) {
      let alive = false;
      try { alive = e.alive(); } catch { /* treated as gone: the waiter's own check decides */ }
      if (!alive) e.wake();
    }
    const spent = performance.now() - t0;
    if (this.#entries.size > 0) this.#timer ??= setTimeout(() => this.#sweep(), Math.max(this.#minMs, spent * 50));
  }
}

/**
 * Resolves with the first non-null answer of `check`, asked now, whenever
 * `id` changes in the watched directory, and whenever the liveness sweep
 * finds `alive()` false (the process that should write the file is gone
 * without writing it). Checks never overlap; an event during a check
 * triggers one more.
 */
export function waitForFile<T>(
  watcher: ExitDirWatcher, id: string, check: () => Promise<T | null>,
  opts: { signal?: AbortSignal; sweep: LivenessSweep; alive: () => boolean },
): Promise<T> {
  const { signal } = opts;
  return new Promise<T>((resolve, reject) => {
    let busy = false;
    let again = false;
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      unsubscribe();
      unsweep();
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const run = async () => {
      if (done) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        const v = await check();
        if (v !== null) finish(() => resolve(v));
      } catch (err) {
        finish(() => reject(err));
      } finally {
        busy = false;
        if (again && !done) {
          again = false;
          void run();
        }
      }
    };
    const onAbort = () => finish(() => reject(signal?.reason));
    const unsubscribe = watcher.subscribe(id, () => void run());
    const unsweep = opts.sweep.add(opts.alive, () => void run());
    signal?.addEventListener('abort', onAbort, { once: true });
    // Aborted before the listener existed: it would never fire.
    if (signal?.aborted) onAbort();
    else void run();
  });
}
