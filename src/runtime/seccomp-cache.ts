// crun compiles the container's seccomp profile (Docker's: ~300 rules) into
// a BPF program with libseccomp on every create, ~10 ms of each start here.
// crun also takes a ready program in the `run.oci.seccomp_bpf_data`
// annotation (base64 of what seccomp(SECCOMP_SET_MODE_FILTER) loads) and
// then skips the compilation. It leaves the program it compiled in its state
// dir (<state>/<id>/seccomp.bpf), so berthd learns each distinct profile
// from crun's own output once, and hands that program back to crun for every
// later container with the same profile: the filter loaded is byte for byte
// the one crun would have compiled.
//
// A program is only reused for the same profile (its JSON, which already
// carries the capability- and arch-dependent rules) under the same crun and
// libseccomp files (path, inode, size, mtime): an upgrade of either changes
// the key. The spec keeps its linux.seccomp section (flags, inspection by
// other tools); crun prefers the annotation. runc ignores annotations and is
// never given one.

import { createHash } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { OciSpec } from '../core/runtime.ts';

export const BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';

const LIBSECCOMP = ['/usr/lib/x86_64-linux-gnu/libseccomp.so.2', '/usr/lib/aarch64-linux-gnu/libseccomp.so.2', '/usr/lib64/libseccomp.so.2', '/usr/lib/libseccomp.so.2'];

/** Path, inode, size and mtime of a file, or '' when absent. */
function identity(file: string): string {
  try {
    const real = realpathSync(file);
    const st = statSync(real);
    return `${real}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

export class SeccompBpfCache {
  readonly #entries = new Map<string, string>();
  readonly #max: number;
  readonly #libseccomp: string;

  constructor(max = 64) {
    this.#max = max;
    const lib = LIBSECCOMP.find((p) => existsSync(p));
    this.#libseccomp = lib ? identity(lib) : '';
  }

  /** Only crun reads the annotation; a spec without seccomp or with a caller's own program is left alone. */
  static applies(binary: string, spec: OciSpec): boolean {
    const s = spec.linux?.seccomp as { listenerPath?: string } | undefined;
    return path.basename(binary) === 'crun' && !!s && !s.listenerPath && !spec.annotations?.[BPF_ANNOTATION];
  }

  key(binary: string, spec: OciSpec): string {
    return createHash('sha256').update(`${identity(binary)}\0${this.#libseccomp}\0${JSON.stringify(spec.linux?.seccomp)}`).digest('hex');
  }

  /** The spec with the cached program of its profile, or null when none is cached yet. */
  withProgram(key: string, spec: OciSpec): OciSpec | null {
    const bpf = this.#entries.get(key);
    if (bpf === undefined) return null;
    this.#entries.delete(key);
    this.#entries.set(key, bpf); // most recently used last
    return { ...spec, annotations: { ...spec.annotations, [BPF_ANNOTATION]: bpf } };
  }

  /** Keeps the program crun compiled for a container created with the profile of `key`. */
  async learn(key: string, compiled: string): Promise<boolean> {
    if (this.#entries.has(key)) return false;
    const bpf = await fsp.readFile(compiled);
    // A BPF program is a whole number of 8-byte instructions; anything else is not crun's output.
    if (bpf.length === 0 || bpf.length % 8 !== 0) return false;
    this.#entries.set(key, bpf.toString('base64'));
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    return true;
  }

  get size(): number {
    return this.#entries.size;
  }
}
