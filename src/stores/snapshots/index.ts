// Chooses a snapshotter. "auto" probes whether overlayfs works on the
// filesystem under root (it does not on overlay-on-overlay, some network
// filesystems, or without CAP_SYS_ADMIN) and falls back to copying.

import * as fs from 'node:fs';
import { unavailable } from '../../core/errors.ts';
import { nullLogger, type Logger } from '../../core/logger.ts';
import { S_IFCHR, lsetxattr, mknod, mount } from '../../sys/libc.ts';
import { CopySnapshotter } from './copy.ts';
import { OverlaySnapshotter } from './overlay.ts';
import { removeTemps, tmpName, unmountPath, type ListingSnapshotter, type SnapshotterOptions } from './common.ts';

export { CopySnapshotter } from './copy.ts';
export { OverlaySnapshotter } from './overlay.ts';
export { canList, type ListingSnapshotter, type SnapshotterOptions } from './common.ts';
export { DEFAULT_LAYER_LIMITS, type LayerLimits } from './apply.ts';

export type SnapshotterPreference = 'auto' | 'overlay' | 'copy';

/**
 * root is <dataRoot>/snapshots; each snapshotter keeps its state in
 * <root>/<name>/ so switching preference never mixes their trees.
 */
export async function createSnapshotter(
  root: string,
  preference: SnapshotterPreference,
  opts: SnapshotterOptions & { logger?: Logger } = {},
): Promise<ListingSnapshotter> {
  const log = opts.logger ?? nullLogger;
  fs.mkdirSync(root, { recursive: true });
  removeTemps(root);
  if (preference === 'copy') return new CopySnapshotter(`${root}/copy`, opts);
  const reason = probeOverlay(root);
  if (reason === null) return new OverlaySnapshotter(`${root}/overlay`, opts);
  if (preference === 'overlay') throw unavailable(`overlay snapshotter unavailable under ${root}: ${reason}`);
  log.warn('overlayfs unavailable, using the copy snapshotter', { root, reason });
  return new CopySnapshotter(`${root}/copy`, opts);
}

/** Null when overlay mounts work here with whiteouts and opaque dirs; otherwise why not. */
export function probeOverlay(root: string): string | null {
  const dir = `${root}/${tmpName()}`;
  const merged = `${dir}/merged`;
  let mounted = false;
  try {
    for (const d of ['lower1/d', 'lower2/d', 'upper', 'work', 'merged']) fs.mkdirSync(`${dir}/${d}`, { recursive: true });
    fs.writeFileSync(`${dir}/lower1/gone`, '');
    fs.writeFileSync(`${dir}/lower1/d/hidden`, '');
    mknod(`${dir}/lower2/gone`, S_IFCHR, 0, 0);
    lsetxattr(`${dir}/lower2/d`, 'trusted.overlay.opaque', Buffer.from('y'));
    mount('overlay', merged, 'overlay', 0, `lowerdir=${dir}/lower2:${dir}/lower1,upperdir=${dir}/upper,workdir=${dir}/work`);
    mounted = true;
    if (fs.existsSync(`${merged}/gone`)) return 'whiteout devices are not honoured';
    if (fs.existsSync(`${merged}/d/hidden`)) return 'opaque directories are not honoured';
    fs.writeFileSync(`${merged}/written`, 'x');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    try {
      if (mounted) unmountPath(merged);
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // A probe that cannot clean up is reported by the next start's temp cleanup, not here.
    }
  }
}
