// Registry errors in the distribution spec's form:
//   {"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":...}]}
// Each code has its status; handlers throw RegistryError and the server
// writes it. Foreign errors (a BerthError from the content store, a bug)
// become a 500 UNKNOWN, except the content store's verification failures,
// which the handlers translate where they know what was being verified.

export type RegistryErrorCode =
  | 'BLOB_UNKNOWN' | 'BLOB_UPLOAD_INVALID' | 'BLOB_UPLOAD_UNKNOWN' | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN' | 'MANIFEST_INVALID' | 'MANIFEST_UNKNOWN' | 'NAME_INVALID' | 'NAME_UNKNOWN'
  | 'SIZE_INVALID' | 'TAG_INVALID' | 'UNAUTHORIZED' | 'DENIED' | 'UNSUPPORTED' | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID' | 'PAGINATION_NUMBER_INVALID' | 'UNAVAILABLE' | 'UNKNOWN';

const DEFAULTS: Record<RegistryErrorCode, [number, string]> = {
  BLOB_UNKNOWN: [404, 'blob unknown to registry'],
  BLOB_UPLOAD_INVALID: [400, 'blob upload invalid'],
  BLOB_UPLOAD_UNKNOWN: [404, 'blob upload unknown to registry'],
  DIGEST_INVALID: [400, 'provided digest did not match uploaded content'],
  MANIFEST_BLOB_UNKNOWN: [400, 'blob unknown to registry'],
  MANIFEST_INVALID: [400, 'manifest invalid'],
  MANIFEST_UNKNOWN: [404, 'manifest unknown'],
  NAME_INVALID: [400, 'invalid repository name'],
  NAME_UNKNOWN: [404, 'repository name not known to registry'],
  SIZE_INVALID: [400, 'provided length did not match content length'],
  TAG_INVALID: [400, 'manifest tag did not match URI'],
  UNAUTHORIZED: [401, 'authentication required'],
  DENIED: [403, 'requested access to the resource is denied'],
  UNSUPPORTED: [405, 'The operation is unsupported.'],
  TOOMANYREQUESTS: [429, 'too many requests'],
  RANGE_INVALID: [416, 'invalid content range'],
  PAGINATION_NUMBER_INVALID: [400, 'invalid number of results requested'],
  UNAVAILABLE: [503, 'service unavailable'],
  UNKNOWN: [500, 'unknown error'],
};

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly status: number;
  readonly detail: unknown;
  /** Extra response headers (WWW-Authenticate on a 401). */
  readonly headers: Record<string, string>;

  constructor(code: RegistryErrorCode, message?: string, detail?: unknown, opts: { status?: number; headers?: Record<string, string> } = {}) {
    const [status, text] = DEFAULTS[code];
    super(message ?? text);
    this.name = 'RegistryError';
    this.code = code;
    this.status = opts.status ?? status;
    this.detail = detail;
    this.headers = opts.headers ?? {};
  }
}

export const regError = (code: RegistryErrorCode, message?: string, detail?: unknown) => new RegistryError(code, message, detail);

export function errorBody(err: RegistryError): string {
  return JSON.stringify({ errors: [{ code: err.code, message: err.message, detail: err.detail ?? null }] });
}

/** Any thrown value as a RegistryError (unknown ones are a 500 whose text names the fault). */
export function asRegistryError(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new RegistryError('UNKNOWN', msg);
}
