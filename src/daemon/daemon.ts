// The composition root: builds every part in boot order, wires the roles
// each needs, and takes them down again. Nothing else constructs services.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/logger.ts';
import { openDatabase } from '../stores/metadata.ts';
import { openContentStore } from '../stores/content.ts';
import { createSnapshotter } from '../stores/snapshots/index.ts';
import { createImageService } from '../images/service.ts';
import { DistributionService } from '../images/distribution/service.ts';
import { ImageArchives } from '../images/archive/service.ts';
import { tarDirectory } from '../images/export.ts';
import { EventBus } from '../engine/events.ts';
import { ContainerEngine } from '../engine/containers/service.ts';
import { ExecEngine } from '../engine/containers/exec.ts';
import { SystemEngine } from '../engine/system.ts';
import { ContainerCommits } from '../engine/containers/commit.ts';
import { createVolumes } from './volumes-wiring.ts';
import { BuildService } from '../builder/service.ts';
import { DiskUsageEngine } from '../engine/disk-usage.ts';
import { pullThrough } from '../builder/pull.ts';
import { createApiServer } from '../api/server.ts';
import { createExecRuntime, createRuntime, daemonRuntimes, specBuilder, readLogChunks, readLogs } from './runtime-wiring.ts';
import type { DaemonConfig } from './config.ts';
import { acquireDataRootLock } from './lock.ts';
import { idmapMode, prepareRemappedRoot, resolveRemap } from './userns-remap.ts';
import { createNetworking } from './network-wiring.ts';
import { listenTls, listenUnix, loadTls } from './listeners.ts';
import { startRegistryListener } from './registry-listener.ts';
import { BootSteps } from './boot-steps.ts';
import { cpuMs } from './cpu.ts';

export interface RunningDaemon {
  stop(): Promise<void>;
}

function daemonId(dataRoot: string): string {
  const path = `${dataRoot}/engine-id`;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    const id = randomUUID();
    writeFileSync(path, id + '\n', { mode: 0o600 });
    return id;
  }
}

export async function startDaemon(config: DaemonConfig, log: Logger): Promise<RunningDaemon> {
  mkdirSync(config.dataRoot, { recursive: true, mode: 0o711 });
  mkdirSync(config.execRoot, { recursive: true, mode: 0o700 });
  const releaseLock = acquireDataRootLock(config.dataRoot);
  const cleanups: Array<() => void | Promise<void>> = [releaseLock];
  const runCleanups = async () => {
    for (const fn of cleanups.reverse()) {
      try { await fn(); } catch (err) { log.warn('shutdown step failed', { err }); }
    }
  };
  try {
    // Read before anything starts, so bad TLS files fail the start at once.
    const tlsContext = config.tls ? loadTls(config.tls) : null;
    writeFileSync(config.pidfile, `${process.pid}\n`);
    cleanups.push(() => rmSync(config.pidfile, { force: true }));

    // --userns-remap: everything lives under <data-root>/<uid>.<gid>, as with dockerd.
    const remap = config.usernsRemap ? resolveRemap(config.usernsRemap) : null;
    const dataRoot = remap ? prepareRemappedRoot(config.dataRoot, remap) : config.dataRoot;
    if (remap) log.info('user namespaces: ID ranges will be mapped to subuid/subgid ranges', { user: remap.user, group: remap.group, root: remap.root });
    const db = openDatabase(`${dataRoot}/berth.db`);
    cleanups.push(() => db.close());
    const content = openContentStore(`${dataRoot}/content`);
    const snapshotter = await createSnapshotter(`${dataRoot}/snapshots`, config.storageDriver, {
      logger: log, limits: config.layerLimits,
      ...(remap ? { idMaps: remap.maps, idmap: { mode: idmapMode(process.env.BERTH_USERNS_IDMAP), stageDir: `${config.execRoot}/idmap` } } : {}),
    });
    cleanups.push(() => snapshotter.close?.());
    log.info('storage ready', { snapshotter: snapshotter.name, dataRoot: dataRoot, msSinceProcessStart: Math.round(performance.now()) });
    const events = new EventBus();
    const runtimeTable = daemonRuntimes(config);
    const runtime = createRuntime(config, log, runtimeTable);

    // The image service asks the container service which containers use an
    // image; the container service asks the image service for images.
    const volumes = createVolumes({ db, dataRoot, events, logger: log, rootOwner: remap?.root ?? null });
    let containers: ContainerEngine | null = null;
    const images = createImageService({
      dataRoot, db, snapshotter, content, events, logger: log,
      limits: { maxLayerBytes: config.layerLimits.maxBytes, maxCompressionRatio: config.layerLimits.maxRatio },
      usersOfImage: async (id) => (containers ? containers.usersOfImage(id) : []),
    });
    const network = createNetworking({ config, db, events, logger: log });
    cleanups.push(() => network.shutdown());
    const execRuntime = createExecRuntime(config, log, runtimeTable);
    const execs = new ExecEngine({ containers: db.containers, runtime: execRuntime, events, logger: log, adopted: (ref) => containers!.adopted(ref), linkEnv: (rec) => network.linkEnv(rec) });
    containers = new ContainerEngine({
      containers: db.containers, images, runtime, events, logger: log,
      dataRoot, execRoot: config.execRoot, defaultRuntime: config.defaultRuntime, runtimes: Object.keys(runtimeTable),
      buildSpec: specBuilder(config.cgroupParent, remap?.maps ?? null), remap: remap ? { ...remap.root, maps: remap.maps } : null, readLogs, readLogChunks, tarDirectory, mounts: volumes.mounts, network,
      logDefaults: config.logConfig, probes: { run: (id, cmd, signal) => execs.runProbe(id, cmd, signal) },
      layerLimits: config.layerLimits, cgroupParent: config.cgroupParent,
    });
    cleanups.push(() => containers!.shutdown());
    const system = new SystemEngine({
      id: daemonId(dataRoot), containers: db.containers, images, dataRoot,
      execRoot: config.execRoot, defaultRuntime: config.defaultRuntime, runtimes: runtime.runtimeNames, runtimeInfo: runtimeTable, gitCommit: '',
      loggingDriver: config.logConfig.type, userns: remap !== null,
    });

    // How long each start-up step took (a restart with thousands of
    // containers should answer within a second): before the API listens,
    // what a read needs and what the sweeps must not take; the rest after.
    const phases: Record<string, number> = {};
    let mark = performance.now();
    const phase = (name: string) => { const now = performance.now(); phases[name] = Math.round(now - mark); mark = now; };
    await images.seedDefault();
    phase('defaultImage');
    await network.bootNetworks();
    phase('networks');
    // Live restore registers the containers that were running (their mounts
    // held) before the API serves and before the sweeps; until a container
    // is re-adopted its verbs wait for it, and the requests that change
    // anything wait for the sweeps (api/server.ts, booting).
    containers.restore();
    phase('restore');

    const commits = new ContainerCommits({ containers: db.containers, images, runtime, events, logger: log, adopted: (ref) => containers!.adopted(ref) });
    const distribution = new DistributionService(images, { insecureRegistries: config.insecureRegistries, mirrors: config.registryMirrors });
    const builder = new BuildService({ db, images, containers, dataRoot, logger: log, pull: pullThrough(distribution) });
    const diskUsage = new DiskUsageEngine({ containers, images, volumes: volumes.service, buildCache: () => builder.cacheUsage() });
    const boot = new BootSteps(log);
    const server = createApiServer({
      builder, diskUsage, containers, execs, images, system, events, logger: log, commits, volumes: volumes.service, limits: config.apiLimits, distribution,
      archives: new ImageArchives(images), networks: network, detachKeys: config.detachKeys, booting: () => boot.pending,
    });
    if (config.host) cleanups.push(await listenUnix(server, config.host, config.group, log));
    for (const addr of config.tcpHosts) cleanups.push(await listenTls(server, addr, tlsContext!, log));
    if (!config.host) {
      cleanups.push(() => new Promise<void>((resolve) => {
        server.closeAllConnections();
        resolve();
      }));
    }
    if (config.registryListener) cleanups.push(await startRegistryListener(config.registryListener, { images: db.images, content, log }));
    phase('listen');
    log.info('berthd ready', { pid: process.pid, dataRoot, execRoot: config.execRoot, msSinceProcessStart: Math.round(performance.now()), cpuMs: cpuMs(), ms: phases });

    // In the background, while reads are served: re-adoption (16 at a
    // time), the sweeps of what a crash left, the network rules, the image
    // GC. The shutdown waits for them before closing the database.
    // What re-adoption could race goes first (a few ms): a re-adopted
    // container's health probe starts execs, its exit releases volumes and
    // closes ports (so those must be open again before). The orphan sweep
    // leaves alone the containers being re-adopted; the iptables rules are
    // rewritten whole by each apply.
    boot.run(async (step) => {
      await step('execs', () => execRuntime.sweep());
      await step('volumes', () => volumes.service.sweep());
      await step('networkAttachments', () => network.reconcileAttachments());
      containers!.readopt();
      await step('orphans', () => containers!.sweepOrphans());
      await step('networkRules', () => network.reconcileRules());
      await step('imageGc', async () => {
        const swept = await images.gc();
        if (swept.chainIds.length || swept.blobs.length) log.info('garbage collected', { layers: swept.chainIds.length, blobs: swept.blobs.length });
      });
    });
    cleanups.push(() => boot.finished);
    return { stop: runCleanups };
  } catch (err) {
    await runCleanups();
    throw err;
  }
}
