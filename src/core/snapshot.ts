// Snapshotter: filesystem trees keyed by name (containerd's model).
//
// Worked example, an image with two layers and one container:
//   apply("sha256:c1", null,         tarOfL1)   -> committed layer c1 = L1
//   apply("sha256:c2", "sha256:c1",  tarOfL2)   -> committed layer c2 = L1+L2 (stored as L2's diff only)
//   prepare("ctr-abc", "sha256:c2")             -> writable snapshot on top of c2
//   mount("ctr-abc", "/run/berth/.../rootfs")   -> overlay: lower=c2,c1 upper=ctr-abc
//   ... container runs, writes land in ctr-abc's upper dir ...
//   unmount(".../rootfs"); remove("ctr-abc")    -> the writes are gone, c1/c2 stay
//   removeLayer("sha256:c2"), removeLayer("sha256:c1") when no image needs them
//
// Layer tars use OCI whiteouts (`.wh.name`, `.wh..wh..opq`). The overlay
// snapshotter stores them as overlayfs does (0/0 char device, the
// trusted.overlay.opaque xattr); the copy snapshotter applies them by
// deleting. Both refuse paths that escape the layer root.

import type { Stats } from 'node:fs';
import type { IdMaps } from './idmap.ts';
export interface Mount {
  type: string;      // "overlay" | "bind"
  source: string;
  options: string[];
}

export interface ApplyResult {
  diffId: string;   // sha256 of the uncompressed tar as read
  size: number;     // bytes of file content written
}

/**
 * A layer that unpacks itself where the snapshotter says, instead of a tar
 * stream the snapshotter reads: a pull decompresses, parses and writes in a
 * worker thread, so the thread that downloads does none of it. root null:
 * only read the tar through for its diffID (the layer exists already).
 */
export interface LayerUnpacker {
  /** idMaps (--userns-remap): owners written as the host IDs the entries' IDs map to. */
  unpack(to: { root: string | null; whiteouts: 'overlay' | 'delete'; limits: Partial<Record<'maxBytes' | 'maxFiles' | 'maxRatio', number>>; idMaps?: IdMaps }): Promise<ApplyResult>;
}

export function isUnpacker(tar: NodeJS.ReadableStream | LayerUnpacker): tar is LayerUnpacker {
  return typeof (tar as LayerUnpacker).unpack === 'function';
}

/** One change of a writable snapshot against its parent (docker diff's A/C/D). */
export interface SnapshotDiffEntry {
  /** Root-relative path, no leading "/". */
  path: string;
  kind: 'A' | 'C' | 'D';
  /** Where the new content is on disk (absent for deletions). */
  source?: string;
  /** A directory whose lower contents are all hidden. */
  opaque?: boolean;
}

export interface RemoveOptions {
  /**
   * Resolve once the snapshot is out of the store (its name free, no longer
   * a user of its parent) and hand the deletion of its files to `later`
   * (a crash before it ends leaves them where the next start deletes them).
   */
  later?: (deletion: Promise<void>) => void;
}

export interface Snapshotter {
  readonly name: 'overlay' | 'copy';
  /**
   * --userns-remap: writable snapshots (and layers unpacked without idmapped
   * mounts) hold the mapped host IDs; diffs turn them back into the container's.
   */
  readonly idMaps?: IdMaps;
  /** Extra lines for docker info's DriverStatus. */
  readonly driverStatus?: Array<[string, string]>;
  hasLayer(chainId: string): Promise<boolean>;
  /** Extracts an uncompressed layer tar (or lets an unpacker write it) into a new committed layer. Atomic: on error nothing is left. */
  applyLayer(chainId: string, parentChainId: string | null, tar: NodeJS.ReadableStream | LayerUnpacker): Promise<ApplyResult>;
  removeLayer(chainId: string): Promise<void>;
  /** Creates the writable snapshot `key` on top of parent (null: empty). */
  prepare(key: string, parentChainId: string | null): Promise<void>;
  /**
   * Mounts snapshot `key` at target (directory must exist). `volatile`: its
   * writes need not outlive a crash (the snapshot is thrown away after one
   * use, `run --rm`), so the unmount need not flush them to disk.
   */
  mount(key: string, target: string, opts?: { volatile?: boolean }): Promise<void>;
  /** A target that is not mounted (or gone) is fine: cleanup must be repeatable. */
  unmount(target: string): Promise<void>;
  /** Removes a writable snapshot; it must be unmounted. Missing is not an error. */
  remove(key: string, opts?: RemoveOptions): Promise<void>;
  /** The changes of `key` against its parent, parents before children, names sorted. */
  diff(key: string): AsyncIterable<SnapshotDiffEntry>;
  /**
   * Turns the unmounted writable snapshot `key` into the committed layer
   * chainId on top of its parent (the key is gone afterwards). result is
   * what the layer's tar hashed to. An existing chainId is kept and the
   * snapshot just removed.
   */
  commit(key: string, chainId: string, result: ApplyResult): Promise<void>;
  /** Bytes in the writable layer of `key`; `skip`: entries not to count (a container's mount stubs). */
  usage(key: string, skip?: UsageSkip): Promise<number>;
  /** Paths for `docker inspect` GraphDriver.Data (LowerDir, UpperDir, WorkDir, MergedDir). */
  describe(key: string, mergedDir: string): Promise<Record<string, string>>;
}

/** Whether an entry of a writable snapshot is left out of its size (path relative to its root, no leading "/"; its lstat; where it is on the host). */
export type UsageSkip = (path: string, st: Stats, hostPath: string) => boolean;
