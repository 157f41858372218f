// How commands fail. docker prints an error's text on stderr and exits 1,
// unless it is a StatusError carrying its own exit code (125 for flag
// errors and daemon errors in run/create, the container's code after run).

export class StatusError extends Error {
  readonly code: number;
  constructor(code: number, message = '') {
    super(message);
    this.name = 'StatusError';
    this.code = code;
  }
}

/** An error whose full text is already formatted (usage errors). */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** Several failures reported together, one per line (errors.Join). */
export function joinErrors(errors: readonly unknown[]): Error | undefined {
  if (errors.length === 0) return undefined;
  return new Error(errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n'));
}
