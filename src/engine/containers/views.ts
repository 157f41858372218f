// The read side of `docker ps` and `docker inspect`: records filtered,
// sorted and decorated with what only the stores know (graph driver paths,
// sizes). Nothing here changes state.
//
// `ps` is served from memory: the records from the repository's in-memory
// copy (kept by every put and delete), each container's network settings
// kept beside its record until the record or the container's endpoints,
// leases or ports change (the network store's stamp). A list of 1,000
// containers reads nothing from SQLite when nothing changed since the last.

import type { ContainerFilters, ContainerRecord, ContainerView } from '../../core/container.ts';
import type { ContainerRepository } from '../../core/metadata.ts';
import type { ImageService } from '../../core/image.ts';
import type { ContainerNetworking } from '../../core/network.ts';
import { matchesFilters, validateFilters, type FilterContext } from './filters.ts';
import { isMountStub } from '../../images/layer-diff.ts';

const LIVE = new Set(['running', 'paused', 'restarting']);

export class ContainerViews {
  readonly #containers: ContainerRepository;
  readonly #images: ImageService;
  readonly #rootfs: (id: string) => string;

  readonly #network: ContainerNetworking | undefined;
  /** id -> the list entry last made for it, with the record and network stamp it was made from. */
  readonly #listed = new Map<string, { rec: Readonly<ContainerRecord>; stamp: string; view: ContainerView }>();

  constructor(containers: ContainerRepository, images: ImageService, rootfs: (id: string) => string, network?: ContainerNetworking) {
    this.#containers = containers;
    this.#images = images;
    this.#rootfs = rootfs;
    this.#network = network;
  }

  async list(opts: { all?: boolean; limit?: number; size?: boolean; filters?: ContainerFilters }): Promise<ContainerView[]> {
    const f = opts.filters ?? {};
    validateFilters(f);
    const ctx: FilterContext = {};
    if (f.ancestor?.length) {
      ctx.ancestorIds = new Set();
      for (const a of f.ancestor) {
        try { ctx.ancestorIds.add((await this.#images.resolve(a)).id); } catch { /* names no image: matches nothing */ }
      }
    }
    if (f.before) ctx.beforeCreated = this.#containers.resolve(f.before).created;
    if (f.since) ctx.sinceCreated = this.#containers.resolve(f.since).created;
    // Like dockerd: a limit or a state filter implies --all.
    const all = opts.all || (opts.limit !== undefined && opts.limit > 0) || Boolean(f.status?.length || f.exited?.length);
    const shared = this.#containers.listShared();
    let recs = shared
      .filter((r) => all || LIVE.has(r.state.status))
      .filter((r) => matchesFilters(r, f, ctx))
      .sort((a, b) => (a.created < b.created ? 1 : -1));
    if (opts.limit !== undefined && opts.limit > 0) recs = recs.slice(0, opts.limit);
    this.#forgetRemoved(shared);
    // A list has no GraphDriver (ContainerSummary): no per-container read of the snapshot's files.
    if (opts.size) return Promise.all(recs.map((r) => this.view(r, true, false)));
    return recs.map((r) => this.#summaryView(r));
  }

  /**
   * A list entry: the same object while the record and its network
   * settings stay the same (callers only read it; the API keeps its
   * encoding beside it).
   */
  #summaryView(rec: Readonly<ContainerRecord>): ContainerView {
    const net = this.#network;
    const stamp = net ? net.settingsStamp(rec.id) : '';
    let memo = this.#listed.get(rec.id);
    if (!memo || memo.rec !== rec || memo.stamp !== stamp) {
      const view: ContainerView = { ...rec, imageRef: rec.config.image, graphDriver: { name: this.#images.snapshotter.name, data: {} } };
      if (net) view.network = net.settings(rec);
      memo = { rec, stamp, view };
      this.#listed.set(rec.id, memo);
    }
    return memo.view;
  }

  #forgetRemoved(shared: ReadonlyArray<Readonly<ContainerRecord>>): void {
    if (this.#listed.size <= shared.length) return;
    const ids = new Set(shared.map((r) => r.id));
    for (const id of this.#listed.keys()) if (!ids.has(id)) this.#listed.delete(id);
  }

  async view(rec: Readonly<ContainerRecord>, size: boolean, graphDriver = true): Promise<ContainerView> {
    const snap = this.#images.snapshotter;
    const view: ContainerView = {
      ...rec,
      imageRef: rec.config.image,
      graphDriver: { name: snap.name, data: graphDriver ? await snap.describe(rec.id, this.#rootfs(rec.id)).catch(() => ({})) : {} },
    };
    if (this.#network) view.network = this.#network.settings(rec);
    if (size) {
      view.sizeRw = await snap.usage(rec.id, isMountStub).catch(() => 0);
      let imageSize = 0;
      try { imageSize = (await this.#images.resolve(rec.imageId)).size; } catch { /* image gone */ }
      view.sizeRootFs = imageSize + view.sizeRw;
    }
    return view;
  }
}
