// What one client may ask of the API server: how big and how deep a JSON
// body may be, and how long a connection may take to send its request.
// berthd takes them from its flags and daemon.json (src/daemon/config.ts);
// the defaults are Node's and dockerd's where they have one.
//
// Timeouts, and why two: `headersTimeout` bounds the time from a
// connection's first byte (or the end of its previous request) to the end
// of the request headers, so a client that sends partial headers, or
// nothing, is dropped; it never applies to what follows the headers, so
// attach, logs and event streams, whose answers last as long as the
// container, are not affected. `requestTimeout` bounds the time to receive
// a whole request body. dockerd has none, and an import streams its archive
// as the body for as long as it takes, so it is off by default; attach's
// body is the container's stdin and is never subject to it.

import type { IncomingMessage } from 'node:http';

export interface ApiLimits {
  /** Largest JSON request body, in bytes. */
  maxJsonBody: number;
  /** Deepest nesting of arrays and objects in a JSON body. */
  maxJsonDepth: number;
  /** Milliseconds to receive the request headers; 0 disables. */
  headersTimeoutMs: number;
  /** Milliseconds to receive a whole request body (attach excepted); 0 disables. */
  requestTimeoutMs: number;
  /** Largest request head (request line and headers), in bytes; past it Node answers 431. */
  maxHeaderSize: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxJsonBody: 16 * 1024 * 1024,
  // Go's decoder stops at 10000; no Docker body nests past a handful of levels.
  maxJsonDepth: 512,
  // Node's default.
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 0,
  // Node's default. dockerd takes up to 1 MiB (Go's); no Docker client sends
  // more than a few KiB (X-Registry-Auth, the largest, is a base64 JSON).
  maxHeaderSize: 16 * 1024,
};

const perRequest = new WeakMap<IncomingMessage, ApiLimits>();

/** The server records the limits a request is served under; body readers look them up. */
export function setRequestLimits(req: IncomingMessage, limits: ApiLimits): void {
  perRequest.set(req, limits);
}

export function requestLimits(req: IncomingMessage): ApiLimits {
  return perRequest.get(req) ?? DEFAULT_LIMITS;
}
