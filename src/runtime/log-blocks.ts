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
// that, and for a block asked larger than usual, a plain Buffer of the size
// asked, used once (it is not kept for reuse). The idle
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
  /**
   * The blocks made by alloc, each with whether it is still counted alive:
   * until dropped from the pool, or collected (a chunk never released keeps
   * its block out of the pool, and it counts until it is garbage).
   */
  readonly #made = new WeakMap<Buffer, { counted: boolean }>();
  readonly #collected = new FinalizationRegistry<{ counted: boolean }>((mark) => this.#uncount(mark));
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
    // Every idle block is at least the usual size.
    const buf = (min <= this.#size ? this.#free.pop() : undefined) ?? this.#make(min);
    return new Block(buf, this);
  }

  put(buf: Buffer): void {
    // A pool with its own kind keeps only those: a plain one taken from the list would cost a copy per use.
    if (this.#free.length < FREE_MAX && (!this.#alloc || this.#made.get(buf)?.counted)) this.#free.push(buf);
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

  #make(min: number): Buffer {
    if (this.#alloc && (this.#alive >= this.#max || min > this.#size)) return Buffer.allocUnsafe(min);
    if (!this.#alloc) return Buffer.allocUnsafe(Math.max(min, this.#size));
    const buf = this.#alloc(this.#size);
    const mark = { counted: true };
    this.#made.set(buf, mark);
    // The bytes, not the Buffer: chunks are views of the same memory and outlive the block's own Buffer.
    this.#collected.register(buf.buffer, mark, mark);
    this.#alive++;
    return buf;
  }

  #letGo(): void {
    this.#idle = null;
    for (const buf of this.#free.splice(0)) this.#forget(buf);
  }

  #forget(buf: Buffer): void {
    const mark = this.#made.get(buf);
    if (!mark) return;
    this.#made.delete(buf);
    this.#collected.unregister(mark);
    this.#uncount(mark);
  }

  #uncount(mark: { counted: boolean }): void {
    if (!mark.counted) return;
    mark.counted = false;
    this.#alive--;
  }
}
