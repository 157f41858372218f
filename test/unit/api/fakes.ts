// In-memory services implementing the core contracts, for driving the API
// server in-process. They record what the API asked of them, so tests can
// check the decoding as well as the encoding.

import { Readable } from 'node:stream';
import type { ImageDiskUsage } from '../../../src/core/disk-usage.ts';
import type {
  AttachHandle, AttachOptions, AttachOutput, ContainerFilters, ContainerPruneOptions, ContainerPruneReport, ContainerRecord, ContainerService, ContainerView,
  CreateContainerRequest, ExtractOptions, PathStat, UpdateRequest, WaitCondition,
} from '../../../src/core/container.ts';
import { conflict, notFound, notModified } from '../../../src/core/errors.ts';
import type { StatsSample, TopResult } from '../../../src/core/stats.ts';
import type { EngineEvent, EventSource } from '../../../src/core/events.ts';
import type { HistoryEntry, ImageFilters, ImagePruneOptions, ImagePruneReport, ImageRecord, ImageService, ImportOptions, RemovedImage } from '../../../src/core/image.ts';
import type { LogEntry } from '../../../src/core/runtime.ts';
import type { Snapshotter } from '../../../src/core/snapshot.ts';
import type { SystemInfo, SystemService, VersionInfo } from '../../../src/core/system.ts';

const ZERO = '0001-01-01T00:00:00Z';

export function makeView(over: Partial<ContainerView> & { id: string; name: string }): ContainerView {
  return {
    created: '2024-01-02T03:04:05.123456789Z',
    imageId: 'sha256:' + 'b'.repeat(64),
    imageRef: 'busybox',
    path: 'sh',
    args: ['-c', 'echo hi'],
    config: {
      hostname: over.id.slice(0, 12), domainname: '', user: '', attachStdin: false, attachStdout: true, attachStderr: true,
      tty: false, openStdin: false, stdinOnce: false, env: ['PATH=/bin'], cmd: ['sh', '-c', 'echo hi'], entrypoint: null,
      image: 'busybox', workingDir: '', labels: {},
    },
    hostConfig: {
      autoRemove: false, networkMode: 'none', runtime: 'runc', restartPolicy: { name: 'no', maximumRetryCount: 0 },
      privileged: false, readonlyRootfs: false, capAdd: [], capDrop: [], extraHosts: [], dns: [], dnsSearch: [],
      dnsOptions: [], binds: [], shmSize: 67108864, memory: 0, nanoCpus: 0, cpuShares: 0, pidsLimit: 0, init: false, securityOpt: [],
    },
    state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO, finishedAt: ZERO },
    restartCount: 0,
    driver: 'overlay',
    mountLabel: '',
    mounts: [],
    logPath: `/data/containers/${over.id}/ctr.log`,
    resolvConfPath: `/data/containers/${over.id}/resolv.conf`,
    hostnamePath: `/data/containers/${over.id}/hostname`,
    hostsPath: `/data/containers/${over.id}/hosts`,
    graphDriver: { name: 'overlay', data: { UpperDir: '/x/upper' } },
    ...over,
  };
}

export interface FakeSession {
  opts: AttachOptions;
  out: AttachOutput;
  written: Buffer[];
  stdinClosed: boolean;
  detached: boolean;
}

export class FakeContainers implements ContainerService {
  views = new Map<string, ContainerView>();
  calls: Array<[string, ...unknown[]]> = [];
  restored: Promise<void> = Promise.resolve();
  lastCreate: CreateContainerRequest | undefined;
  lastList: { all?: boolean; limit?: number; size?: boolean; filters?: ContainerFilters } | undefined;
  waiters: Array<{ id: string; condition: WaitCondition; signal?: AbortSignal; resolve: (r: { statusCode: number; error?: string }) => void }> = [];
  logEntries: LogEntry[] = [];
  lastLogs: Record<string, unknown> | undefined;
  sessions: FakeSession[] = [];
  /** Output the attach delivers before its promise resolves (like a log replay). */
  replayOnAttach: Array<['stdout' | 'stderr', string]> = [];
  exportTar = Buffer.from('not really a tar');
  /** Makes attach handles throw on write, like a broken runtime connection. */
  failWrites = false;
  nextId = 'c'.repeat(64);

  add(view: ContainerView): ContainerView {
    this.views.set(view.id, view);
    return view;
  }

  #find(ref: string): ContainerView {
    const byName = [...this.views.values()].find((v) => v.name === ref.replace(/^\//, ''));
    const byId = [...this.views.values()].filter((v) => v.id.startsWith(ref));
    const v = byName ?? (byId.length === 1 ? byId[0] : undefined);
    if (!v) throw notFound(`No such container: ${ref}`);
    return v;
  }

  async create(req: CreateContainerRequest): Promise<{ id: string; warnings: string[] }> {
    this.lastCreate = req;
    if (req.name && [...this.views.values()].some((v) => v.name === req.name)) throw conflict(`name "/${req.name}" in use`);
    const id = this.nextId;
    const v = makeView({ id, name: req.name ?? 'random_name' });
    const { image, ...config } = req.config;
    v.config = { ...v.config, ...config, image };
    v.imageRef = image;
    const argv = [...(v.config.entrypoint ?? []), ...(v.config.cmd ?? [])];
    if (argv.length) { v.path = argv[0]!; v.args = argv.slice(1); }
    v.hostConfig = { ...v.hostConfig, ...req.hostConfig };
    this.add(v);
    return { id, warnings: [] };
  }

  async start(ref: string): Promise<void> {
    const v = this.#find(ref);
    this.calls.push(['start', v.id]);
    if (v.state.status === 'running') throw notModified('container already started');
    v.state = { ...v.state, status: 'running', pid: 42, startedAt: new Date().toISOString() };
  }

  async stop(ref: string, opts?: { timeout?: number; signal?: string }): Promise<void> {
    const v = this.#find(ref);
    this.calls.push(['stop', v.id, opts]);
    if (v.state.status !== 'running') throw notModified('container already stopped');
    v.state = { ...v.state, status: 'exited', pid: 0, finishedAt: new Date().toISOString() };
  }

  async kill(ref: string, signal?: string): Promise<void> {
    const v = this.#find(ref);
    this.calls.push(['kill', v.id, signal]);
    if (v.state.status !== 'running') throw conflict(`container ${v.id} is not running`);
  }

  async restart(ref: string, opts?: { timeout?: number; signal?: string }): Promise<void> {
    const v = this.#find(ref);
    this.calls.push(['restart', v.id, opts]);
  }

  async remove(ref: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void> {
    const v = this.#find(ref);
    this.calls.push(['remove', v.id, opts]);
    if (v.state.status === 'running' && !opts?.force) throw conflict(`cannot remove container "/${v.name}": container is running: stop the container before removing or force remove`);
    this.views.delete(v.id);
  }

  async list(opts: { all?: boolean; limit?: number; size?: boolean; filters?: ContainerFilters }): Promise<ContainerView[]> {
    this.lastList = opts;
    return [...this.views.values()].filter((v) => opts.all || v.state.status === 'running');
  }

  async inspect(ref: string, opts?: { size?: boolean }): Promise<ContainerView> {
    const v = this.#find(ref);
    return opts?.size ? { ...v, sizeRw: 12, sizeRootFs: 3456 } : v;
  }

  wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<{ statusCode: number; error?: string }> {
    let v: ContainerView;
    try { v = this.#find(ref); } catch (err) { return Promise.reject(err); }
    return new Promise((resolve, reject) => {
      this.waiters.push({ id: v.id, condition, signal, resolve });
      signal?.addEventListener('abort', () => reject(new Error('wait cancelled')), { once: true });
    });
  }

  /** Ends every wait on `id` with this exit code. */
  exit(id: string, statusCode: number, error?: string): void {
    const mine = this.waiters.filter((w) => w.id === id);
    this.waiters = this.waiters.filter((w) => w.id !== id);
    for (const w of mine) w.resolve(error ? { statusCode, error } : { statusCode });
  }

  async logs(ref: string, opts: { stdout: boolean; stderr: boolean; follow?: boolean; tail?: number; since?: Date; until?: Date; signal?: AbortSignal }): Promise<{ tty: boolean; entries: AsyncIterable<LogEntry> }> {
    const v = this.#find(ref);
    this.lastLogs = opts;
    const entries = this.logEntries.filter((e) => (e.stream === 'stdout' ? opts.stdout : opts.stderr));
    async function* gen(): AsyncIterable<LogEntry> { yield* entries; }
    return { tty: v.config.tty, entries: gen() };
  }

  async attach(ref: string, opts: AttachOptions, out: AttachOutput): Promise<AttachHandle> {
    const v = this.#find(ref);
    const session: FakeSession = { opts, out, written: [], stdinClosed: false, detached: false };
    for (const [stream, text] of this.replayOnAttach) out.data(stream, Buffer.from(text));
    this.sessions.push(session);
    return {
      tty: v.config.tty,
      write: (chunk) => {
        if (this.failWrites) throw new Error('stdin connection broken');
        session.written.push(Buffer.from(chunk));
      },
      closeStdin: () => { session.stdinClosed = true; },
      detach: () => { session.detached = true; },
    };
  }

  async resize(ref: string, size: { height: number; width: number }): Promise<void> {
    this.calls.push(['resize', this.#find(ref).id, size]);
  }

  async export(ref: string): Promise<NodeJS.ReadableStream> {
    this.#find(ref);
    return Readable.from([this.exportTar]);
  }

  pathStat: PathStat = { name: 'hostname', size: 13, mode: 0o100644, mtime: '2026-01-02T03:04:05.5Z', linkTarget: '' };
  archiveTar = Buffer.from('a tar');
  lastPut: { path: string; body: Buffer; opts: ExtractOptions } | undefined;

  async statPath(ref: string, path: string): Promise<PathStat> {
    this.#find(ref);
    if (path === '/missing') throw notFound(`Could not find the file ${path} in container ${ref}`);
    return this.pathStat;
  }

  async getArchive(ref: string, path: string): Promise<{ stat: PathStat; tar: NodeJS.ReadableStream }> {
    const stat = await this.statPath(ref, path);
    return { stat, tar: Readable.from([this.archiveTar]) };
  }

  async putArchive(ref: string, path: string, tar: NodeJS.ReadableStream, opts: ExtractOptions): Promise<void> {
    this.#find(ref);
    const chunks: Buffer[] = [];
    for await (const c of tar as AsyncIterable<Buffer>) chunks.push(c);
    this.lastPut = { path, body: Buffer.concat(chunks), opts };
  }

  topResult: TopResult = { titles: ['UID', 'PID', 'CMD'], processes: [['root', '42', 'sleep 1000']] };
  statsSamples: StatsSample[] = [];

  async pause(ref: string): Promise<void> { this.calls.push(['pause', this.#find(ref).id]); }
  async unpause(ref: string): Promise<void> { this.calls.push(['unpause', this.#find(ref).id]); }
  async rename(ref: string, name: string): Promise<void> { this.calls.push(['rename', this.#find(ref).id, name]); }
  async update(ref: string, req: UpdateRequest): Promise<{ warnings: string[] }> {
    this.calls.push(['update', this.#find(ref).id, req]);
    return { warnings: [] };
  }

  async top(ref: string, psArgs: string): Promise<TopResult> {
    const v = this.#find(ref);
    this.calls.push(['top', v.id, psArgs]);
    return this.topResult;
  }

  async *stats(ref: string, opts: { stream: boolean; oneShot?: boolean }): AsyncGenerator<StatsSample> {
    const v = this.#find(ref);
    this.calls.push(['stats', v.id, opts]);
    for (const s of this.statsSamples) yield s;
  }

  async usersOfImage(_imageId: string): Promise<ContainerRecord[]> {
    return [];
  }

  /** Takes every container that is not running (the engine's own rules are unit-tested apart). */
  async prune(opts: ContainerPruneOptions): Promise<ContainerPruneReport> {
    this.calls.push(['prune', opts]);
    const report: ContainerPruneReport = { deleted: [], spaceReclaimed: 0 };
    for (const v of [...this.views.values()]) {
      if (v.state.status === 'running') continue;
      this.views.delete(v.id);
      report.deleted.push(v.id);
      report.spaceReclaimed += v.sizeRw ?? 0;
    }
    return report;
  }
}

export function makeImage(over: Partial<ImageRecord> & { id: string }): ImageRecord {
  return {
    manifestDigest: 'sha256:' + 'd'.repeat(64),
    created: '2024-01-01T00:00:00Z',
    size: 1984234,
    config: {
      created: '2024-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: ['sha256:' + 'e'.repeat(64)] },
      history: [{ created: '2024-01-01T00:00:00Z', comment: 'Imported from -' }],
    },
    chainId: 'sha256:' + 'e'.repeat(64),
    tags: [],
    digests: [],
    parent: '',
    ...over,
  };
}

export class FakeImages implements ImageService {
  images: ImageRecord[] = [];
  calls: Array<[string, ...unknown[]]> = [];
  lastList: { all?: boolean; filters?: ImageFilters } | undefined;
  imported: { bytes: Buffer; opts: ImportOptions } | undefined;
  readonly snapshotter = { name: 'overlay' } as Snapshotter;

  async list(opts: { all?: boolean; filters?: ImageFilters }): Promise<ImageRecord[]> {
    this.lastList = opts;
    return this.images;
  }

  /** Set by a test: the images' part of system df. */
  usage: ImageDiskUsage = { layersSize: 0, items: [] };

  async diskUsage(containersOf: (imageId: string) => number): Promise<ImageDiskUsage> {
    return { ...this.usage, items: this.usage.items.map((i) => ({ ...i, containers: containersOf(i.image.id) })) };
  }

  async resolve(ref: string): Promise<ImageRecord> {
    const withTag = ref.includes(':') && ref.lastIndexOf(':') > ref.lastIndexOf('/') ? ref : `${ref}:latest`;
    const img = this.images.find((i) => i.id === ref || i.id === `sha256:${ref}` || i.tags.includes(withTag));
    if (!img) throw notFound(`No such image: ${ref}`);
    return img;
  }

  async tag(source: string, repo: string, tag?: string): Promise<void> {
    const img = await this.resolve(source);
    this.calls.push(['tag', source, repo, tag]);
    img.tags.push(`${repo}:${tag ?? 'latest'}`);
  }

  async remove(ref: string, opts: { force?: boolean; noprune?: boolean }): Promise<RemovedImage[]> {
    const img = await this.resolve(ref);
    this.calls.push(['remove', ref, opts]);
    return [{ untagged: ref }, { deleted: img.id }];
  }

  async prune(opts: ImagePruneOptions): Promise<ImagePruneReport> {
    this.calls.push(['prune', opts]);
    return { deleted: [{ untagged: 'old:1' }, { deleted: 'sha256:' + 'e'.repeat(64) }], spaceReclaimed: 1234 };
  }

  async import(src: NodeJS.ReadableStream, opts: ImportOptions): Promise<ImageRecord> {
    const chunks: Buffer[] = [];
    for await (const c of src as AsyncIterable<Buffer>) chunks.push(c);
    this.imported = { bytes: Buffer.concat(chunks), opts };
    const img = makeImage({ id: 'sha256:' + 'f'.repeat(64), tags: opts.reference ? [opts.reference] : [] });
    this.images.push(img);
    return img;
  }

  async history(ref: string): Promise<HistoryEntry[]> {
    const img = await this.resolve(ref);
    return [{ id: img.id, created: 1704067200, createdBy: '', tags: img.tags, size: img.size, comment: 'Imported from -' }];
  }

  async seedDefault(): Promise<void> {}
}

export class FakeSystem implements SystemService {
  version(): VersionInfo {
    return {
      version: '0.1.0', apiVersion: '1.56', minApiVersion: '1.24', gitCommit: 'abc1234', goVersion: 'node24.0.0',
      os: 'linux', arch: 'amd64', kernelVersion: '6.1.0', buildTime: '2024-01-01T00:00:00.000Z',
    };
  }

  async info(): Promise<SystemInfo> {
    return {
      id: 'BERTH-ID', name: 'testhost', containers: 3, containersRunning: 1, containersPaused: 0, containersStopped: 2,
      images: 4, driver: 'overlay', dataRoot: '/var/lib/berth', execRoot: '/run/berth', cgroupDriver: 'cgroupfs',
      cgroupVersion: '1', kernelVersion: '6.1.0', operatingSystem: 'Debian GNU/Linux 12 (bookworm)', osType: 'linux',
      architecture: 'x86_64', ncpu: 2, memTotal: 2 ** 34, defaultRuntime: 'runc', runtimes: ['runc', 'crun'],
      serverVersion: '0.1.0', loggingDriver: 'json-file', securityOptions: ['name=seccomp,profile=builtin'], warnings: [],
    };
  }
}

export class FakeEvents implements EventSource {
  backlog: EngineEvent[] = [];
  #subs = new Set<(e: EngineEvent) => void>();

  get subscribers(): number {
    return this.#subs.size;
  }

  emit(type: EngineEvent['type'], action: string, id: string, attributes: Record<string, string> = {}, timeSec?: number): EngineEvent {
    const t = timeSec ?? Date.now() / 1000;
    const e: EngineEvent = { type, action, id, attributes, time: Math.floor(t), timeNano: Math.round(t * 1e6) * 1000 };
    this.backlog.push(e);
    for (const fn of this.#subs) fn(e);
    return e;
  }

  subscribe(fn: (e: EngineEvent) => void, opts: { since?: number } = {}): () => void {
    if (opts.since !== undefined) for (const e of this.backlog) if (e.time >= opts.since) fn(e);
    this.#subs.add(fn);
    return () => { this.#subs.delete(fn); };
  }
}
