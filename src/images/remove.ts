// `docker rmi` semantics (moby's daemon/images/image_delete.go):
//   - a name given: untag it; the image goes only with its last reference,
//     and not while a container uses it unless forced;
//   - an ID given: an image with several tags needs force; one with a single
//     repository's references loses them and is deleted;
//   - running containers and child images are hard conflicts, stopped
//     containers and other references soft ones (force overrides soft);
//   - parents left without tags are pruned unless noprune.
// Only metadata changes here; the caller collects layers and blobs after.

import { BerthError, conflict } from '../core/errors.ts';
import type { RemovedImage } from '../core/image.ts';
import type { Database } from '../stores/metadata.ts';
import type { ImageRow } from '../stores/metadata/images.ts';
import { parseNormalized, refString, repoName, shortId } from './reference.ts';
import { familiar } from './records.ts';
import { isIdPrefix, resolveRow } from './resolve.ts';

export type ImageUser = { id: string; state: { status: string } };

export interface RemoveDeps {
  db: Database;
  usersOfImage: (imageId: string) => Promise<ImageUser[]>;
  emit: (action: 'untag' | 'delete', row: ImageRow) => void;
}

interface RefInfo { stored: string; name: string; canonical: boolean }

const RUNNING = new Set(['running', 'paused', 'restarting']);

function refsOf(db: Database, id: string): RefInfo[] {
  return [...db.images.tagsOf(id), ...db.images.digestsOf(id)].map((stored) => {
    const r = parseNormalized(stored);
    return { stored, name: repoName(r), canonical: !!r.digest };
  });
}

/** One tag, possibly with digests of that same repository. */
function isSingleReference(refs: RefInfo[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: RefInfo | null = null;
  const canonicalNames = new Set<string>();
  for (const r of refs) {
    if (r.canonical) canonicalNames.add(r.name);
    else if (!single) single = r;
    else return false;
  }
  single ??= refs[0];
  return canonicalNames.size === 1 && canonicalNames.has(single.name);
}

export class ImageRemoval {
  readonly records: RemovedImage[] = [];
  readonly deleted: ImageRow[] = [];
  readonly #d: RemoveDeps;

  constructor(deps: RemoveDeps) { this.#d = deps; }

  async run(ref: string, force: boolean, prune: boolean): Promise<void> {
    const db = this.#d.db;
    const row = resolveRow(db, ref);
    let refs = refsOf(db, row.id);
    let removedRepositoryRef = false;
    if (!isIdPrefix(row.id, ref)) {
      if (!force && isSingleReference(refs)) {
        const user = (await this.#d.usersOfImage(row.id))[0];
        if (user) {
          throw conflict(`conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(user.id)} is using its referenced image ${shortId(row.id)}`);
        }
      }
      const parsed = parseNormalized(ref);
      if (!parsed.digest && parsed.tag === undefined) parsed.tag = 'latest';
      const stored = refString(parsed);
      this.#untag(row, stored);
      refs = refsOf(db, row.id);
      if (!parsed.digest && !refs.some((r) => !r.canonical && r.name === repoName(parsed))) {
        // The last tag of a repository takes that repository's digests with it.
        for (const r of refs.filter((x) => x.canonical && x.name === repoName(parsed))) this.#untag(row, r.stored);
        refs = refsOf(db, row.id);
      }
      if (refs.length > 0) return;
      removedRepositoryRef = true;
    } else if (isSingleReference(refs)) {
      const c = await this.#conflict(row.id, { children: true, running: true, stopped: !force, references: false });
      if (c) throw c.error;
      for (const r of refs) this.#untag(row, r.stored);
    }
    await this.#deleteHelper(row.id, force, prune, removedRepositoryRef);
  }

  #untag(row: ImageRow, stored: string): void {
    const db = this.#d.db;
    const removed = db.images.removeTag(stored) || db.images.removeDigest(stored);
    if (!removed) return;
    this.records.push({ untagged: familiar(stored) });
    this.#d.emit('untag', row);
  }

  async #deleteHelper(id: string, force: boolean, prune: boolean, quiet: boolean): Promise<void> {
    const db = this.#d.db;
    const row = db.images.get(id);
    if (!row) return;
    const c = await this.#conflict(id, { children: true, running: true, references: !force, stopped: !force });
    if (c) {
      // moby's imageIsDangling: no references and no children. A parent
      // another image still builds on is not dangling: its conflict is quiet.
      const dangling = refsOf(db, id).length === 0 && db.images.children(id).length === 0;
      if (quiet && (!dangling || c.used)) return;
      throw c.error;
    }
    const refs = refsOf(db, id);
    db.transaction(() => db.images.delete(id)); // its tags and digests go with it
    for (const r of refs) {
      this.records.push({ untagged: familiar(r.stored) });
      this.#d.emit('untag', row);
    }
    this.#d.emit('delete', row);
    this.records.push({ deleted: id });
    this.deleted.push(row);
    if (prune && row.parent) await this.#deleteHelper(row.parent, false, true, true);
  }

  async #conflict(id: string, mask: { children: boolean; running: boolean; references: boolean; stopped: boolean }):
    Promise<{ error: BerthError; used: boolean } | null> {
    const db = this.#d.db;
    const make = (hard: boolean, used: boolean, msg: string) => ({
      used,
      error: conflict(`conflict: unable to delete ${shortId(id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${msg}`),
    });
    if (mask.children && db.images.children(id).length > 0) return make(true, false, 'image has dependent child images');
    const users = mask.running || mask.stopped ? await this.#d.usersOfImage(id) : [];
    const running = users.find((u) => RUNNING.has(u.state.status));
    if (mask.running && running) return make(true, true, `image is being used by running container ${shortId(running.id)}`);
    if (mask.references && refsOf(db, id).length > 0) return make(false, false, 'image is referenced in multiple repositories');
    const stopped = users.find((u) => !RUNNING.has(u.state.status));
    if (mask.stopped && stopped) return make(false, true, `image is being used by stopped container ${shortId(stopped.id)}`);
    return null;
  }
}
