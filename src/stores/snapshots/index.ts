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
import { IdmappedLayers, probeIdmapped, sweepStage, usernsFd, type IdmapAttach } from './idmapped.ts';
import type { IdMaps } from '../../core/idmap.ts';

export { CopySnapshotter } from './copy.ts';
export { OverlaySnapshotter } from './overlay.ts';
export { canList, type ListingSnapshotter, type SnapshotterOptions } from './common.ts';
export { DEFAULT_LAYER_LIMITS, type LayerLimits } from './apply.ts';

export type SnapshotterPreference = 'auto' | 'overlay' | 'copy';

/**
 * --userns-remap with overlay: how layers reach remapped containers. auto:
 * idmapped mounts where the probe at start passes, else chowned once per
 * image; off: always chowned; fd or stage: only that way of attaching
 * (tests and diagnosis). stageDir: under the exec root, swept at start.
 */
export interface IdmapOptions { mode: 'auto' | 'off' | IdmapAttach; stageDir: string }

/**
 * root is <dataRoot>/snapshots; each snapshotter keeps its state in
 * <root>/<name>/ so switching preference never mixes their trees.
 */
export async function createSnapshotter(
  root: string,
  preference: SnapshotterPreference,
  opts: SnapshotterOptions & { logger?: Logger; idmap?: IdmapOptions } = {},
): Promise<ListingSnapshotter> {
  const log = opts.logger ?? nullLogger;
  fs.mkdirSync(root, { recursive: true });
  removeTemps(root);
  if (opts.idmap) sweepStage(opts.idmap.stageDir);
  if (preference === 'copy') return new CopySnapshotter(`${root}/copy`, opts);
  const reason = probeOverlay(root);
  if (reason === null) {
    const idmapped = opts.idMaps && opts.idmap ? await chooseIdmapped(root, opts.idMaps, opts.idmap, log) : null;
    return new OverlaySnapshotter(`${root}/overlay`, { ...opts, ...(idmapped ? { idmapped } : {}) });
  }
  if (preference === 'overlay') throw unavailable(`overlay snapshotter unavailable under ${root}: ${reason}`);
  log.warn('overlayfs unavailable, using the copy snapshotter', { root, reason });
  return new CopySnapshotter(`${root}/copy`, opts);
}

/** Idmapped layers when the kernel and the layers' filesystem allow them here (logging the choice either way). */
async function chooseIdmapped(root: string, maps: IdMaps, o: IdmapOptions, log: Logger): Promise<IdmappedLayers | null> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const chown = (reason: string) => {
    log.info('userns-remap: layers are chowned once per image', { reason, ms: ms() });
    return null;
  };
  if (o.mode === 'off') return chown('idmapped layers turned off (BERTH_USERNS_IDMAP=off)');
  let userns: number;
  try {
    userns = await usernsFd(maps);
  } catch (err) {
    return chown(`no user namespace for the mappings: ${(err as Error).message}`);
  }
  const reasons: string[] = [];
  for (const attach of o.mode === 'auto' ? ['fd', 'stage'] as const : [o.mode]) {
    const layers = new IdmappedLayers(userns, attach, o.stageDir);
    const why = probeIdmapped(layers, root, maps);
    if (why === null) {
      log.info('userns-remap: layers are shown through idmapped mounts, never chowned', { attach, ms: ms() });
      return layers;
    }
    reasons.push(`${attach}: ${why}`);
  }
  fs.closeSync(userns);
  return chown(`idmapped overlay layers unavailable (${reasons.join('; ')})`);
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
