// `system df`: asks each store for what it holds (only the kinds asked
// for), with the sizes dockerd reports: containers' writable layers and
// the size of their image beneath, image layers counted once, volumes'
// contents and reference counts, the builder's cache mounts. The figures
// derived from them (active, reclaimable) are in core/disk-usage.ts.

import type { ContainerService } from '../core/container.ts';
import type { BuildCacheItem, DiskUsage, DiskUsageKind, DiskUsageService } from '../core/disk-usage.ts';
import type { ImageService } from '../core/image.ts';
import type { VolumeService } from '../core/volume.ts';

export interface DiskUsageDeps {
  containers: Pick<ContainerService, 'list'>;
  images: Pick<ImageService, 'diskUsage'>;
  volumes?: Pick<VolumeService, 'usage'>;
  /** The builder's cache records; none without a builder. */
  buildCache?: () => Promise<BuildCacheItem[]>;
}

export class DiskUsageEngine implements DiskUsageService {
  readonly #d: DiskUsageDeps;
  /** One computation at a time: a second caller shares the one under way (dockerd's singleflight). */
  #pending = new Map<string, Promise<DiskUsage>>();

  constructor(deps: DiskUsageDeps) {
    this.#d = deps;
  }

  usage(kinds: ReadonlySet<DiskUsageKind>): Promise<DiskUsage> {
    const key = [...kinds].sort().join(',');
    let p = this.#pending.get(key);
    if (!p) {
      p = this.#compute(kinds).finally(() => this.#pending.delete(key));
      this.#pending.set(key, p);
    }
    return p;
  }

  async #compute(kinds: ReadonlySet<DiskUsageKind>): Promise<DiskUsage> {
    const d = this.#d;
    const out: DiskUsage = {};
    const wantContainers = kinds.has('container');
    // Image counts need the containers too, without their sizes.
    const containers = wantContainers || kinds.has('image') ? await d.containers.list({ all: true, size: wantContainers }) : [];
    if (wantContainers) out.containers = containers;
    const perImage = new Map<string, number>();
    for (const c of containers) perImage.set(c.imageId, (perImage.get(c.imageId) ?? 0) + 1);
    await Promise.all([
      kinds.has('image') ? d.images.diskUsage((id) => perImage.get(id) ?? 0).then((u) => { out.images = u; }) : null,
      kinds.has('volume') ? (d.volumes?.usage() ?? Promise.resolve([])).then((v) => { out.volumes = v; }) : null,
      kinds.has('build-cache') ? (d.buildCache?.() ?? Promise.resolve([])).then((b) => { out.buildCache = b; }) : null,
    ]);
    return out;
  }
}
