// Detach keys (docker attach's `detachKeys`, default ctrl-p,ctrl-q). dockerd
// watches the client's input for the sequence on TTY attaches and detaches
// the client when it sees it; the container keeps running. The client (the
// docker CLI) does not do this itself: it sends the keys as a query param.

import { invalid } from '../core/errors.ts';

export const DEFAULT_DETACH_KEYS = Buffer.from([16, 17]); // ctrl-p, ctrl-q

const CTRL = ['ctrl-@', ...Array.from({ length: 26 }, (_, i) => `ctrl-${String.fromCharCode(97 + i)}`),
  'ctrl-[', 'ctrl-\\', 'ctrl-]', 'ctrl-^', 'ctrl-_'];

/** moby/term's ToBytes: "ctrl-p,ctrl-q", "a,b", "ctrl-\\"... An empty string keeps the default. */
export function parseDetachKeys(spec: string | null): Buffer {
  if (!spec) return DEFAULT_DETACH_KEYS;
  const codes: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const code = CTRL.indexOf(key.toLowerCase());
    if (code >= 0) codes.push(code);
    else if (key === 'DEL') codes.push(127);
    else throw invalid(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(codes);
}

/**
 * Scans input for the detach sequence. Bytes that might start the sequence
 * are held back until the next byte decides; everything else passes at once.
 */
export class EscapeScanner {
  readonly #keys: Buffer;
  #matched = 0;

  constructor(keys: Buffer) {
    this.#keys = keys;
  }

  /** The bytes to forward, and whether the sequence was completed (then the rest is dropped). */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.#keys[this.#matched]) {
        this.#matched++;
        if (this.#matched === this.#keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      // A broken partial match: the held bytes were ordinary input after all.
      for (let i = 0; i < this.#matched; i++) out.push(this.#keys[i]!);
      this.#matched = 0;
      if (byte === this.#keys[0]) {
        this.#matched = 1;
        if (this.#keys.length === 1) return { forward: Buffer.from(out), detach: true };
      } else {
        out.push(byte);
      }
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
