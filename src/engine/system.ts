// /version and /info: facts about this daemon and host.

import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { SystemInfo, SystemService, VersionInfo } from '../core/system.ts';
import { API_VERSION, MIN_API_VERSION } from '../core/system.ts';
import type { ContainerRepository } from '../core/metadata.ts';
import type { ImageService } from '../core/image.ts';
import { goArch } from '../images/records.ts';

export const BERTH_VERSION = '0.1.0';

function osPrettyName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch { /* fall through */ }
  return 'Linux';
}

export interface SystemDeps {
  id: string;
  containers: ContainerRepository;
  images: ImageService;
  dataRoot: string;
  execRoot: string;
  defaultRuntime: string;
  runtimes: string[];
  /** Path and global options of each runtime, for /info. */
  runtimeInfo?: Record<string, { path: string; args: string[] }>;
  gitCommit: string;
  /** The daemon's default log driver (log-driver); json-file when unset. */
  loggingDriver?: string;
  /** --userns-remap is on: SecurityOptions lists name=userns, as dockerd's does. */
  userns?: boolean;
}

export class SystemEngine implements SystemService {
  readonly #d: SystemDeps;
  readonly #started = new Date().toISOString();

  constructor(deps: SystemDeps) {
    this.#d = deps;
  }

  version(): VersionInfo {
    return {
      version: BERTH_VERSION,
      apiVersion: API_VERSION,
      minApiVersion: MIN_API_VERSION,
      gitCommit: this.#d.gitCommit,
      goVersion: `node${process.versions.node}`,
      os: 'linux',
      arch: goArch(),
      kernelVersion: os.release(),
      buildTime: this.#started,
    };
  }

  async info(): Promise<SystemInfo> {
    const all = this.#d.containers.listShared();
    const count = (s: string) => all.filter((c) => c.state.status === s).length;
    const images = await this.#d.images.list({ all: false });
    const cgroupV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    const warnings: string[] = [];
    return {
      id: this.#d.id,
      name: os.hostname(),
      containers: all.length,
      containersRunning: count('running'),
      containersPaused: count('paused'),
      containersStopped: all.length - count('running') - count('paused'),
      images: images.length,
      driver: this.#d.images.snapshotter.name,
      driverStatus: this.#d.images.snapshotter.driverStatus ?? [],
      dataRoot: this.#d.dataRoot,
      execRoot: this.#d.execRoot,
      cgroupDriver: 'cgroupfs',
      cgroupVersion: cgroupV2 ? '2' : '1',
      kernelVersion: os.release(),
      operatingSystem: osPrettyName(),
      osType: 'linux',
      architecture: os.machine(),
      ncpu: os.availableParallelism(),
      memTotal: os.totalmem(),
      defaultRuntime: this.#d.defaultRuntime,
      runtimes: this.#d.runtimes,
      ...(this.#d.runtimeInfo ? { runtimeInfo: this.#d.runtimeInfo } : {}),
      serverVersion: BERTH_VERSION,
      loggingDriver: this.#d.loggingDriver ?? 'json-file',
      securityOptions: ['name=seccomp,profile=builtin', ...(this.#d.userns ? ['name=userns'] : [])],
      warnings,
    };
  }
}
