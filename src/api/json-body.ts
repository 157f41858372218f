// Reading a JSON request body: bounded in size and nesting depth before it
// is parsed, and parsed with each number's literal kept where a double would
// lose it (JSON.rawJSON), so the body's Go types can be judged exactly
// (shapes/go-types.ts). A body berth cannot take is a 400 naming why, with
// dockerd's "invalid JSON" prefix.

import type { IncomingMessage } from 'node:http';
import { invalid } from '../core/errors.ts';
import { requestLimits } from './limits.ts';

/** A number kept as the client wrote it (a frozen object holding `rawJSON`, which JSON.stringify writes back verbatim). */
export interface RawNumber { readonly rawJSON: string }

// Node 24 has JSON.rawJSON and JSON.isRawJSON; TypeScript's lib does not describe them yet.
const J = JSON as JSON & { rawJSON(text: string): RawNumber; isRawJSON(v: unknown): boolean };

export function isRawNumber(v: unknown): v is RawNumber {
  return J.isRawJSON(v);
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The offset at which `text` nests deeper than `max`, or -1. Strings are skipped; the text need not be valid JSON. */
export function tooDeepAt(text: Buffer, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return i;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return -1;
}

const EXACT_INTEGER = /^-?(0|[1-9]\d*)$/;

/** JSON.parse, keeping the literal of every number that is not an exactly representable integer. */
export function parseExact(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    if (typeof value !== 'number' || context?.source === undefined) return value;
    const src = context.source;
    return EXACT_INTEGER.test(src) && Number.isSafeInteger(value) ? value : J.rawJSON(src);
  });
}

/** Checks the media type and collects the body, refusing one over the size limit as soon as it is. */
async function collect(req: IncomingMessage, max: number): Promise<Buffer> {
  const type = req.headers['content-type'];
  if (type && !/^application\/(.+\+)?json\s*(;|$)/i.test(type)) {
    throw invalid(`unsupported Content-Type header (${type}): must be 'application/json'`);
  }
  const tooBig = () => invalid(`request body is larger than the limit of ${max} bytes (api-max-json-body)`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw tooBig();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw tooBig();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a JSON request body. No body at all yields undefined (dockerd accepts
 * that for most endpoints).
 */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const limits = requestLimits(req);
  const raw = await collect(req, limits.maxJsonBody);
  const deep = tooDeepAt(raw, limits.maxJsonDepth);
  if (deep >= 0) throw invalid(`invalid JSON: nesting deeper than ${limits.maxJsonDepth} levels at offset ${deep}`);
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return parseExact(text);
  } catch (err) {
    throw invalid(`invalid JSON: ${(err as Error).message}`);
  }
}
