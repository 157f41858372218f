// docker save / docker load over the image service's stores.
//
// save: names resolve to images (a bare repository name means every tag of
// it, as in docker), the whole archive is planned and every blob leased
// before the first byte, and the leases go when the stream ends.
//
// load, in two phases so that a bad archive is a 400 and leaves nothing:
//   1. read(): the archive is read once (files into the content store,
//      each leased as it lands) and planned (plan.ts); any error discards
//      every blob it wrote;
//   2. apply(): each image's layers are unpacked, its row registered with
//      its tags; messages go to the sink (docker's "Loading layer" bars
//      unless quiet, then "Loaded image: ..."). A failure discards what was
//      not registered.

import type { Readable } from 'node:stream';
import { isCode, notFound, wrap } from '../../core/errors.ts';
import { decompress } from '../compression.ts';
import { tarStream } from '../../stores/tar/writer.ts';
import type { ProgressSink } from '../distribution/progress.ts';
import type { BerthImageService } from '../service.ts';
import { familiarString, parseNormalized, refString, repoName, type Reference } from '../reference.ts';
import { chainIds } from '../records.ts';
import { loadImage } from './load.ts';
import { type PlannedImage, planLoad } from './plan.ts';
import { readArchive } from './read.ts';
import { type SaveItem, planSave, saveEntries } from './save.ts';

export interface PreparedLoad {
  images: PlannedImage[];
  /** Runs phase 2; always releases what phase 1 held. */
  apply(sink: ProgressSink, quiet: boolean): Promise<void>;
  /** Drops phase 1's blobs without loading (the client went away). */
  abandon(): Promise<void>;
}

export class ImageArchives {
  readonly #images: BerthImageService;

  constructor(images: BerthImageService) {
    this.#images = images;
  }

  /** The tar stream of `docker save NAME...`; everything is resolved and leased before it is returned. */
  async save(names: string[]): Promise<Readable> {
    const items = await this.#resolve(names);
    const img = this.#images;
    const keys = items.flatMap(({ row }) => [row.id, row.manifestDigest, ...row.layers.map((l) => l.digest)]);
    const release = await img.hold(keys);
    try {
      const plan = await planSave(img.content, items);
      const stream = tarStream(saveEntries(img.content, plan));
      stream.once('close', release);
      for (const { row } of items) img.emitById('save', row.id);
      return stream;
    } catch (err) {
      release();
      throw err;
    }
  }

  async #resolve(names: string[]): Promise<SaveItem[]> {
    const byId = new Map<string, SaveItem>();
    const add = (ref: string, tag: Reference | null) => {
      const row = this.#images.row(ref);
      let item = byId.get(row.id);
      if (!item) byId.set(row.id, (item = { row, tags: [] }));
      if (tag && !item.tags.some((t) => refString(t) === refString(tag))) item.tags.push(tag);
    };
    for (const name of names) {
      let ref: Reference | null;
      try {
        ref = /^(sha256:)?[a-f0-9]{64}$/.test(name) ? null : parseNormalized(name);
      } catch {
        ref = null;
      }
      if (ref && ref.tag === undefined && !ref.digest) {
        // A bare name: every tag of that repository; none: maybe a short ID.
        const repo = repoName(ref);
        const tagged: Reference[] = [];
        for (const rec of await this.#images.list({ all: true })) {
          for (const t of rec.tags) {
            const r = parseNormalized(t);
            if (repoName(r) === repo && r.tag !== undefined) tagged.push(r);
          }
        }
        if (tagged.length) for (const t of tagged) add(refString(t), t);
        else {
          try {
            add(name, null);
          } catch (err) {
            throw isCode(err, 'not_found') ? notFound(`No such image: ${name}`) : err;
          }
        }
        continue;
      }
      add(name, ref?.tag !== undefined ? ref : null);
    }
    return [...byId.values()];
  }

  /** Phase 1 of a load: reads and checks the archive. Throws invalid_argument for a bad archive, leaving nothing. */
  async read(src: NodeJS.ReadableStream | AsyncIterable<Buffer>): Promise<PreparedLoad> {
    const img = this.#images;
    const releases: Array<() => void> = [];
    const written: string[] = [];
    const applied: string[] = [];
    const releaseAll = () => { for (const r of releases.splice(0)) r(); };
    const discard = async () => {
      releaseAll();
      await img.discard(applied, written);
    };
    let images: PlannedImage[];
    try {
      const { stream } = await decompress(src, { maxRatio: img.layerLimits.maxRatio });
      const files = await readArchive(img.content, stream, {
        maxBytes: img.maxLayerBytes,
        onBlob: async (d) => { written.push(d); releases.push(await img.hold([d])); },
      }).catch((err) => {
        throw isCode(err, 'invalid_argument') && !/^invalid image archive/.test((err as Error).message)
          ? wrap(err, 'invalid image archive') : err;
      });
      images = await planLoad(img.content, files);
      releases.push(await img.hold(images.flatMap((i) => [i.id, ...chainIds(i.config.rootfs.diff_ids)])));
    } catch (err) {
      await discard();
      throw err;
    }
    let settled = false;
    return {
      images,
      abandon: async () => { if (!settled) { settled = true; await discard(); } },
      apply: async (sink, quiet) => {
        settled = true;
        try {
          await this.#apply(images, sink, quiet, applied, written, releases);
        } finally {
          await discard();
        }
      },
    };
  }

  async #apply(images: PlannedImage[], sink: ProgressSink, quiet: boolean, applied: string[], written: string[], releases: Array<() => void>): Promise<void> {
    const img = this.#images;
    const deps = {
      content: img.content, snapshotter: img.snapshotter, limits: img.layerLimits,
      knownLayer: (d: string) => img.knownLayer(d),
      layerSize: (d: string) => img.layerSize(d),
      written: async (d: string) => { written.push(d); releases.push(await img.hold([d])); },
    };
    const say = (line: string) => sink({ stream: `${line}\n` });
    for (const planned of images) {
      const row = await loadImage(deps, planned, quiet ? null : sink, applied);
      written.push(row.manifestDigest);
      const moved: string[] = [];
      for (const t of planned.tags) {
        try {
          const prev = img.row(refString(t));
          if (prev.id !== row.id) moved.push(`The image ${familiarString(t)} already exists, renaming the old one with ID ${prev.id} to empty string`);
        } catch (err) {
          if (!isCode(err, 'not_found')) throw err;
        }
      }
      await img.register(row, planned.tags.map((t) => refString(t)), [], 'load', true);
      for (const m of moved) say(m);
      if (planned.tags.length) for (const t of planned.tags) say(`Loaded image: ${familiarString(t)}`);
      else say(`Loaded image ID: ${row.id}`);
    }
  }
}
