// Where the conmon driver keeps a container's files, all under `root`
// (the daemon's <execRoot>/runtime):
//
//   state/<runtime>/<id>/   runc's own state (`runc --root state/<runtime>`)
//   exits/<id>              conmon's exit file: the exit code as text
//   s/<id> -> <bundle>      conmon's short symlink to the bundle, for the
//                           attach socket path (unix paths max 108 bytes)
//   c/<id>/meta.json        what a later berthd needs: bundle, runtime name
//   c/<id>/pid              the container's init pid (runc --pid-file)
//   c/<id>/conmon.pid       conmon's pid (liveness checks)
//   c/<id>/oom              conmon's OOM marker (its working directory)
//   c/<id>/runtime.log      runc's log (--log): the reason of a failed create
// and in the bundle: config.json, conmon's `attach` socket and its `ctl` /
// `winsz` FIFOs.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { internal, invalid } from '../core/errors.ts';
import type { LogFileOptions } from '../core/runtime.ts';
import { isErrno } from './rootfs.ts';

/** What a later berthd needs to drive a container conmon still monitors. */
export interface ContainerMeta {
  bundle: string;
  runtime: string;
  tty: boolean;
  openStdin: boolean;
  logPath: string;
  /** Kept or not, and rotated how (absent: kept, never rotated). */
  log?: LogFileOptions;
  /**
   * The kinds of hooks the spec has (poststart, poststop...): those only the
   * runtime's own start and delete run. Absent in metas of older daemons:
   * the spec is read instead.
   */
  hooks?: string[];
  /** The spec's linux.cgroupsPath (absent in metas of older daemons). */
  cgroupsPath?: string;
}

export const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

export function checkId(id: string): void {
  if (!ID_RE.test(id)) throw invalid(`invalid container id: "${id}"`);
}

export class ConmonLayout {
  readonly root: string;
  /** meta.json as written or last read: this daemon is its only writer, and every removal goes through forget(). */
  readonly #metas = new Map<string, ContainerMeta>();

  constructor(root: string) {
    this.root = root;
  }

  ctrDir(id: string): string {
    return path.join(this.root, 'c', id);
  }

  exitDir(): string {
    return path.join(this.root, 'exits');
  }

  exitFile(id: string): string {
    return path.join(this.root, 'exits', id);
  }

  socketDir(): string {
    return path.join(this.root, 's');
  }

  attachSocket(id: string): string {
    return path.join(this.root, 's', id, 'attach');
  }

  runcRoot(runtime: string): string {
    return path.join(this.root, 'state', runtime);
  }

  // Synchronous below: a few small local files, microseconds each, where a
  // thread-pool round trip costs milliseconds on a busy host (start path).
  async meta(id: string): Promise<ContainerMeta | null> {
    const known = this.#metas.get(id);
    if (known) return known;
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(this.ctrDir(id), 'meta.json'), 'utf8')) as ContainerMeta;
      this.#metas.set(id, meta);
      return meta;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return null;
      throw internal(`reading runtime state of ${id}`, err);
    }
  }

  writeMeta(id: string, meta: ContainerMeta): void {
    this.#metas.delete(id);
    fs.writeFileSync(path.join(this.ctrDir(id), 'meta.json'), JSON.stringify(meta));
    this.#metas.set(id, meta);
  }

  /** c/<id> was removed (by a purge): its meta is no longer known. */
  forget(id: string): void {
    this.#metas.delete(id);
  }

  /** IDs with a c/<id> directory (live restore). */
  async listed(): Promise<string[]> {
    try {
      return (await fsp.readdir(path.join(this.root, 'c'))).filter((n) => ID_RE.test(n));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
  }

  /** Everything conmon and this driver wrote for the container (not runc's state). */
  removeFiles(id: string, meta: ContainerMeta | null): void {
    this.#metas.delete(id);
    const rm = (p: string) => fs.rmSync(p, { force: true, recursive: true });
    for (const p of [this.exitFile(id), this.ctrDir(id), path.join(this.root, 's', id)]) rm(p);
    if (meta) for (const f of ['config.json', 'attach', 'ctl', 'winsz']) rm(path.join(meta.bundle, f));
  }
}
