// The images' part of `docker system df`, as dockerd computes it: every
// layer any image references counted once (LayersSize, intermediate build
// images included), the top-level images as `docker images` lists them,
// each with the bytes of its layers that another listed image shares.

import type { ImageDiskUsage } from '../core/disk-usage.ts';
import type { Database } from '../stores/metadata.ts';
import { listImages } from './list.ts';
import { chainIds } from './records.ts';

/** Layer chain IDs of an image, bottom first, paired with their unpacked sizes where the store knows them. */
function layersOf(diffIds: string[], sizes: ReadonlyMap<string, number>): Array<[string, number]> {
  return chainIds(diffIds).map((c) => [c, sizes.get(c) ?? 0]);
}

export function imageDiskUsage(db: Database, containersOf: (imageId: string) => number): ImageDiskUsage {
  const sizes = new Map<string, number>();
  for (const row of db.images.list()) {
    const chains = chainIds(row.config.rootfs?.diff_ids ?? []);
    row.layers.forEach((l, i) => { if (chains[i]) sizes.set(chains[i]!, l.uncompressedSize); });
  }
  let layersSize = 0;
  for (const s of sizes.values()) layersSize += s;

  const images = listImages(db, {});
  const refs = new Map<string, number>();
  const layers = images.map((img) => {
    const own = new Map(layersOf(img.config.rootfs?.diff_ids ?? [], sizes));
    for (const c of own.keys()) refs.set(c, (refs.get(c) ?? 0) + 1);
    return own;
  });
  return {
    layersSize,
    items: images.map((image, i) => {
      let sharedSize = 0;
      for (const [c, size] of layers[i]!) if ((refs.get(c) ?? 0) > 1) sharedSize += size;
      return { image, sharedSize, containers: containersOf(image.id) };
    }),
  };
}
