// Attach sessions. The docker CLI attaches to a container BEFORE starting
// it, so an attach to a container that is not running waits here until the
// next start connects it to conmon's attach socket (between `runc create`
// and `runc start`, so no output is missed).

import type { AttachHandle, AttachOptions, AttachOutput } from '../../core/container.ts';
import type { ContainerRuntime, RuntimeAttach } from '../../core/runtime.ts';
import type { Logger } from '../../core/logger.ts';

class Session implements AttachHandle {
  readonly tty: boolean;
  readonly opts: AttachOptions;
  readonly #out: AttachOutput;
  readonly #onDone: (s: Session) => void;
  #conn: RuntimeAttach | null = null;
  #pendingInput: Buffer[] = [];
  #stdinClosed = false;
  #ended = false;

  constructor(tty: boolean, opts: AttachOptions, out: AttachOutput, onDone: (s: Session) => void) {
    this.tty = tty;
    this.opts = opts;
    this.#out = out;
    this.#onDone = onDone;
  }

  get ended(): boolean { return this.#ended; }

  async connect(runtime: ContainerRuntime, id: string): Promise<void> {
    if (this.#ended) return;
    const conn = await runtime.attach(id, {
      data: (stream, chunk) => {
        if ((stream === 'stdout' && this.opts.stdout) || (stream === 'stderr' && this.opts.stderr)) this.#out.data(stream, chunk);
      },
      end: () => this.end(),
    });
    if (this.#ended) {
      // The client left while we were connecting: do not keep conmon's socket for nobody.
      conn.detach();
      return;
    }
    this.#conn = conn;
    if (!this.opts.stdin) return;
    for (const chunk of this.#pendingInput) this.#conn.write(chunk);
    this.#pendingInput = [];
    if (this.#stdinClosed) this.#conn.closeStdin();
  }

  write(chunk: Buffer): void {
    if (!this.opts.stdin || this.#stdinClosed) return;
    if (this.#conn) this.#conn.write(chunk);
    else this.#pendingInput.push(chunk);
  }

  closeStdin(): void {
    if (this.#stdinClosed) return;
    this.#stdinClosed = true;
    if (this.opts.stdin) this.#conn?.closeStdin();
  }

  detach(): void {
    this.#conn?.detach();
    this.end();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#onDone(this);
    this.#out.end();
  }
}

export class AttachHub {
  #waiting = new Map<string, Set<Session>>();
  readonly #runtime: ContainerRuntime;
  readonly #log: Logger;

  constructor(runtime: ContainerRuntime, log: Logger) {
    this.#runtime = runtime;
    this.#log = log;
  }

  /** A session that connects at the container's next start. */
  waitForStart(id: string, tty: boolean, opts: AttachOptions, out: AttachOutput): AttachHandle {
    const s = new Session(tty, opts, out, (done) => this.#waiting.get(id)?.delete(done));
    let set = this.#waiting.get(id);
    if (!set) this.#waiting.set(id, (set = new Set()));
    set.add(s);
    return s;
  }

  /** A session on a running container. */
  async attachNow(id: string, tty: boolean, opts: AttachOptions, out: AttachOutput): Promise<AttachHandle> {
    const s = new Session(tty, opts, out, () => {});
    try {
      await s.connect(this.#runtime, id);
    } catch (err) {
      this.#log.debug('attach to running container failed', { id, err });
      s.end();
    }
    return s;
  }

  /** Called by start between runtime.create and runtime.start. */
  async connectWaiting(id: string): Promise<void> {
    const set = this.#waiting.get(id);
    this.#waiting.delete(id);
    await Promise.all([...set ?? []].map(async (s) => {
      try {
        await s.connect(this.#runtime, id);
      } catch (err) {
        this.#log.warn('attach socket connection failed', { id, err });
        s.end();
      }
    }));
  }

  /** Ends every waiting session (the container was removed or failed to start). */
  endWaiting(id: string): void {
    const set = this.#waiting.get(id);
    this.#waiting.delete(id);
    for (const s of set ?? []) s.end();
  }
}
