// What a handler receives: the decoded request (route params, query, the
// negotiated API version), an AbortSignal that fires when the client goes
// away, and the engine services. Handlers never see the router or the
// server.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContainerService } from '../core/container.ts';
import type { EventSource } from '../core/events.ts';
import type { ExecService } from '../core/exec.ts';
import type { ImageService } from '../core/image.ts';
import type { Logger } from '../core/logger.ts';
import type { SystemService } from '../core/system.ts';
import type { ContainerCommits } from '../engine/containers/commit.ts';
import type { VolumeService } from '../core/volume.ts';
import type { ApiLimits } from './limits.ts';
import type { DistributionService } from '../images/distribution/service.ts';
import type { ImageArchives } from '../images/archive/service.ts';
import type { NetworkService } from '../core/network.ts';
import type { BuildService } from '../builder/service.ts';
import type { DiskUsageService } from '../core/disk-usage.ts';

export interface ApiDeps {
  containers: ContainerService;
  execs: ExecService;
  images: ImageService;
  system: SystemService;
  volumes?: VolumeService;
  events: EventSource;
  logger: Logger;
  /** docker commit / diff (absent in API tests that do not need them). */
  commits?: Pick<ContainerCommits, 'commit' | 'changes'>;
  /** The daemon's default detach keys ("ctrl-p,ctrl-q" form) for attach and exec sessions that name none. */
  detachKeys?: string;
  /** Body and timeout limits (limits.ts); the defaults where absent. */
  limits?: Partial<ApiLimits>;
  /** pull / push (absent in API tests that do not need them). */
  distribution?: Pick<DistributionService, 'pull' | 'push' | 'login' | 'search'>;
  /** docker save / load (absent in API tests that do not need them). */
  archives?: Pick<ImageArchives, 'save' | 'read'>;
  /** Absent in daemons (and tests) without networking: the network endpoints answer 404. */
  networks?: NetworkService;
  /** The Dockerfile builder. */
  builder?: BuildService;
  /** `system df` (absent in API tests that do not need it). */
  diskUsage?: DiskUsageService;
  /**
   * While the daemon's start-up steps run in the background (sweeps,
   * network reconcile): what a route not marked duringBoot waits for;
   * null (or absent) once they are done.
   */
  booting?: () => Promise<void> | null;
}

interface BaseCtx {
  readonly req: IncomingMessage;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The API version the request is served with ("1.41"). */
  readonly version: string;
  /** Aborted when the client disconnects before the answer is complete. */
  readonly signal: AbortSignal;
  readonly deps: ApiDeps;
}

export interface Ctx extends BaseCtx {
  readonly res: ServerResponse;
}

/** A request that may take over its connection (docker's "hijack"). */
export interface HijackCtx extends BaseCtx {
  /** The raw connection when the client asked for `Upgrade: tcp`, with any bytes it sent past the headers. */
  readonly upgrade: { socket: Duplex; head: Buffer } | null;
  /** The ordinary response when the client did not ask to upgrade. */
  readonly res: ServerResponse | null;
}

export type Handler = (ctx: Ctx) => Promise<void>;
export type HijackHandler = (ctx: HijackCtx) => Promise<void>;
