// In-memory rendezvous for `wait`, `stop` and log followers: who is waiting
// for a container's next exit or its removal. The state itself lives in the
// record; this only wakes the waiters once the record says so.

import { BerthError } from '../../core/errors.ts';

type Resolve = (code: number) => void;

export class Waiters {
  #exit = new Map<string, Set<Resolve>>();
  #removed = new Map<string, Set<Resolve>>();

  #add(map: Map<string, Set<Resolve>>, id: string, signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let set = map.get(id);
      if (!set) map.set(id, (set = new Set()));
      const entry: Resolve = (code) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(code);
      };
      const onAbort = () => {
        set!.delete(entry);
        reject(new BerthError('unavailable', 'wait cancelled'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(entry);
    });
  }

  /** Resolves with the exit code at the container's next exit. */
  nextExit(id: string, signal?: AbortSignal): Promise<number> {
    return this.#add(this.#exit, id, signal);
  }

  /** Resolves with the last exit code when the container is removed. */
  removed(id: string, signal?: AbortSignal): Promise<number> {
    return this.#add(this.#removed, id, signal);
  }

  exited(id: string, code: number): void {
    const set = this.#exit.get(id);
    this.#exit.delete(id);
    for (const r of set ?? []) r(code);
  }

  wasRemoved(id: string, code: number): void {
    this.exited(id, code);
    const set = this.#removed.get(id);
    this.#removed.delete(id);
    for (const r of set ?? []) r(code);
  }
}

/** A per-key promise chain: state changes of one container never interleave. */
export class KeyedMutex {
  #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.#tails.set(key, tail);
    void tail.then(() => { if (this.#tails.get(key) === tail) this.#tails.delete(key); });
    return next;
  }
}
