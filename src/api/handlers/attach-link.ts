// The two connections an attach can run over: a socket taken over after
// "101 UPGRADED" (what docker clients ask for), or an ordinary HTTP
// response whose body is the stream.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

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

  constructor(socket: Duplex, head: Buffer) {
    this.#socket = socket;
    this.#head = head;
    // Errors (a reset by the peer) end in 'close', which is what we act on.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
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
    this.#socket.once('close', fn);
  }
}

export class ResponseLink implements StreamLink {
  readonly #res: ServerResponse;
  readonly #req: IncomingMessage;
  readonly closed: Promise<void>;

  constructor(res: ServerResponse, req: IncomingMessage) {
    this.#res = res;
    this.#req = req;
    this.closed = new Promise((resolve) => res.once('close', () => resolve()));
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
    this.#res.once('close', fn);
  }
}
