// The volume service: the engine's side of /volumes, and what the
// container mounts ask of volumes (get-or-create, mount, release).
// References are computed from the container records (refsOf), so a
// volume is in use exactly while a container record names it.

import { randomBytes } from 'node:crypto';
import type { EventSink } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import {
  ANONYMOUS_LABEL, LOCAL_DRIVER, type VolumeFilters, type VolumePruneOptions, type VolumeRecord, type VolumeRepository,
  type VolumeService, type VolumeUsage, type VolumeView,
} from '../core/volume.ts';
import { conflict, isCode, notFound } from '../core/errors.ts';
import { LocalDriver } from './local.ts';
import { validateVolumeName, validateVolumeOptions } from './names.ts';
import { filterVolumes } from './filters.ts';

export interface VolumeDeps {
  repo: VolumeRepository;
  /** <data-root>/volumes */
  root: string;
  events: EventSink;
  logger: Logger;
  /** IDs of the containers whose records name this volume. */
  refsOf(name: string): string[];
  /** --userns-remap: host IDs of the remapped root, which owns each volume's _data (dockerd's rule). */
  owner?: { uid: number; gid: number } | null;
}

export interface CreateVolumeRequest {
  name?: string;
  driver?: string;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

export class VolumeEngine implements VolumeService {
  readonly #d: VolumeDeps;
  readonly #log: Logger;
  readonly driver: LocalDriver;

  constructor(deps: VolumeDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'volumes' });
    this.driver = new LocalDriver(deps.root, deps.owner ?? null);
  }

  #view(rec: VolumeRecord): VolumeView {
    return { ...rec, mountpoint: this.driver.mountpoint(rec.name), scope: 'local' };
  }

  async create(req: CreateVolumeRequest): Promise<VolumeView> {
    return this.#view((await this.getOrCreate(req)).record);
  }

  /** The volume named in req, created if missing (the second value says whether it was). */
  async getOrCreate(req: CreateVolumeRequest): Promise<{ record: VolumeRecord; created: boolean }> {
    const driver = req.driver || LOCAL_DRIVER;
    const labels = { ...(req.labels ?? {}) };
    let name = req.name ?? '';
    if (name === '') {
      name = randomBytes(32).toString('hex');
      labels[ANONYMOUS_LABEL] = '';
    }
    validateVolumeName(name);
    const existing = this.#d.repo.get(name);
    if (existing) {
      if (req.driver && existing.driver !== driver) {
        throw conflict(`create ${name}: volume name must be unique: a volume with this name exists with driver ${JSON.stringify(existing.driver)}`);
      }
      return { record: existing, created: false };
    }
    if (driver !== LOCAL_DRIVER) throw notFound(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const options = { ...(req.options ?? {}) };
    validateVolumeOptions(name, options);
    const record: VolumeRecord = {
      name, driver, labels, options, createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    // Directory first, then the row: a crash leaves at worst an unlisted directory, never a row without one.
    await this.driver.create(name);
    if (!this.#d.repo.insert(record)) {
      // Someone created it meanwhile: theirs stands.
      return { record: this.#d.repo.get(name)!, created: false };
    }
    this.#d.events.emit('volume', 'create', name, { driver });
    return { record, created: true };
  }

  get(name: string): VolumeRecord {
    const rec = this.#d.repo.get(name);
    if (!rec) throw notFound(`get ${name}: no such volume`);
    return rec;
  }

  inspect(name: string): VolumeView {
    return this.#view(this.get(name));
  }

  list(filters: VolumeFilters = {}): VolumeView[] {
    const recs = this.#d.repo.list();
    return filterVolumes(recs, filters, (n) => this.#d.refsOf(n).length > 0).map((r) => this.#view(r));
  }

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const rec = this.#d.repo.get(name);
    if (!rec) {
      if (opts.force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    const refs = this.#d.refsOf(name);
    if (refs.length > 0) throw conflict(`remove ${name}: volume is in use - [${refs.join(', ')}]`);
    // Record first, then the files: a crash in between leaves an unlisted directory.
    this.#d.repo.delete(name);
    try {
      await this.driver.remove(name);
    } catch (err) {
      this.#log.warn('removing volume data failed', { name, err });
      if (!opts.force) throw err;
    }
    this.#d.events.emit('volume', 'destroy', name, { driver: rec.driver });
  }

  /** Removes a container's anonymous volume unless another container still refers to it. */
  async removeIfUnused(name: string): Promise<void> {
    try {
      await this.remove(name);
    } catch (err) {
      if (!isCode(err, 'conflict') && !isCode(err, 'not_found')) this.#log.warn('removing anonymous volume failed', { name, err });
    }
  }

  async prune(opts: VolumePruneOptions): Promise<{ deleted: string[]; reclaimed: number }> {
    const candidates = filterVolumes(this.#d.repo.list(), { dangling: true, label: opts.label }, (n) => this.#d.refsOf(n).length > 0)
      .filter((r) => opts.all || Object.hasOwn(r.labels, ANONYMOUS_LABEL))
      .filter((r) => !opts.labelNot?.length || filterVolumes([r], { label: opts.labelNot }, () => false).length === 0);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const rec of candidates) {
      const size = rec.options.type ? 0 : await this.driver.size(rec.name);
      try {
        await this.remove(rec.name);
      } catch (err) {
        this.#log.warn('prune: could not remove volume', { name: rec.name, err });
        continue;
      }
      deleted.push(rec.name);
      reclaimed += size;
    }
    this.#d.events.emit('volume', 'prune', '', { reclaimed: String(reclaimed) });
    return { deleted, reclaimed };
  }

  /**
   * At boot, after running containers were re-adopted: unmounts volume
   * devices nobody holds, and removes directories a crash left without a
   * record when they hold nothing (a non-empty one is only reported).
   */
  async sweep(): Promise<void> {
    const known = new Set(this.#d.repo.list().map((r) => r.name));
    for (const name of await this.driver.names()) {
      if (await this.driver.unmountIfUnheld(name)) this.#log.info('unmounted a volume no container holds', { name });
      if (known.has(name)) continue;
      const empty = await this.driver.isEmpty(name).catch(() => true);
      if (empty) await this.driver.remove(name);
      else this.#log.warn('volume directory without a record left in place (not empty)', { name, dir: this.driver.dir(name) });
    }
  }

  async usage(): Promise<VolumeUsage[]> {
    const out: VolumeUsage[] = [];
    for (const rec of this.#d.repo.list()) {
      // A volume mounted from elsewhere (options) is not berth's disk space: Docker reports -1.
      const size = rec.options.type ? -1 : await this.driver.size(rec.name);
      out.push({ ...this.#view(rec), size, refCount: this.#d.refsOf(rec.name).length });
    }
    return out;
  }
}
