// System endpoints, and the other object kinds `inspect` may find a name in.

import type { IncomingMessage } from 'node:http';
import type { Requester } from './client.ts';
import { escapeSegment } from './containers.ts';
import type { DiskUsageResponse, InfoResponse, VersionResponse } from './types.ts';

export class SystemApi {
  #r: Requester;

  constructor(requester: Requester) {
    this.#r = requester;
  }

  async version(): Promise<VersionResponse> {
    return (await this.#r.callJson<VersionResponse>('GET', '/version')).value;
  }

  /** POST /auth: the daemon checks the credentials against the registry. */
  async login(auth: { username?: string; password?: string; serveraddress: string }): Promise<{ Status?: string; IdentityToken?: string }> {
    return (await this.#r.callJson<{ Status?: string; IdentityToken?: string }>('POST', '/auth', { json: auth })).value;
  }

  /** GET /events: JSON messages, one per line, until `until` passes (or forever). */
  events(query: { since?: string; until?: string; filters?: string }, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.#r.call('GET', '/events', { query: { since: query.since || undefined, until: query.until || undefined, filters: query.filters || undefined }, signal });
  }

  info(): Promise<{ value: InfoResponse; raw: Buffer }> {
    return this.#r.callJson<InfoResponse>('GET', '/info');
  }

  /** GET /system/df without `verbose`: the legacy lists, which every daemon version sends. */
  async diskUsage(): Promise<DiskUsageResponse> {
    return (await this.#r.callJson<DiskUsageResponse>('GET', '/system/df')).value;
  }

  networkInspect(name: string): Promise<{ value: unknown; raw: Buffer }> {
    return this.#r.callJson('GET', `/networks/${escapeSegment(name)}`);
  }

  volumeInspect(name: string): Promise<{ value: unknown; raw: Buffer }> {
    return this.#r.callJson('GET', `/volumes/${escapeSegment(name)}`);
  }
}
