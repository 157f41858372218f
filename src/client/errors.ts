// Errors the client raises. Callers branch on the class and on statusCode;
// the message is what the docker CLI would print.

/** The daemon answered with an error status. */
export class ApiError extends Error {
  readonly statusCode: number;
  /** The daemon's own text, from `{"message": "..."}` (or the raw body). */
  readonly daemonMessage: string;
  /** bare: the message is not the daemon's own words (no "Error response from daemon:" prefix). */
  constructor(statusCode: number, daemonMessage: string, bare = false) {
    super(bare ? daemonMessage : `Error response from daemon: ${daemonMessage}`);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.daemonMessage = daemonMessage;
  }
  get notFound(): boolean { return this.statusCode === 404; }
}

/** The daemon could not be reached at all. */
export class ConnectionError extends Error {
  readonly host: string;
  constructor(host: string, message?: string, options?: { cause?: unknown }) {
    super(message ?? `Cannot connect to the berth daemon at ${host}. Is the berth daemon running?`, options);
    this.name = 'ConnectionError';
    this.host = host;
  }
}

/** A streamed JSON message carried an error (pull, import). */
export class StreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamError';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 404;
}

/** Turns a socket-level failure into the message docker prints for it. */
export function connectionError(host: string, socketPath: string | undefined, err: NodeJS.ErrnoException): Error {
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
    case 'ENOTSOCK':
      return new ConnectionError(host, undefined, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new ConnectionError(host,
        `permission denied while trying to connect to the berth daemon socket at ${host}: dial unix ${socketPath ?? host}: connect: permission denied`,
        { cause: err });
    default:
      return err;
  }
}
