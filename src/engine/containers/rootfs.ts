// A container's root filesystem as the host sees it: the snapshot mounted at
// <data-root>/containers/<id>/rootfs. Reference-counted, because a running
// container and an export may need it at the same time, and only the last
// one out unmounts.

import { mkdirSync } from 'node:fs';
import type { Snapshotter } from '../../core/snapshot.ts';
import { isMounted } from '../mounts.ts';
import { isMountPoint } from '../../sys/libc.ts';

export class RootfsMounts {
  readonly #snap: Snapshotter;
  readonly #pathOf: (id: string) => string;
  readonly #refs = new Map<string, number>();
  /** The last mount or unmount started per id: acquire and release run one at a time per container. */
  readonly #busy = new Map<string, Promise<unknown>>();

  /** Whether a container's writes are throwaway (`--rm`): its mount is volatile (Snapshotter.mount). */
  readonly #volatile: (id: string) => boolean;

  constructor(snapshotter: Snapshotter, pathOf: (id: string) => string, volatile: (id: string) => boolean = () => false) {
    this.#snap = snapshotter;
    this.#pathOf = pathOf;
    this.#volatile = volatile;
  }

  path(id: string): string { return this.#pathOf(id); }

  /**
   * Runs fn after every earlier acquire/release of id has finished. Without
   * this, a release that had dropped the count to 0 but not yet unmounted
   * let an acquire see the mount still there, skip mounting, and then lose
   * it to that unmount (a HEAD archive right after a GET answered 404).
   */
  async #serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#busy.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const settled = run.catch(() => {});
    this.#busy.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.#busy.get(id) === settled) this.#busy.delete(id);
    }
  }

  acquire(id: string): Promise<void> {
    return this.#serial(id, () => this.#acquire(id));
  }

  release(id: string): Promise<void> {
    return this.#serial(id, () => this.#release(id));
  }

  async #acquire(id: string): Promise<void> {
    const n = this.#refs.get(id) ?? 0;
    const target = this.#pathOf(id);
    if (n === 0 && !(isMountPoint(target) ?? await isMounted(target))) {
      mkdirSync(target, { recursive: true });
      await this.#snap.mount(id, target, { volatile: this.#volatile(id) });
    }
    this.#refs.set(id, n + 1);
  }

  async #release(id: string): Promise<void> {
    const n = (this.#refs.get(id) ?? 1) - 1;
    if (n > 0) {
      this.#refs.set(id, n);
      return;
    }
    this.#refs.delete(id);
    // No look at mountinfo first: unmount takes a target that is not
    // mounted, and reading mountinfo costs milliseconds on a busy host.
    await this.#snap.unmount(this.#pathOf(id));
  }

  /** A mount found at boot that belongs to a running container. */
  adopt(id: string): void {
    this.#refs.set(id, 1);
  }

  /** Unmounts whatever is there, whoever holds it (the container is being removed). */
  drop(id: string): Promise<void> {
    return this.#serial(id, async () => {
      this.#refs.delete(id);
      await this.#snap.unmount(this.#pathOf(id));
    });
  }
}
