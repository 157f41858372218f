// Streamed JSON responses (pull, import, load) are concatenated JSON objects,
// usually one per line. This splits them at top-level object boundaries, so
// it does not depend on the daemon's line endings.

import type { Readable } from 'node:stream';
import type { JsonMessage } from './types.ts';

export class JsonObjectSplitter {
  #text = '';
  #depth = 0;
  #inString = false;
  #escape = false;
  #start = -1;
  #scanned = 0;

  /** Feeds text; returns the complete top-level values found so far. */
  push(chunk: string): unknown[] {
    this.#text += chunk;
    const out: unknown[] = [];
    const text = this.#text;
    for (let i = this.#scanned; i < text.length; i++) {
      const c = text[i];
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === '\\') this.#escape = true;
        else if (c === '"') this.#inString = false;
        continue;
      }
      if (c === '"') { this.#inString = true; continue; }
      if (c === '{' || c === '[') {
        if (this.#depth === 0) this.#start = i;
        this.#depth++;
      } else if (c === '}' || c === ']') {
        this.#depth--;
        if (this.#depth === 0) {
          out.push(JSON.parse(text.slice(this.#start, i + 1)));
          this.#start = -1;
        } else if (this.#depth < 0) {
          throw new Error(`invalid character '${c}' looking for beginning of value`);
        }
      } else if (this.#depth === 0 && !/\s/.test(c)) {
        throw new Error(`invalid character '${c}' looking for beginning of value`);
      }
    }
    if (this.#depth === 0) {
      this.#text = '';
      this.#scanned = 0;
    } else {
      this.#text = text.slice(this.#start);
      this.#scanned = this.#text.length;
      this.#start = 0;
    }
    return out;
  }

  /** True when the input ended in the middle of a value. */
  get incomplete(): boolean {
    return this.#depth > 0;
  }
}

/** The messages of a JSON message stream read whole. */
export function jsonMessagesOf(text: string): JsonMessage[] {
  const splitter = new JsonObjectSplitter();
  const values = splitter.push(text);
  if (splitter.incomplete) throw new Error('unexpected EOF');
  return values as JsonMessage[];
}

export async function* jsonMessages(source: Readable): AsyncGenerator<JsonMessage> {
  const splitter = new JsonObjectSplitter();
  source.setEncoding('utf8');
  for await (const chunk of source as AsyncIterable<string>) {
    for (const value of splitter.push(chunk)) yield value as JsonMessage;
  }
  if (splitter.incomplete) throw new Error('unexpected EOF');
}
