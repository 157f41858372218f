// `--cache-from`: images in the store (pulled, loaded, built elsewhere)
// whose history can stand in for build steps, as Docker's classic builder
// does it. A source matches a step when
//   - its history and layers start with those of the image so far (the
//     step's parent), entry for entry, and
//   - its next history entry was made by the same instruction (created_by).
// A match that is the source's last entry is the source itself; an earlier
// one becomes a new local image: the parent plus that entry (and its layer,
// which the source already has in the store, so nothing is copied). Once a
// source has matched, later steps look only at it. Sources that are not in
// the store are skipped, as Docker skips them. With sources given, the
// local build cache only counts for images a source descends from.

import type { ImageHistoryItem, ImageRecord, ImageRunConfig } from '../core/image.ts';
import { isCode } from '../core/errors.ts';
import type { BerthImageService } from '../images/service.ts';

export class CacheSources {
  readonly #images: BerthImageService;
  readonly #refs: string[];
  #sources: ImageRecord[] | null = null;

  constructor(images: BerthImageService, refs: string[]) {
    this.#images = images;
    this.#refs = refs;
  }

  get empty(): boolean { return this.#refs.length === 0; }

  async #load(): Promise<ImageRecord[]> {
    if (!this.#sources) {
      const found: ImageRecord[] = [];
      for (const ref of this.#refs) {
        try {
          found.push(await this.#images.resolve(ref));
        } catch (err) {
          if (!isCode(err, 'not_found')) throw err;
        }
      }
      this.#sources = found;
    }
    return this.#sources;
  }

  /**
   * Whether a local cache hit may be used: always without sources; with
   * them, only an image some source descends from (strictly, by parent).
   */
  async allowsLocal(id: string): Promise<boolean> {
    if (this.empty) return true;
    for (const s of await this.#load()) {
      let cur = s.parent;
      for (let depth = 0; cur && depth < 1000; depth++) {
        if (cur === id) return true;
        try {
          cur = (await this.#images.resolve(cur)).parent;
        } catch {
          break;
        }
      }
    }
    return false;
  }

  /** The image standing for the step that makes createdBy on parent, or null. */
  async lookup(parent: ImageRecord | null, createdBy: string, runConfig: ImageRunConfig): Promise<ImageRecord | null> {
    if (this.empty) return null;
    const done = parent?.config.history?.length ?? 0;
    for (const target of await this.#load()) {
      const history = target.config.history ?? [];
      const next = history[done];
      if (!next || next.created_by !== createdBy || !extends_(target, parent)) continue;
      this.#sources = [target];
      if (history.length - 1 === done) return target;
      const layerIndex = history.slice(0, done).filter((h) => !h.empty_layer).length;
      const layer = next.empty_layer ? undefined : this.#images.row(target.id).layers[layerIndex];
      if (!next.empty_layer && !layer) continue;
      return this.#images.newImage({
        parent, parentId: parent?.id ?? '', runConfig,
        ...(layer ? { reuseLayer: layer } : {}),
        history: { created_by: next.created_by, ...(next.author ? { author: next.author } : {}), ...(next.comment ? { comment: next.comment } : {}) },
        ...(next.created ? { created: next.created } : {}),
      });
    }
    return null;
  }
}

/** target's history and layers start with all of parent's. */
function extends_(target: ImageRecord, parent: ImageRecord | null): boolean {
  if (!parent) return true;
  const th = target.config.history ?? [];
  const ph = parent.config.history ?? [];
  if (ph.length >= th.length) return false;
  if (!ph.every((h, i) => sameEntry(h, th[i]!))) return false;
  const td = target.config.rootfs.diff_ids;
  const pd = parent.config.rootfs.diff_ids;
  return pd.length <= td.length && pd.every((d, i) => d === td[i]);
}

function sameEntry(a: ImageHistoryItem, b: ImageHistoryItem): boolean {
  return (a.created ?? '') === (b.created ?? '') && (a.created_by ?? '') === (b.created_by ?? '') &&
    (a.author ?? '') === (b.author ?? '') && (a.comment ?? '') === (b.comment ?? '') && !a.empty_layer === !b.empty_layer;
}
