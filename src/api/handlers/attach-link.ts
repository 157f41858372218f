// The two connections an attach can run over: a socket taken over after
// "101 UPGRADED" (what docker clients ask for), or an ordinary HTTP
// response whose body is the stream.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { peerHungUp } from '../../sys/libc.ts';

const HANGUP_POLL_MS = 1000;

export interface StreamLink {
  /** Sends the status line and headers; from here on output may flow. */
  open(contentType: string): void;
  write(bytes: Buffer): void;
  /** The output is complete: finish sending and close the connection. */
  end(): void;
  onInput(fn: (chunk: Buffer) => void): void;
  /** The client will send no more input (it half-closed the connection). */
  onInputEnd(fn: () => void): void;
  onClose(fn: () => void): void;
  /** Settles when the connection is gone. */
  readonly closed: Promise<void>;
}

export class UpgradedLink implements StreamLink {
  readonly #socket: Duplex;
  readonly #head: Buffer;
  readonly closed: Promise<void>;
  #gone = false;

  constructor(socket: Duplex, head: Buffer) {
    this.#socket = socket;
    this.#head = head;
    // Errors (a reset by the peer) end in 'close', which is what we act on.
    socket.on('error', () => {});
    this.#gone = socket.destroyed;
    this.closed = new Promise((resolve) => {
      if (this.#gone) resolve();
      socket.once('close', () => { this.#gone = true; resolve(); });
    });
    socket.once('end', () => this.#watchHangup());
  }

  /**
   * EOF from the client is either a half-close (the docker CLI sends one at
   * once when it has no stdin to forward, and still reads the output) or
   * the connection closed for good; only poll(2) tells which. A closed one
   * is released now, not at the container's next write or exit; a
   * half-closed one is looked at again every second until it goes.
   */
  #watchHangup(): void {
    // A TLS connection's handle wraps the TCP one (_parent), which has the descriptor.
    const handle = (this.#socket as { _handle?: { fd?: unknown; _parent?: { fd?: unknown } } })._handle;
    const fd = handle?.fd ?? handle?._parent?.fd;
    if (typeof fd !== 'number' || fd < 0) return;
    const look = (): boolean => {
      if (this.#gone) return true;
      let hungUp: boolean;
      try {
        hungUp = peerHungUp(fd);
      } catch {
        hungUp = true; // the descriptor is gone: so is the client
      }
      if (hungUp) this.#socket.destroy();
      return hungUp;
    };
    if (look()) return;
    const timer = setInterval(() => { if (look()) clearInterval(timer); }, HANGUP_POLL_MS);
    timer.unref();
    this.#socket.once('close', () => clearInterval(timer));
  }

  open(contentType: string): void {
    this.#socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  }

  write(bytes: Buffer): void {
    if (!this.#socket.writableEnded && !this.#socket.destroyed) this.#socket.write(bytes);
  }

  end(): void {
    if (this.#socket.writableEnded || this.#socket.destroyed) return;
    // Like dockerd closing the hijacked conn: flush, then close both directions.
    this.#socket.end(() => this.#socket.destroy());
  }

  onInput(fn: (chunk: Buffer) => void): void {
    // Bytes the client sent right behind the request headers come first.
    if (this.#head.length) fn(this.#head);
    this.#socket.on('data', fn);
    // A handler that read a request body off the socket first left it paused.
    this.#socket.resume();
  }

  onInputEnd(fn: () => void): void {
    this.#socket.on('end', fn);
  }

  onClose(fn: () => void): void {
    // A connection that closed while the session was being set up still ends it.
    if (this.#gone) queueMicrotask(fn);
    else this.#socket.once('close', fn);
  }
}

export class ResponseLink implements StreamLink {
  readonly #res: ServerResponse;
  readonly #req: IncomingMessage;
  readonly closed: Promise<void>;
  #gone = false;

  constructor(res: ServerResponse, req: IncomingMessage) {
    this.#res = res;
    this.#req = req;
    this.#gone = res.destroyed || res.socket === null;
    this.closed = new Promise((resolve) => {
      if (this.#gone) resolve();
      res.once('close', () => { this.#gone = true; resolve(); });
    });
  }

  open(contentType: string): void {
    this.#res.writeHead(200, { 'Content-Type': contentType });
    this.#res.flushHeaders();
  }

  write(bytes: Buffer): void {
    if (!this.#res.writableEnded && !this.#res.destroyed) this.#res.write(bytes);
  }

  end(): void {
    if (!this.#res.writableEnded) this.#res.end();
  }

  onInput(fn: (chunk: Buffer) => void): void {
    this.#req.on('data', fn);
  }

  onInputEnd(fn: () => void): void {
    // Only a streamed (chunked) body is input that can end; an empty or
    // fixed-length body says nothing about the client's stdin.
    if (this.#req.headers['transfer-encoding']?.includes('chunked')) this.#req.on('end', fn);
  }

  onClose(fn: () => void): void {
    if (this.#gone) queueMicrotask(fn);
    else this.#res.once('close', fn);
  }
}
