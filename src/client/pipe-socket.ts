// A connection to a unix socket on libuv's pipe handle, without node:net and
// node:stream (src/sys/node-bindings.ts says why). It offers what lite-http.ts
// uses of a net.Socket, with the same events in the same order: 'data'
// (a Buffer per read), 'end' at the peer's end of stream, 'error', then
// 'close' once the handle is closed; write() before the connection is made
// is queued, as net does. No pause/resume: lite-http reads every answer whole.

import { EventEmitter } from 'node:events';
import { type PipeBindings, type PipeHandle, pipeBindings } from '../sys/node-bindings.ts';

/** What lite-http.ts needs of a connection: a net.Socket, or a PipeSocket. */
export interface Connection extends NodeJS.EventEmitter {
  write(data: Buffer): boolean;
  destroy(): void;
  ref(): this;
  unref(): this;
}

function errnoError(status: number, syscall: string, address: string): NodeJS.ErrnoException {
  const code = process.getBuiltinModule('node:util').getSystemErrorName(status);
  return Object.assign(new Error(`${syscall} ${code} ${address}`), { errno: status, code, syscall, address });
}

export class PipeSocket extends EventEmitter implements Connection {
  readonly #b: PipeBindings;
  readonly #handle: PipeHandle;
  readonly #path: string;
  #connected = false;
  #closed = false;
  #queued: Buffer[] = [];

  /** A connection to `path`, or undefined where Node's pipe handle is not available. */
  static connect(path: string): PipeSocket | undefined {
    const b = pipeBindings();
    return b ? new PipeSocket(b, path) : undefined;
  }

  private constructor(b: PipeBindings, path: string) {
    super();
    this.#b = b;
    this.#path = path;
    this.#handle = b.newPipe();
    this.#handle.onread = (ab) => this.#onRead(ab);
    const req = b.newConnectReq();
    req.address = path;
    req.oncomplete = (status) => this.#onConnect(status);
    const err = this.#handle.connect(req, path);
    // As net does: a failure to start connecting is reported after the caller has added its listeners.
    if (err) process.nextTick(() => this.#fail(errnoError(err, 'connect', path)));
  }

  write(data: Buffer): boolean {
    if (this.#closed) return false;
    if (!this.#connected) this.#queued.push(data);
    else this.#send(data);
    return true;
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Node's handle takes only a function here (null aborts the process).
    this.#handle.onread = () => {};
    this.#handle.close(() => this.emit('close'));
  }

  ref(): this {
    if (!this.#closed) this.#handle.ref();
    return this;
  }

  unref(): this {
    if (!this.#closed) this.#handle.unref();
    return this;
  }

  #onConnect(status: number): void {
    if (this.#closed) return;
    if (status < 0) {
      this.#fail(errnoError(status, 'connect', this.#path));
      return;
    }
    this.#connected = true;
    const err = this.#handle.readStart();
    if (err) {
      this.#fail(errnoError(err, 'read', this.#path));
      return;
    }
    const queued = this.#queued;
    this.#queued = [];
    for (const data of queued) this.#send(data);
  }

  #send(data: Buffer): void {
    const req = this.#b.newWriteReq(this.#handle);
    // Held by the request until libuv has written it.
    req.buffer = data;
    req.oncomplete = (status) => {
      if (status < 0) this.#fail(errnoError(status, 'write', this.#path));
    };
    const err = this.#handle.writeBuffer(req, data);
    if (err) this.#fail(errnoError(err, 'write', this.#path));
  }

  #onRead(ab: ArrayBuffer): void {
    const n = this.#b.readResult();
    if (n > 0) {
      this.emit('data', Buffer.from(ab, this.#b.readOffset(), n));
      return;
    }
    if (n === 0) return;
    this.#handle.readStop();
    if (n === this.#b.eof) {
      this.emit('end');
      this.destroy();
    } else {
      this.#fail(errnoError(n, 'read', this.#path));
    }
  }

  #fail(err: Error): void {
    if (this.#closed) return;
    this.emit('error', err);
    this.destroy();
  }
}
