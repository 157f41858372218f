// A hijacked attach connection. After `101 UPGRADED` the socket carries the
// container's output one way (multiplexed frames without a TTY, raw bytes
// with one) and stdin the other way. At stdin's EOF the write side is shut
// (half-close) so the container sees EOF while its output keeps flowing.

import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { Upgraded } from './transport.ts';
import { copyDemuxed, copyRaw } from './stdcopy.ts';

/** Raised when the user typed the detach sequence (ctrl-p ctrl-q by default). */
export class DetachedError extends Error {
  constructor() {
    super('read escape sequence');
    this.name = 'DetachedError';
  }
}

export class HijackedConnection {
  readonly socket: Socket;
  readonly contentType: string;
  #closed = false;

  constructor(upgraded: Upgraded) {
    this.socket = upgraded.socket;
    this.contentType = upgraded.contentType;
    // Bytes that arrived with the 101 response belong to the stream.
    if (upgraded.head.length > 0) this.socket.unshift(upgraded.head);
    this.socket.setNoDelay(true);
  }

  /**
   * Copies the container's output until the daemon closes the stream. `tty`
   * decides between raw copy and demultiplexing, as the docker CLI does (the
   * container's Tty setting, not the content type, is authoritative).
   */
  pipeOutput(tty: boolean, stdout: Writable | null, stderr: Writable | null): Promise<void> {
    return tty ? copyRaw(this.socket, stdout) : copyDemuxed(this.socket, stdout, stderr);
  }

  /**
   * Copies stdin to the container until stdin ends, then half-closes.
   * With detachKeys, the sequence is swallowed and `done` rejects with
   * DetachedError. `stop()` quits reading stdin (the output ended first).
   */
  pipeInput(stdin: Readable, detachKeys?: Buffer): { done: Promise<void>; stop(): void } {
    let cleanup = () => {};
    const done = new Promise<void>((resolve, reject) => {
      const proxy = detachKeys && detachKeys.length > 0 ? new EscapeProxy(detachKeys) : undefined;
      const onData = (chunk: Buffer | string) => {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        const { pass, detached } = proxy ? proxy.filter(buf) : { pass: buf, detached: false };
        if (pass.length > 0 && !this.#closed && !this.socket.destroyed && !this.socket.write(pass)) {
          stdin.pause();
          this.socket.once('drain', () => stdin.resume());
        }
        if (detached) {
          cleanup();
          reject(new DetachedError());
        }
      };
      const onEnd = () => {
        cleanup();
        this.closeWrite();
        resolve();
      };
      const onError = (err: Error) => {
        cleanup();
        this.closeWrite();
        reject(err);
      };
      cleanup = () => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.off('error', onError);
        stdin.pause();
      };
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      stdin.on('error', onError);
      stdin.resume();
    });
    return { done, stop: () => cleanup() };
  }

  /** Half-close: the daemon sees stdin's EOF; output still flows. */
  closeWrite(): void {
    if (!this.#closed && !this.socket.writableEnded) this.socket.end();
  }

  close(): void {
    this.#closed = true;
    this.socket.destroy();
  }
}

/**
 * Watches input for the detach sequence. Bytes that could be the start of the
 * sequence are held back until it is clear they are not.
 */
export class EscapeProxy {
  #keys: Buffer;
  #matched = 0;

  constructor(keys: Buffer) {
    this.#keys = keys;
  }

  filter(chunk: Buffer): { pass: Buffer; detached: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.#keys[this.#matched]) {
        this.#matched++;
        if (this.#matched === this.#keys.length) return { pass: Buffer.from(out), detached: true };
        continue;
      }
      // Not the sequence after all: release what was held back.
      for (let i = 0; i < this.#matched; i++) out.push(this.#keys[i]);
      this.#matched = byte === this.#keys[0] ? 1 : 0;
      if (this.#matched === 0) out.push(byte);
    }
    return { pass: Buffer.from(out), detached: false };
  }
}

/**
 * Parses docker's --detach-keys syntax: comma-separated "a".."z" letters,
 * "ctrl-<value>" with value a letter or one of @ [ \ ] ^ _.
 */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length > 1 && key.startsWith('ctrl-')) {
      const c = key.slice(5);
      if (c.length !== 1) throw new Error(`Unknown character: '${key}'`);
      const code = c.toLowerCase().charCodeAt(0);
      if (code >= 97 && code <= 122) out.push(code - 96);
      else if ('@[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 64);
      else throw new Error(`Unknown character: '${key}'`);
    } else if (key === 'DEL') {
      out.push(127);
    } else if (key.length === 1) {
      out.push(key.charCodeAt(0));
    } else {
      throw new Error(`Unknown character: '${key}'`);
    }
  }
  return Buffer.from(out);
}

export const DEFAULT_DETACH_KEYS = Buffer.from([16, 17]);
