// Node's own C++ handles, reached through process.binding(), for the CLI's
// hot path only. A short `berth ps` spends most of what it costs over a bare
// `node` in loading node:net and node:stream (~45M of its ~64M instructions
// over `node -e 0`: docs/benchmarks.md, CLI start time), which it needs for
// nothing but one request on a unix socket and a line or two on stdout. The
// pipe and TTY handles those modules wrap are what libuv offers directly.
//
// process.binding() is deprecated (DEP0111, documentation-only) and its
// handles are not a stable API: every use goes through here, each caller
// checks the shape it needs and falls back to the public module when it is
// not there (a newer Node, the permission model, `--pending-deprecation`,
// which would print a warning). Node is pinned by package.json; the CLI's
// tests run both paths.

export interface PipeHandle {
  onread: (arrayBuffer: ArrayBuffer) => void;
  connect(req: object, path: string): number;
  readStart(): number;
  readStop(): number;
  writeBuffer(req: object, data: Uint8Array): number;
  close(cb?: () => void): void;
  ref(): void;
  unref(): void;
}

export interface PipeBindings {
  newPipe(): PipeHandle;
  newConnectReq(): { oncomplete: ((status: number) => void) | null; address?: string };
  newWriteReq(handle: PipeHandle): { oncomplete: ((status: number) => void) | null; handle: PipeHandle; buffer?: Uint8Array; async: boolean };
  /** After a read callback: the byte count, or a negative libuv error (EOF included). */
  readResult(): number;
  readOffset(): number;
  /** After writeBuffer(): whether the write is still in flight (its req's oncomplete will run). */
  lastWriteWasAsync(): boolean;
  /** libuv's end-of-file code. */
  eof: number;
}

type Binding = Record<string, unknown>;

/** BERTH_NO_NODE_BINDINGS=1 takes the public modules' path (the tests run both). */
function disabled(): boolean {
  return !!process.env.BERTH_NO_NODE_BINDINGS;
}

function binding(name: string): Binding | undefined {
  if (process.execArgv.includes('--pending-deprecation') || process.env.NODE_OPTIONS?.includes('--pending-deprecation')) return undefined;
  try {
    const b = (process as unknown as { binding?(n: string): Binding }).binding?.(name);
    return b && typeof b === 'object' ? b : undefined;
  } catch {
    return undefined;
  }
}

let pipes: PipeBindings | null | undefined;

/** libuv's pipe handle and its requests, or undefined where they are not there as expected. */
export function pipeBindings(): PipeBindings | undefined {
  if (disabled()) return undefined;
  if (pipes !== undefined) return pipes ?? undefined;
  pipes = null;
  const p = binding('pipe_wrap');
  const s = binding('stream_wrap');
  const Pipe = p?.Pipe as (new (type: number) => PipeHandle) | undefined;
  const ConnectWrap = p?.PipeConnectWrap as (new () => { oncomplete: ((status: number) => void) | null }) | undefined;
  const socketType = (p?.constants as Record<string, unknown> | undefined)?.SOCKET;
  const WriteWrap = s?.WriteWrap as (new () => { oncomplete: ((status: number) => void) | null; handle: PipeHandle; async: boolean }) | undefined;
  const state = s?.streamBaseState;
  const kRead = s?.kReadBytesOrError;
  const kOffset = s?.kArrayBufferOffset;
  const kAsync = s?.kLastWriteWasAsync;
  if (typeof Pipe !== 'function' || typeof ConnectWrap !== 'function' || typeof WriteWrap !== 'function' || typeof socketType !== 'number'
    || !(state instanceof Int32Array) || typeof kRead !== 'number' || typeof kOffset !== 'number' || typeof kAsync !== 'number') {
    return undefined;
  }
  for (const m of ['connect', 'readStart', 'readStop', 'writeBuffer', 'close', 'ref', 'unref']) {
    if (typeof (Pipe.prototype as unknown as Record<string, unknown>)[m] !== 'function') return undefined;
  }
  pipes = {
    newPipe: () => new Pipe(socketType),
    newConnectReq: () => new ConnectWrap(),
    newWriteReq: (handle) => Object.assign(new WriteWrap(), { handle, async: false }),
    readResult: () => state[kRead],
    readOffset: () => state[kOffset],
    lastWriteWasAsync: () => state[kAsync] !== 0,
    // libuv's UV_EOF, the same on every platform.
    eof: -4095,
  };
  return pipes;
}

let ttyWrap: Binding | null | undefined;

/** Whether fd is a terminal, without loading node:tty (which loads node:net); undefined when it cannot tell. */
export function isTerminal(fd: number): boolean | undefined {
  if (disabled()) return undefined;
  if (ttyWrap === undefined) ttyWrap = binding('tty_wrap') ?? null;
  const isTTY = ttyWrap?.isTTY;
  if (typeof isTTY !== 'function') return undefined;
  try {
    return (isTTY as (fd: number) => boolean)(fd) === true;
  } catch {
    return undefined;
  }
}
