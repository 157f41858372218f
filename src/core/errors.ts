// One error type for the whole engine. Every failure that can reach a user
// carries a stable `code`; the API maps codes to HTTP status in exactly one
// place (src/api/errors.ts) and tests match on the code, never the message.
//
// Wrap as errors rise so the message names what was being done:
//   throw wrap(err, `preparing rootfs for ${id}`)

export type ErrorCode =
  | 'not_found'        // 404: no such container / image / file
  | 'conflict'         // 409: name in use, container running, image in use
  | 'invalid_argument' // 400: bad parameter, malformed input
  | 'not_modified'     // 304: container already started / stopped
  | 'forbidden'        // 403
  | 'unauthorized'     // 401: a registry refused the credentials
  | 'unavailable'      // 503: the daemon cannot do this now
  | 'not_implemented'  // 501: this object cannot do that (a container whose log driver keeps nothing)
  | 'internal';        // 500: a real fault

export class BerthError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'BerthError';
  }
}

export const notFound = (msg: string) => new BerthError('not_found', msg);
export const conflict = (msg: string) => new BerthError('conflict', msg);
export const invalid = (msg: string) => new BerthError('invalid_argument', msg);
export const notModified = (msg: string) => new BerthError('not_modified', msg);
export const forbidden = (msg: string) => new BerthError('forbidden', msg);
export const unavailable = (msg: string) => new BerthError('unavailable', msg);
export const notImplemented = (msg: string) => new BerthError('not_implemented', msg);
export const internal = (msg: string, cause?: unknown) => new BerthError('internal', msg, { cause });

/**
 * A failed system call in Go's words, as dockerd's errors read: "write
 * /path: no space left on device" (Node's own: "ENOSPC: no space left on
 * device, write", without the path when the call went through a handle).
 * Returns other errors unchanged.
 */
export function syscallError(err: unknown, path: string): unknown {
  const e = err as NodeJS.ErrnoException | null;
  if (!e || typeof e.code !== 'string' || !e.syscall || !(e instanceof Error)) return err;
  const what = /^[A-Z0-9_]+: ([^,]+)/.exec(e.message)?.[1] ?? e.code;
  e.path ??= path;
  e.message = `${e.syscall} ${e.path}: ${what}`;
  return e;
}

export function isCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof BerthError && err.code === code;
}

/** Adds context to an error while keeping its code (internal for foreign errors). */
export function wrap(err: unknown, context: string): BerthError {
  if (err instanceof BerthError) {
    return new BerthError(err.code, `${context}: ${err.message}`, { cause: err });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new BerthError('internal', `${context}: ${msg}`, { cause: err });
}
