// What the kill -9 workload was told succeeded: every API call that
// answered success is recorded here with the effect it promised, and the
// audit after each restart checks that effect is still there (an
// acknowledged create is listed, an acknowledged rm is gone, an
// acknowledged tag resolves to the image it named...).
//
// Each object (container, tag, volume, network) is claimed by one worker
// for the length of a call, so acknowledgements of the same object never
// race. While a call is in flight its object is "unknown": a call cut by
// the kill may or may not have taken effect, both are right. After each
// audit, with no call in flight, the model is re-based on what the daemon
// reports, so unknowns become known again.

export type ContainerExpect =
  | { state: 'created' }
  | { state: 'running' }
  /** A short command was started: running, or exited with this code. */
  | { state: 'short'; code: number }
  | { state: 'exited'; code: number }
  | { state: 'absent' }
  | { state: 'unknown' };

export interface ContainerModel {
  expect: ContainerExpect;
  /** Runs `sleep 1000` (never exits by itself). */
  long: boolean;
  /** Exit code a short command ends with. */
  code: number;
  /** Networks it was connected to with an acknowledged connect (still to be seen in inspect). */
  networks: Set<string>;
  /** Files an acknowledged exec wrote into its writable layer. */
  execFiles: string[];
}

/** Present with this value, absent (null), or unknown (undefined: in flight or cut). */
export type Known<T> = T | null | undefined;

export class AckModel {
  readonly containers = new Map<string, ContainerModel>();
  /** Image reference (as the client named it) -> image ID. */
  readonly tags = new Map<string, Known<string>>();
  /** Volume name -> true when present. */
  readonly volumes = new Map<string, Known<true>>();
  /** Network name -> network ID. */
  readonly networks = new Map<string, Known<string>>();
  /** Registry reference "repo:tag" -> manifest digest the push reported. */
  readonly pushed = new Map<string, string>();
  /** Acknowledged operations, by kind (what the audit could check). */
  readonly acks: Record<string, number> = {};
  /** Found while the daemon was up: an answer contradicted by what followed at once. */
  readonly problems: string[] = [];
  readonly #claimed = new Set<string>();

  ack(kind: string): void {
    this.acks[kind] = (this.acks[kind] ?? 0) + 1;
  }

  /** Takes `key` for one call; false when another worker holds it. */
  claim(key: string): boolean {
    if (this.#claimed.has(key)) return false;
    this.#claimed.add(key);
    return true;
  }

  release(key: string): void {
    this.#claimed.delete(key);
  }

  claimed(key: string): boolean {
    return this.#claimed.has(key);
  }

  /** Unclaimed keys of `map` whose value is known and present. */
  present<T>(map: Map<string, Known<T>>, prefix: string): string[] {
    return [...map].filter(([k, v]) => v !== undefined && v !== null && !this.#claimed.has(`${prefix}${k}`)).map(([k]) => k);
  }

  /** Unclaimed containers, filtered. */
  pickable(pred: (c: ContainerModel) => boolean): string[] {
    return [...this.containers].filter(([id, c]) => c.expect.state !== 'absent' && !this.#claimed.has(`c:${id}`) && pred(c)).map(([id]) => id);
  }

  /** Runs `fn` with `key` claimed; skipped (null) when it is taken. */
  async with<T>(key: string, fn: () => Promise<T>): Promise<T | null> {
    if (!this.claim(key)) return null;
    try {
      return await fn();
    } finally {
      this.release(key);
    }
  }
}
