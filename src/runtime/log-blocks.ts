// The blocks a log reader reads into, lent out with the chunks that point
// into them (log-chunks.ts's ChunkDecoder compacts a block in place and
// hands out views of it). A block goes back to the free list once the
// reader is done with it and every chunk has been released, i.e. written
// to the client. A fresh block per read cost a page fault per 4 KiB and,
// at hundreds of MB per read, a full GC every few dozen MB (the daemon
// counts every Buffer as external memory); a reused one costs neither. A
// chunk that is never released only keeps its block out of the list.
//
// A pool may make its blocks with its own `alloc` (the compaction kernel's
// memories, log-compact.ts), at most `max` of them alive at once; past
// that, and for a block asked larger than usual, a plain Buffer. The idle
// blocks are let go once none has been taken or given back for `idleMs`:
// a pool shared by every reader keeps no memory long after the last read.

/** How many idle blocks a pool keeps. */
const FREE_MAX = 4;

export class Block {
  readonly buf: Buffer;
  readonly #pool: BlockPool;
  /** The reader's hold plus one per chunk out. */
  #refs = 1;

  constructor(buf: Buffer, pool: BlockPool) {
    this.buf = buf;
    this.#pool = pool;
  }

  /** One more user of the block: the function ends its hold (once; later calls do nothing). */
  hold(): () => void {
    this.#refs++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.drop();
    };
  }

  /** Ends the reader's own hold. */
  drop(): void {
    if (--this.#refs === 0) this.#pool.put(this.buf);
  }
}

export class BlockPool {
  readonly #size: number;
  readonly #alloc: ((size: number) => Buffer) | null;
  readonly #max: number;
  /** The blocks made by alloc and not yet dropped. */
  readonly #made = new WeakSet<Buffer>();
  #alive = 0;
  readonly #free: Buffer[] = [];
  readonly #idleMs: number;
  #idle: NodeJS.Timeout | null = null;

  /** `size`: the usual block (a larger one is made when more is asked for). */
  constructor(size: number, opts: { alloc?: (size: number) => Buffer; max?: number; idleMs?: number } = {}) {
    this.#size = size;
    this.#alloc = opts.alloc ?? null;
    this.#max = opts.max ?? Infinity;
    this.#idleMs = opts.idleMs ?? 5000;
  }

  take(min: number): Block {
    this.#idle?.refresh();
    let buf = this.#free.pop();
    if (buf && buf.length < min) {
      this.#forget(buf);
      buf = undefined;
    }
    buf ??= this.#make(Math.max(min, this.#size));
    return new Block(buf, this);
  }

  put(buf: Buffer): void {
    if (this.#free.length < FREE_MAX) this.#free.push(buf);
    else this.#forget(buf);
    if (this.#idle) this.#idle.refresh();
    else this.#idle = setTimeout(() => this.#letGo(), this.#idleMs).unref();
  }

  /** Blocks idle in the pool. */
  get idle(): number {
    return this.#free.length;
  }

  /** Blocks made by alloc and alive (lent or idle). */
  get alive(): number {
    return this.#alive;
  }

  #make(size: number): Buffer {
    if (!this.#alloc || this.#alive >= this.#max || size > this.#size) return Buffer.allocUnsafe(size);
    const buf = this.#alloc(size);
    this.#made.add(buf);
    this.#alive++;
    return buf;
  }

  #letGo(): void {
    this.#idle = null;
    for (const buf of this.#free.splice(0)) this.#forget(buf);
  }

  #forget(buf: Buffer): void {
    if (this.#made.delete(buf)) this.#alive--;
  }
}
