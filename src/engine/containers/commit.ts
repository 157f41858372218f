// `docker commit` and `docker diff`: a container's writable snapshot as a
// new image layer, and as the A/C/D list of what it changed.
//
// Commit (Docker's order): freeze a running container (pause=true, the
// default) so the diff is consistent, write the layer from the snapshot
// (which the container keeps), thaw, then the image config: the
// container's config with --change applied, and one history entry whose
// created_by is the container's command.

import type { ContainerConfig } from '../../core/container.ts';
import type { ContainerRepository } from '../../core/metadata.ts';
import type { ContainerRuntime } from '../../core/runtime.ts';
import type { EventSink } from '../../core/events.ts';
import type { ImageRecord, ImageRunConfig } from '../../core/image.ts';
import type { Logger } from '../../core/logger.ts';
import type { SnapshotDiffEntry } from '../../core/snapshot.ts';
import { conflict } from '../../core/errors.ts';
import type { BerthImageService } from '../../images/service.ts';
import { applyChanges } from '../../images/changes.ts';
import { toImageHealthConfig } from './health-config.ts';
import { CONTAINER_MOUNT_STUBS, withoutMountStubs } from '../../images/layer-diff.ts';

export interface CommitOptions {
  /** "repo[:tag]" or empty for an untagged image. */
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause?: boolean;
  changes?: string[];
}

export interface ContainerChange { path: string; kind: 0 | 1 | 2 }

export interface CommitDeps {
  containers: ContainerRepository;
  images: BerthImageService;
  runtime: ContainerRuntime;
  events: EventSink;
  logger: Logger;
  /** Waits until live restore has re-adopted the container (ContainerEngine.adopted). */
  adopted?: (ref: string) => Promise<void>;
}

const KIND = { C: 0, A: 1, D: 2 } as const;

export class ContainerCommits {
  readonly #d: CommitDeps;

  constructor(deps: CommitDeps) {
    this.#d = deps;
  }

  /** Docker's /containers/{id}/changes: Kind 0 modified, 1 added, 2 deleted. */
  async changes(ref: string): Promise<ContainerChange[]> {
    const rec = this.#d.containers.resolve(ref);
    const out: ContainerChange[] = [];
    for await (const e of withoutMountStubs(this.#d.images.snapshotter.diff(rec.id) as AsyncIterable<SnapshotDiffEntry>)) {
      out.push({ path: `/${e.path}`, kind: KIND[e.kind] });
    }
    return out;
  }

  async commit(ref: string, opts: CommitOptions): Promise<ImageRecord> {
    await this.#d.adopted?.(ref);
    const rec = this.#d.containers.resolve(ref);
    if (rec.state.status === 'removing' || rec.state.status === 'dead') {
      throw conflict(`You cannot commit container ${rec.id.slice(0, 12)} which is being removed`);
    }
    const base = await this.#d.images.resolve(rec.imageId);
    const runConfig = applyChanges(runConfigOf(rec.config, base), opts.changes ?? []);
    const target = opts.repo ? this.#d.images.tagReference(opts.repo, opts.tag) : null;
    const freeze = opts.pause !== false && rec.state.status === 'running' && this.#d.runtime.freeze;
    if (freeze) await this.#d.runtime.freeze!(rec.id, true);
    let image: ImageRecord;
    try {
      image = await this.#d.images.newImage({
        // Like dockerd (layer.IsEmpty in NewChildImage): no changes, no layer; the history entry says empty_layer.
        parent: base, parentId: base.id, snapshotKey: rec.id, mountStubs: CONTAINER_MOUNT_STUBS, skipEmptyLayer: true, runConfig, target,
        author: opts.author, comment: opts.comment,
        history: {
          created_by: [...(rec.config.entrypoint ?? []), ...(rec.config.cmd ?? [])].join(' '),
          ...(opts.comment ? { comment: opts.comment } : {}),
        },
      });
    } finally {
      if (freeze) {
        await this.#d.runtime.freeze!(rec.id, false).catch((err) => this.#d.logger.warn('resume after commit failed', { id: rec.id, err }));
      }
    }
    this.#d.events.emit('container', 'commit', rec.id, {
      ...rec.config.labels, comment: opts.comment ?? '', image: rec.config.image, imageID: image.id, name: rec.name,
    });
    if (target) this.#d.images.emitTag(image.id, opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo!);
    return image;
  }
}

/** The container's config as image defaults (what Docker writes into a committed image). */
function runConfigOf(c: ContainerConfig, base: ImageRecord): ImageRunConfig {
  const ic = base.config.config ?? {};
  const out: ImageRunConfig = {
    ...ic,
    User: c.user,
    Env: c.env,
    Cmd: c.cmd,
    Entrypoint: c.entrypoint,
    WorkingDir: c.workingDir,
    Labels: c.labels,
  };
  if (c.exposedPorts && Object.keys(c.exposedPorts).length) out.ExposedPorts = c.exposedPorts;
  if (c.volumes && Object.keys(c.volumes).length) out.Volumes = c.volumes;
  if (c.stopSignal) out.StopSignal = c.stopSignal;
  // dockerd commits the container's Shell, which never took the image's (checked on 20.10).
  if (c.shell?.length) out.Shell = c.shell;
  else delete out.Shell;
  // The container's merged healthcheck (dockerd commits the container's config).
  if (c.healthcheck) out.Healthcheck = toImageHealthConfig(c.healthcheck);
  return out;
}

