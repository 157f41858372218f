// The inner loop of a plain log read (log-chunks.ts's ChunkDecoder): the
// records of one read of the container's pipe share one prefix
// ("<stamp> stdout F "), and each one's text is moved down over the
// prefixes before it, so the block becomes the log's text. In JavaScript
// that cost a newline search and a copy call per line (~100 ns, most of
// a whole-log read); this small WebAssembly function does the same with
// 16-byte vector compares: the prefix checked in 16-byte steps, the
// newline found 16 bytes at a time, the text moved 16 bytes at a time.
//
// Memory of one kernel (one per block, logs.ts's shared pool): the prefix
// being matched at [0, DATA), the block's bytes from DATA, then SLACK bytes
// that the vector loads may read past the block's end (never used). A
// buffer that is not such a block is compacted in a copy (workOn).
//
//   compact(p, end, w, plen, keepNl) -> p'
//     While the record at p (p < end) starts with the plen bytes at 0 and
//     ends with "\n" before end: its text (with that "\n" when keepNl is 1)
//     is moved to w, w advances, p goes to the next record. Returns the
//     first record that does not match (or end); the global `w` is where
//     the text ends. plen >= 16 (so a 16-byte store at w never reaches the
//     record being read: w <= p always).
//
// The function is written below as its instructions, with the label each
// branch leaves by; the module is assembled once, at the first use.

/** Where a block's bytes start in a kernel's memory (the prefix to match is kept before them). */
const DATA = 128;
/** The longest prefix a kernel matches; longer ones go the slow way. */
export const PREFIX_MAX = DATA;
/** The shortest: a 16-byte store at w must stay below the record being read. */
export const PREFIX_MIN = 16;
/** Bytes after a block that vector loads may touch (a prefix compare near the end reads up to PREFIX_MAX + 15 on). */
const SLACK = 256;
const PAGE = 65536;

// Instruction bytes (WebAssembly 2.0: the core set and fixed-width SIMD).
const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, brIf: 0x0d, void: 0x40,
  get: 0x20, set: 0x21, tee: 0x22, globalGet: 0x23, globalSet: 0x24,
  load8: 0x2d, const: 0x41,
  eqz: 0x45, eq: 0x46, ne: 0x47, ltU: 0x49, geU: 0x4f,
  ctz: 0x68, add: 0x6a, sub: 0x6b, and: 0x71, shl: 0x74,
} as const;
const simd = (n: number) => [0xfd, ...uleb(n)];
const v128Load = (offset = 0) => [...simd(0x00), 0x00, ...uleb(offset)];
const v128Store = [...simd(0x0b), 0x00, 0x00];
const i8x16Splat = simd(0x0f);
const i8x16Eq = simd(0x23);
const i8x16Bitmask = simd(0x64);

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const str = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'latin1')];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];

// Parameters and locals of compact, by index.
const P = 0, END = 1, W = 2, PLEN = 3, KEEP_NL = 4;
const I = 5, M = 6, SRC = 7, LEN = 8, NEED = 9, K = 10;
const NLS = 11; // v128: "\n" in every lane

const get = (l: number) => [op.get, l];
const set = (l: number) => [op.set, l];
const i32 = (n: number) => [op.const, ...sleb(n)];

/** Sets M to the 16-bit mask of lanes where the 16 bytes at `a` equal those at `b` (each an address on the stack built by the arrays). */
const eqMask = (a: number[], b: number[]) => [...a, ...v128Load(), ...b, ...v128Load(), ...i8x16Eq, ...i8x16Bitmask, ...set(M)];

const body: number[] = [
  ...i32(10), ...i8x16Splat, ...set(NLS),
  op.block, op.void, // $done
  op.loop, op.void, // $record
  // p >= end: done
  ...get(P), ...get(END), op.geU, op.brIf, 1,
  // The prefix: 16 bytes at a time; the last step only looks at the lanes below plen.
  ...i32(0), ...set(I),
  op.loop, op.void, // $prefix
  ...eqMask([...get(P), ...get(I), op.add], get(I)),
  // need = plen - i >= 16 ? 0xffff : (1 << (plen - i)) - 1
  ...i32(0xffff),
  ...i32(1), ...get(PLEN), ...get(I), op.sub, op.shl, ...i32(1), op.sub,
  ...get(PLEN), ...get(I), op.sub, ...i32(16), op.geU,
  0x1b, // select
  ...set(NEED),
  ...get(M), ...get(NEED), op.and, ...get(NEED), op.ne, op.brIf, 2, // a lane differs: done
  ...get(I), ...i32(16), op.add, op.tee, I,
  ...get(PLEN), op.ltU, op.brIf, 0,
  op.end,
  // The newline: 16 bytes at a time from the text's start.
  ...get(P), ...get(PLEN), op.add, op.tee, SRC, ...set(I),
  op.loop, op.void, // $nl
  ...get(I), ...v128Load(), ...get(NLS), ...i8x16Eq, ...i8x16Bitmask, op.tee, M,
  op.eqz, op.if, op.void,
  ...get(I), ...i32(16), op.add, op.tee, I,
  ...get(END), op.geU, op.brIf, 3, // no newline before end: done (cannot happen when end follows one)
  op.br, 1,
  op.end,
  op.end,
  // i = the newline; past end: the record is cut (not ours to take)
  ...get(I), ...get(M), op.ctz, op.add, op.tee, I,
  ...get(END), op.geU, op.brIf, 1,
  // len = nl - src (+ 1 with the newline); moved 16 bytes at a time (the last store runs past len: harmless, see above)
  ...get(I), ...get(SRC), op.sub, ...get(KEEP_NL), op.add, ...set(LEN),
  ...i32(0), ...set(K),
  op.loop, op.void, // $copy
  ...get(W), ...get(K), op.add,
  ...get(SRC), ...get(K), op.add, ...v128Load(),
  ...v128Store,
  ...get(K), ...i32(16), op.add, op.tee, K,
  ...get(LEN), op.ltU, op.brIf, 0,
  op.end,
  ...get(W), ...get(LEN), op.add, ...set(W),
  ...get(I), ...i32(1), op.add, ...set(P),
  op.br, 0,
  op.end, // $record
  op.end, // $done
  ...get(W), op.globalSet, 0,
  ...get(P),
  op.end,
];

function moduleBytes(): Uint8Array {
  const locals = vec([[6, I32], [1, V128]]);
  const code = [...locals, ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), ...vec([[I32]])]])),
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([uleb(0)])),
    ...section(6, vec([[I32, 0x01, ...i32(0), op.end]])),
    ...section(7, vec([[...str('compact'), 0x00, 0], [...str('w'), 0x03, 0]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

let compiled: WebAssembly.Module | null = null;

/** One memory with the function bound to it. */
export class Kernel {
  /** The block: [DATA, DATA + capacity) of the memory. */
  readonly data: Buffer;
  /** Where the text ends after the last compact. */
  w = 0;
  readonly #mem: Uint8Array;
  readonly #compact: (p: number, end: number, w: number, plen: number, keepNl: number) => number;
  readonly #w: WebAssembly.Global;

  constructor(capacity: number) {
    compiled ??= new WebAssembly.Module(moduleBytes());
    const memory = new WebAssembly.Memory({ initial: Math.ceil((DATA + capacity + SLACK) / PAGE) });
    const inst = new WebAssembly.Instance(compiled, { env: { mem: memory } });
    this.#compact = inst.exports.compact as (p: number, end: number, w: number, plen: number, keepNl: number) => number;
    this.#w = inst.exports.w as WebAssembly.Global;
    this.#mem = new Uint8Array(memory.buffer);
    this.data = Buffer.from(memory.buffer, DATA, capacity);
  }

  /**
   * Takes the records from `p` (offsets in `data`) that start with the
   * `plen` bytes at p, moving their text (and "\n" with keepNl) to `w`;
   * returns the first record left, with this.w where the text ends.
   */
  compact(p: number, end: number, w: number, plen: number, keepNl: boolean): number {
    this.#mem.copyWithin(0, DATA + p, DATA + p + plen);
    const next = this.#compact(DATA + p, DATA + end, DATA + w, plen, keepNl ? 1 : 0) - DATA;
    this.w = (this.#w.value as number) - DATA;
    return next;
  }
}

/** The kernels whose memory holds a block, by that memory. */
const owners = new WeakMap<ArrayBufferLike, Kernel>();
let scratch: Kernel | null = null;

/** A block of `size` bytes that the kernel compacts where it is. */
export function blockBuffer(size: number): Buffer {
  const k = new Kernel(size);
  owners.set(k.data.buffer, k);
  return k.data;
}

/**
 * Where to compact `data`'s first `end` bytes: in place when it is a
 * block of blockBuffer's, else in a copy (done() copies the text back).
 */
export function workOn(data: Buffer, end: number): { buf: Buffer; kernel: Kernel; done(w: number): void } {
  const own = owners.get(data.buffer);
  if (own && data.byteOffset === own.data.byteOffset) return { buf: data, kernel: own, done() {} };
  if (!scratch || scratch.data.length < end) scratch = new Kernel(Math.max(end, 1024 * 1024));
  const k = scratch;
  data.copy(k.data, 0, 0, end);
  return { buf: k.data, kernel: k, done: (w) => { k.data.copy(data, 0, 0, w); } };
}
