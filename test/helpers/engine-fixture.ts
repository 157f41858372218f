// The container engine wired for unit tests, without root: the fake runtime
// (fake-runtime.ts, held to the runtime conformance suite), the real SQLite
// metadata and log reader under a temp dir, a snapshotter of plain
// directories (its mount records the target and mounts nothing) and a
// minimal spec builder (the real one has its own tests, spec.test.ts).
// A second engine over the same world is a restarted daemon: the fake
// runtime's containers outlive an engine like conmon's outlive berthd.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CreateContainerRequest } from '../../src/core/container.ts';
import type { EngineEvent } from '../../src/core/events.ts';
import type { ImageRecord, ImageService } from '../../src/core/image.ts';
import { nullLogger } from '../../src/core/logger.ts';
import { notFound } from '../../src/core/errors.ts';
import type { OciSpec } from '../../src/core/runtime.ts';
import type { Snapshotter } from '../../src/core/snapshot.ts';
import { ContainerEngine, type SpecRequest } from '../../src/engine/containers/service.ts';
import { EventBus } from '../../src/engine/events.ts';
import { readLogs } from '../../src/runtime/logs.ts';
import { openDatabase, type Database } from '../../src/stores/metadata.ts';
import { FakeRuntime, type FakeRuntimeOptions } from './fake-runtime.ts';

/** Writable snapshots as directories; committed layers are not needed by the lifecycle. */
export class DirSnapshotter implements Snapshotter {
  readonly name = 'copy' as const;
  readonly mounted = new Map<string, string>();
  readonly #root: string;
  constructor(root: string) { this.#root = root; }
  #dir(key: string): string { return path.join(this.#root, key); }
  keys(): string[] { return fs.existsSync(this.#root) ? fs.readdirSync(this.#root) : []; }
  async listSnapshots(): Promise<string[]> { return this.keys(); }
  async hasLayer(): Promise<boolean> { return true; }
  async applyLayer(): Promise<never> { throw new Error('DirSnapshotter has no layers'); }
  async removeLayer(): Promise<void> {}
  async prepare(key: string): Promise<void> { fs.mkdirSync(this.#dir(key), { recursive: true }); }
  async mount(key: string, target: string): Promise<void> {
    if (!fs.existsSync(this.#dir(key))) throw notFound(`snapshot ${key} does not exist`);
    this.mounted.set(target, key);
  }
  async unmount(target: string): Promise<void> { this.mounted.delete(target); }
  async remove(key: string): Promise<void> { fs.rmSync(this.#dir(key), { recursive: true, force: true }); }
  async *diff(): AsyncIterable<never> { /* nothing changes in a directory nobody mounts */ }
  async commit(): Promise<never> { throw new Error('DirSnapshotter cannot commit'); }
  async usage(): Promise<number> { return 0; }
  async describe(key: string): Promise<Record<string, string>> { return { UpperDir: this.#dir(key) }; }
}

export const IMAGE: ImageRecord = {
  id: 'sha256:' + 'b'.repeat(64),
  manifestDigest: 'sha256:' + 'd'.repeat(64),
  created: '2024-01-01T00:00:00Z',
  size: 1_000_000,
  config: {
    created: '2024-01-01T00:00:00Z', architecture: 'amd64', os: 'linux',
    config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: ['sha256:' + 'e'.repeat(64)] },
  },
  chainId: 'sha256:' + 'e'.repeat(64),
  tags: ['busybox:latest'],
  digests: [],
  parent: '',
};

function images(snapshotter: Snapshotter): ImageService {
  const resolve = async (ref: string) => {
    if (ref === IMAGE.id || ref === 'busybox' || IMAGE.tags.includes(ref)) return IMAGE;
    throw notFound(`No such image: ${ref}`);
  };
  return { snapshotter, resolve } as unknown as ImageService;
}

/** What the real spec builder gives the runtime that the fake reads: the command, env, and the pid namespace. */
async function minimalSpec({ record, rootfs }: SpecRequest): Promise<OciSpec> {
  const pidMode = record.hostConfig.resources?.pidMode ?? '';
  return {
    ociVersion: '1.0.2',
    root: { path: rootfs },
    mounts: [],
    process: { args: [record.path, ...record.args], env: record.config.env, cwd: record.config.workingDir || '/', terminal: record.config.tty },
    linux: { namespaces: pidMode === 'host' || pidMode.startsWith('container:') ? [] : [{ type: 'pid' }] },
  };
}

export class EngineWorld {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-engine-'));
  readonly runtime: FakeRuntime;
  readonly snapshotter = new DirSnapshotter(path.join(this.dir, 'snapshots'));
  readonly events = new EventBus();
  readonly seen: EngineEvent[] = [];
  readonly db: Database;
  engine: ContainerEngine;
  #engines: ContainerEngine[] = [];

  constructor(runtime: FakeRuntimeOptions = {}) {
    this.runtime = new FakeRuntime(runtime);
    this.db = openDatabase(path.join(this.dir, 'berth.db'));
    this.events.subscribe((e) => this.seen.push(e));
    this.engine = this.newEngine();
  }

  newEngine(): ContainerEngine {
    const engine = new ContainerEngine({
      containers: this.db.containers, images: images(this.snapshotter), runtime: this.runtime, events: this.events, logger: nullLogger,
      dataRoot: path.join(this.dir, 'root'), execRoot: path.join(this.dir, 'exec'), defaultRuntime: 'runc', runtimes: ['runc', 'crun'],
      buildSpec: minimalSpec, readLogs, tarDirectory: () => { throw new Error('not used by these tests'); },
    });
    this.#engines.push(engine);
    return engine;
  }

  /** The daemon stops (containers keep running in the runtime) and a new one starts over the same state. */
  async restartDaemon(): Promise<ContainerEngine> {
    await this.engine.shutdown();
    this.engine = this.newEngine();
    // As berthd boots (daemon.ts): registration, then re-adoption beside the sweeps.
    this.engine.restore();
    this.engine.readopt();
    await this.engine.sweepOrphans();
    await this.engine.restored;
    return this.engine;
  }

  async run(cmd: string[], req: Omit<CreateContainerRequest, 'config'> & { config?: Partial<CreateContainerRequest['config']> } = {}): Promise<string> {
    const { id } = await this.engine.create({ ...req, config: { image: 'busybox', ...req.config, cmd } });
    await this.engine.start(id);
    return id;
  }

  /** Actions of the events about one container, in order ("kill:15", "die:3" with their signal or exit code). */
  actions(id: string): string[] {
    return this.seen.filter((e) => e.type === 'container' && e.id === id).map((e) => {
      const extra = e.attributes.signal ?? e.attributes.exitCode;
      return extra === undefined ? e.action : `${e.action}:${extra}`;
    });
  }

  async cleanup(): Promise<void> {
    for (const e of this.#engines) await e.shutdown().catch(() => {});
    for (const id of await this.runtime.ids()) await this.runtime.delete(id, { force: true });
    this.db.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
