// Container endpoints. Query parameters follow the docker client's encoding
// so that berthd sees exactly what it would see from `docker`.

import type { IncomingMessage } from 'node:http';
import { readBody } from './transport.ts';
import type { Upgraded } from './transport.ts';
import type { Requester } from './client.ts';
import { compareVersions } from './client.ts';
import type {
  ContainerCreateBody, ContainerCreateResponse, ContainerInspect, ContainerSummary, WaitResponse,
} from './types.ts';

/** Escapes a path segment the way Go's url.URL does: '/', ':' and '@' stay. */
export function escapeSegment(s: string): string {
  return encodeURIComponent(s).replace(/%(2F|3A|40|24|26|2B|2C|3B|3D)/gi, (m) => decodeURIComponent(m));
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface ListOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  /** Already JSON-encoded filters (see the CLI's filter parsing). */
  filters?: string;
}

export interface StopOptions {
  signal?: string;
  timeout?: number;
}

export interface LogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  follow?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  details?: boolean;
  tail?: string;
}

export interface AttachOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
}

/** A wait whose request the daemon has accepted; `result` settles at the condition. */
export interface Waiter {
  result: Promise<WaitResponse>;
}

export class ContainersApi {
  #r: Requester;

  constructor(requester: Requester) {
    this.#r = requester;
  }

  async create(body: ContainerCreateBody, opts: { name?: string; platform?: string } = {}): Promise<ContainerCreateResponse> {
    const { value } = await this.#r.callJson<ContainerCreateResponse>('POST', '/containers/create', {
      query: { name: opts.name || undefined, platform: opts.platform || undefined },
      json: body,
    });
    return value;
  }

  async start(id: string): Promise<void> {
    (await this.#r.call('POST', `/containers/${escapeSegment(id)}/start`)).resume();
  }

  async stop(id: string, opts: StopOptions = {}): Promise<void> {
    const query = await this.#stopQuery(opts);
    (await this.#r.call('POST', `/containers/${escapeSegment(id)}/stop`, { query })).resume();
  }

  async restart(id: string, opts: StopOptions = {}): Promise<void> {
    const query = await this.#stopQuery(opts);
    (await this.#r.call('POST', `/containers/${escapeSegment(id)}/restart`, { query })).resume();
  }

  async kill(id: string, signal?: string): Promise<void> {
    (await this.#r.call('POST', `/containers/${escapeSegment(id)}/kill`, { query: { signal: signal || undefined } })).resume();
  }

  async remove(id: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    const query = { v: opts.volumes, link: opts.link, force: opts.force };
    (await this.#r.call('DELETE', `/containers/${escapeSegment(id)}`, { query })).resume();
  }

  /** POST /containers/prune: filters is docker's JSON form. */
  async prune(filters?: string): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    const { value } = await this.#r.callJson<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/containers/prune', {
      query: { filters: filters || undefined },
    });
    return value;
  }

  async list(opts: ListOptions = {}): Promise<ContainerSummary[]> {
    const query = {
      all: opts.all,
      limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined,
      size: opts.size,
      filters: opts.filters || undefined,
    };
    const { value } = await this.#r.callJson<ContainerSummary[] | null>('GET', '/containers/json', { query });
    return value ?? [];
  }

  async inspect(id: string, opts: { size?: boolean } = {}): Promise<{ value: ContainerInspect; raw: Buffer }> {
    return this.#r.callJson<ContainerInspect>('GET', `/containers/${escapeSegment(id)}/json`, { query: { size: opts.size } });
  }

  /**
   * Sends the wait and resolves once the daemon answered with headers (dockerd
   * flushes them at once), so that a following start cannot race past it.
   */
  async wait(id: string, condition?: WaitCondition, signal?: AbortSignal): Promise<Waiter> {
    const res = await this.#r.call('POST', `/containers/${escapeSegment(id)}/wait`, {
      query: { condition: condition || undefined }, signal,
    });
    return { result: readWait(res) };
  }

  async logs(id: string, opts: LogsOptions, signal?: AbortSignal): Promise<IncomingMessage> {
    const query = {
      stdout: opts.stdout, stderr: opts.stderr, since: opts.since || undefined, until: opts.until || undefined,
      timestamps: opts.timestamps, details: opts.details, follow: opts.follow, tail: opts.tail ?? 'all',
    };
    return this.#r.call('GET', `/containers/${escapeSegment(id)}/logs`, { query, signal });
  }

  attach(id: string, opts: AttachOptions): Promise<Upgraded> {
    return this.#r.upgrade(`/containers/${escapeSegment(id)}/attach`, {
      stream: opts.stream, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr,
      logs: opts.logs, detachKeys: opts.detachKeys || undefined,
    });
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    (await this.#r.call('POST', `/containers/${escapeSegment(id)}/resize`, { query: { h: height, w: width } })).resume();
  }

  /** The container's filesystem as a tar stream. */
  export(id: string): Promise<IncomingMessage> {
    return this.#r.call('GET', `/containers/${escapeSegment(id)}/export`);
  }

  async #stopQuery(opts: StopOptions): Promise<Record<string, string | number | undefined>> {
    const query: Record<string, string | number | undefined> = { t: opts.timeout };
    // The signal parameter exists since API 1.42; older daemons reject unknown ones.
    if (opts.signal && compareVersions(await this.#r.apiVersion(), '1.42') >= 0) query.signal = opts.signal;
    return query;
  }
}

async function readWait(res: IncomingMessage): Promise<WaitResponse> {
  const body = await readBody(res);
  const parsed = JSON.parse(body.toString('utf8')) as WaitResponse;
  return parsed;
}
