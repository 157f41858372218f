// A throwaway container world for the runtime's integration tests: a
// busybox rootfs in a temp dir, a ConmonRuntime with its own root, and
// cleanup that leaves no conmon, runc state, cgroup or file behind.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContainerConfig, HostConfig } from '../../../src/core/container.ts';
import type { AttachSink, OutputStream } from '../../../src/core/runtime.ts';
import { ConmonRuntime } from '../../../src/runtime/conmon.ts';
import { cgroupMounts, cgroupsPathFor, removeCgroup } from '../../../src/runtime/cgroups.ts';
import { buildSpec, type SpecInput } from '../../../src/runtime/spec.ts';

export const canRun = process.getuid?.() === 0 && fs.existsSync('/usr/bin/conmon') && fs.existsSync('/usr/sbin/runc') && fs.existsSync('/bin/busybox');
export const skipReason = canRun ? false : 'needs root, conmon, runc and /bin/busybox';

export function makeBusyboxRootfs(dir: string): string {
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home/user']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    if (a !== 'busybox') fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  }
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  fs.writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nuser:x:1000:\nwheel:x:10:user\nnogroup:x:65534:\n');
  return rootfs;
}

export function containerConfig(over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    hostname: '', domainname: '', user: '', attachStdin: false, attachStdout: true, attachStderr: true,
    tty: false, openStdin: false, stdinOnce: false, env: [], cmd: null, entrypoint: null, image: 'busybox',
    workingDir: '', labels: {}, ...over,
  };
}

export function hostConfig(over: Partial<HostConfig> = {}): HostConfig {
  return {
    autoRemove: false, networkMode: 'none', runtime: 'runc', restartPolicy: { name: '', maximumRetryCount: 0 },
    privileged: false, readonlyRootfs: false, capAdd: [], capDrop: [], extraHosts: [], dns: [], dnsSearch: [],
    dnsOptions: [], binds: [], shmSize: 0, memory: 0, nanoCpus: 0, cpuShares: 0, pidsLimit: 0, init: false,
    securityOpt: [], ...over,
  };
}

export class Collector implements AttachSink {
  // Chunks are kept as delivered (not copied) so a reused buffer would show.
  out: Array<{ stream: OutputStream; data: Buffer }> = [];
  ended: Promise<Error | undefined>;
  #resolve!: (e: Error | undefined) => void;
  constructor() {
    this.ended = new Promise((r) => { this.#resolve = r; });
  }
  data(stream: OutputStream, chunk: Buffer): void {
    this.out.push({ stream, data: chunk });
  }
  end(err?: Error): void {
    this.#resolve(err);
  }
  text(stream?: OutputStream): string {
    return Buffer.concat(this.out.filter((o) => !stream || o.stream === stream).map((o) => o.data)).toString('utf8');
  }
}

let counter = 0;

/** One test world: temp dir, rootfs, runtime; tracks ids for cleanup. */
export class World {
  readonly dir: string;
  readonly rootfs: string;
  readonly runtimeRoot: string;
  readonly runtime: ConmonRuntime;
  readonly ids: string[] = [];

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-rt-'));
    this.rootfs = makeBusyboxRootfs(this.dir);
    this.runtimeRoot = path.join(this.dir, 'rt');
    this.runtime = new ConmonRuntime({ root: this.runtimeRoot });
  }

  newId(): string {
    const id = `brt${process.pid}x${Date.now().toString(36)}x${counter++}`;
    this.ids.push(id);
    return id;
  }

  bundle(id: string): string {
    const b = path.join(this.dir, 'bundles', id);
    fs.mkdirSync(b, { recursive: true });
    return b;
  }

  spec(id: string, cmd: string[], over: { config?: Partial<ContainerConfig>; hostConfig?: Partial<HostConfig>; input?: Partial<SpecInput> } = {}) {
    return buildSpec({
      id, config: containerConfig({ cmd, ...over.config }), hostConfig: hostConfig(over.hostConfig),
      rootfs: this.rootfs, process: { path: cmd[0], args: cmd.slice(1) }, cgroupsPath: cgroupsPathFor(id, '/berth-test'),
      network: 'none', ...over.input,
    });
  }

  logPath(id: string): string {
    return path.join(this.dir, 'logs', `${id}.log`);
  }

  /** Kills and deletes every container of this world, then removes the temp dir. */
  async cleanup(): Promise<void> {
    for (const id of this.ids) {
      try {
        await this.runtime.delete(id, { force: true });
      } catch {}
      try {
        removeCgroup(cgroupsPathFor(id, '/berth-test'));
      } catch {}
    }
    // The shared parent of the test cgroups goes once it is empty.
    for (const mp of cgroupMounts()) {
      try {
        fs.rmdirSync(path.join(mp, 'berth-test'));
      } catch {}
    }
    this.runtime.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
