// The one place where engine errors become HTTP statuses. Everything the
// API answers with an error goes through httpError(): handlers throw, the
// dispatcher (or the hijack path, which writes raw HTTP) asks here what
// status and body that error means.

import { BerthError, type ErrorCode } from '../core/errors.ts';

const STATUS: Record<ErrorCode, number> = {
  not_found: 404,
  conflict: 409,
  invalid_argument: 400,
  not_modified: 304,
  forbidden: 403,
  unauthorized: 401,
  unavailable: 503,
  not_implemented: 501,
  internal: 500,
};

export interface HttpError {
  status: number;
  message: string;
}

export function httpError(err: unknown): HttpError {
  if (err instanceof BerthError) return { status: STATUS[err.code], message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, message: message || 'internal error' };
}

/** The JSON body dockerd sends with an error; 304 carries none (HTTP forbids a body). */
export function errorBody(e: HttpError): string | null {
  return e.status === 304 ? null : JSON.stringify({ message: e.message }) + '\n';
}

/** dockerd's answer to a path (or method) no route serves. */
export const PAGE_NOT_FOUND: HttpError = { status: 404, message: 'page not found' };
