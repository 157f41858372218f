// The descriptors a stats sampler keeps open between its passes (StatFiles),
// and the one-off reads it falls back to.

import fs from 'node:fs';

const BUF = Buffer.allocUnsafe(64 * 1024);

/**
 * Open descriptors of the files a sampler reads every second, by container:
 * a cgroup or proc file read again from offset 0 is generated afresh, so
 * each later read is one pread instead of open, fstat, read and close (on a
 * loaded machine the difference is most of a pass). Files that do not
 * exist are remembered as such.
 *
 * The descriptors kept are capped: a cgroup v1 container costs about a
 * dozen, so without a cap a few thousand containers would use up the
 * daemon's descriptors and its accepts, creates and log files would fail
 * with EMFILE. By default, before each pass (`fitToLimit`), the cap is what
 * RLIMIT_NOFILE leaves free after the daemon's other descriptors and a
 * reserve of an eighth of the limit (at least 256). Past the cap, and
 * whenever an open fails for want of descriptors, a file is read the
 * one-off way (open, read, close), which is much dearer on a busy host
 * (cgroup files are opened under the kernel's cgroup locks).
 */
export class StatFiles {
  readonly #byOwner = new Map<string, Map<string, number | null>>();
  #limit: number;
  readonly #fixed: boolean;
  #open = 0;
  #owner = '';

  /** `limit`: a fixed cap (tests); without it, fitToLimit sets the cap before each pass. */
  constructor(limit?: number) {
    this.#fixed = limit !== undefined;
    this.#limit = limit ?? 0;
  }

  /** Sets the cap from the descriptors free now (see the class comment); a no-op with a fixed cap. */
  fitToLimit(): void {
    if (this.#fixed) return;
    const max = openFileLimit();
    let inUse = max;
    try { inUse = fs.readdirSync('/proc/self/fd').length; } catch { /* no /proc: keep nothing open */ }
    const reserve = Math.max(256, Math.floor(max / 8));
    this.#limit = Math.max(0, this.#open + (max - inUse) - reserve);
  }

  /** Descriptors held now. */
  get held(): number { return this.#open; }

  /** Reads of the next files belong to this container. */
  use(owner: string): void { this.#owner = owner; }

  /** Opens path ahead of its first read (as the current owner's file), so that the read is one pread. */
  open(path: string): void {
    this.#fd(path);
  }

  read(path: string): string | null {
    const fd = this.#fd(path);
    if (fd === undefined) return oneOff.read(path);
    if (fd === null) return null;
    try {
      const n = fs.readSync(fd, BUF, 0, BUF.length, 0);
      return BUF.toString('latin1', 0, n);
    } catch {
      // The cgroup went away under the descriptor: open again next time.
      fs.closeSync(fd);
      this.#open--;
      this.#byOwner.get(this.#owner)?.delete(path);
      return null;
    }
  }

  /** path's descriptor, opened now if need be; null: the file does not exist; undefined: none to spare (read it one-off). */
  #fd(path: string): number | null | undefined {
    let files = this.#byOwner.get(this.#owner);
    if (!files) this.#byOwner.set(this.#owner, (files = new Map()));
    let fd = files.get(path);
    if (fd === undefined) {
      if (this.#open >= this.#limit) return undefined;
      try {
        fd = fs.openSync(path, 'r');
        this.#open++;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EMFILE' || code === 'ENFILE') return undefined;
        fd = null;
      }
      files.set(path, fd);
    }
    return fd;
  }

  /** Closes the descriptors of containers not in `keep`. */
  retain(keep: Set<string>): void {
    for (const [owner, files] of this.#byOwner) {
      if (keep.has(owner)) continue;
      for (const fd of files.values()) {
        if (fd === null) continue;
        fs.closeSync(fd);
        this.#open--;
      }
      this.#byOwner.delete(owner);
    }
  }

  close(): void { this.retain(new Set()); }
}

/** The soft RLIMIT_NOFILE of this process (/proc/self/limits; 1024 when unreadable). */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'latin1'));
    if (m) return m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  } catch { /* not Linux's /proc */ }
  return 1024;
}

/** Without a StatFiles: one-off reads. */
export const oneOff = { read(path: string): string | null { try { return fs.readFileSync(path, 'latin1'); } catch { return null; } } };
