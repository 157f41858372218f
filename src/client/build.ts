// Commit, diff and build endpoints.

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Requester } from './client.ts';
import type { Query } from './transport.ts';
import { escapeSegment } from './containers.ts';

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause?: boolean;
  changes?: string[];
}

export interface ChangeItem { Path: string; Kind: number }

export interface BuildQuery {
  dockerfile?: string;
  t?: string[];
  buildargs?: Record<string, string>;
  target?: string;
  nocache?: boolean;
  pull?: boolean;
  rm?: boolean;
  forcerm?: boolean;
  q?: boolean;
  labels?: Record<string, string>;
  networkmode?: string;
  remote?: string;
  /** Images whose history may stand in for steps (sent as a JSON array). */
  cachefrom?: string[];
  /** os/arch[/variant] of the image to build. */
  platform?: string;
  /** berth: a directory on the daemon's host read in place (same machine). */
  contextdir?: string;
  /** berth: build secrets from files as id=...,src=... (read by the daemon from its host). */
  secrets?: string[];
  /** berth: build secrets by value (sent in a header, never in the URL). */
  secretValues?: Record<string, Buffer>;
}

export class BuildApi {
  #r: Requester;

  constructor(requester: Requester) {
    this.#r = requester;
  }

  async commit(container: string, opts: CommitOptions): Promise<{ Id: string }> {
    const { value } = await this.#r.callJson<{ Id: string }>('POST', '/commit', {
      query: {
        container, repo: opts.repo || undefined, tag: opts.tag || undefined, comment: opts.comment || undefined,
        author: opts.author || undefined, pause: opts.pause === false ? '0' : undefined, changes: opts.changes ?? [],
      },
      json: null,
    });
    return value;
  }

  async changes(container: string): Promise<ChangeItem[]> {
    const { value } = await this.#r.callJson<ChangeItem[] | null>('GET', `/containers/${escapeSegment(container)}/changes`);
    return value ?? [];
  }

  /** POST /build: the response is a JSON message stream. */
  build(context: Readable | undefined, q: BuildQuery, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.#r.call('POST', '/build', { ...buildRequest(q, context !== undefined), body: context, signal });
  }

  /**
   * POST /build with no context sent (a folder the daemon reads in place, a
   * remote URL), its answer (the JSON messages) read whole: for a quiet build,
   * which prints nothing before the end. It takes the client's small HTTP
   * path, so `berth build -q` never loads node:http.
   */
  buildBuffered(q: BuildQuery, signal?: AbortSignal): Promise<Buffer> {
    return this.#r.callBuffered('POST', '/build', { ...buildRequest(q, false), signal });
  }

  async prune(opts: { all?: boolean } = {}): Promise<{ SpaceReclaimed: number; CachesDeleted: string[] | null }> {
    const { value } = await this.#r.callJson<{ SpaceReclaimed: number; CachesDeleted: string[] | null }>('POST', '/build/prune', {
      query: { all: opts.all || undefined },
    });
    return value;
  }
}

/** The query and headers of POST /build; `tar`: a context goes in the body. */
function buildRequest(q: BuildQuery, tar: boolean): { query: Query; headers: Record<string, string> } {
  return {
    query: {
      dockerfile: q.dockerfile || undefined, t: q.t ?? [], target: q.target || undefined,
      buildargs: q.buildargs && Object.keys(q.buildargs).length ? JSON.stringify(q.buildargs) : undefined,
      labels: q.labels && Object.keys(q.labels).length ? JSON.stringify(q.labels) : undefined,
      nocache: q.nocache || undefined, pull: q.pull || undefined, q: q.q || undefined,
      rm: q.rm === false ? '0' : undefined, forcerm: q.forcerm || undefined,
      networkmode: q.networkmode || undefined, remote: q.remote || undefined,
      contextdir: q.contextdir || undefined, secrets: q.secrets ?? [],
      cachefrom: q.cachefrom?.length ? JSON.stringify(q.cachefrom) : undefined, platform: q.platform || undefined,
    },
    headers: {
      ...(tar ? { 'Content-Type': 'application/x-tar' } : {}),
      ...(q.secretValues && Object.keys(q.secretValues).length
        ? { 'X-Berth-Build-Secrets': Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(q.secretValues).map(([k, v]) => [k, v.toString('base64')])))).toString('base64') }
        : {}),
    },
  };
}
