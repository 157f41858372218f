// Image endpoints.

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Requester } from './client.ts';
import { escapeSegment } from './containers.ts';
import type { HistoryItem, ImageDeleteItem, ImageSearchResult, ImageSummary } from './types.ts';

export interface ImportOptions {
  /** The tar stream; omit when fromSrc is a URL the daemon fetches itself. */
  source?: Readable;
  /** "-" when the body carries the tar, else the URL. */
  fromSrc: string;
  /** REPOSITORY[:TAG], passed through as docker does. */
  repo?: string;
  message?: string;
  changes?: string[];
  platform?: string;
  contentLength?: number;
}

export class ImagesApi {
  #r: Requester;

  constructor(requester: Requester) {
    this.#r = requester;
  }

  async list(opts: { all?: boolean; filters?: string } = {}): Promise<ImageSummary[]> {
    const { value } = await this.#r.callJson<ImageSummary[] | null>('GET', '/images/json', {
      query: { all: opts.all, filters: opts.filters || undefined },
    });
    return value ?? [];
  }

  inspect(name: string): Promise<{ value: Record<string, unknown>; raw: Buffer }> {
    return this.#r.callJson<Record<string, unknown>>('GET', `/images/${escapeSegment(name)}/json`);
  }

  async history(name: string): Promise<HistoryItem[]> {
    const { value } = await this.#r.callJson<HistoryItem[] | null>('GET', `/images/${escapeSegment(name)}/history`);
    return value ?? [];
  }

  async remove(name: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    const { value } = await this.#r.callJson<ImageDeleteItem[] | null>('DELETE', `/images/${escapeSegment(name)}`, {
      query: { force: opts.force, noprune: opts.noPrune },
    });
    return value ?? [];
  }

  async tag(source: string, repo: string, tag?: string): Promise<void> {
    (await this.#r.call('POST', `/images/${escapeSegment(source)}/tag`, { query: { repo, tag: tag || undefined } })).resume();
  }

  /** POST /images/create?fromSrc=...: the response is a JSON message stream. */
  import(opts: ImportOptions): Promise<IncomingMessage> {
    const headers: Record<string, string> = {};
    if (opts.source) {
      headers['Content-Type'] = 'application/x-tar';
      if (opts.contentLength !== undefined) headers['Content-Length'] = String(opts.contentLength);
    }
    return this.#r.call('POST', '/images/create', {
      query: {
        fromSrc: opts.fromSrc, repo: opts.repo || undefined, message: opts.message || undefined,
        platform: opts.platform ? opts.platform.toLowerCase() : undefined, changes: opts.changes ?? [],
      },
      headers,
      body: opts.source,
    });
  }

  /** POST /images/prune: filters is docker's JSON form. */
  async prune(filters?: string): Promise<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }> {
    const { value } = await this.#r.callJson<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }>('POST', '/images/prune', {
      query: { filters: filters || undefined },
    });
    return value;
  }

  /** GET /images/get?names=...: the tar archive of `docker save`. */
  save(names: string[]): Promise<IncomingMessage> {
    return this.#r.call('GET', '/images/get', { query: { names } });
  }

  /** POST /images/load: the archive in, a JSON message stream out. */
  load(source: Readable, quiet: boolean, contentLength?: number): Promise<IncomingMessage> {
    const headers: Record<string, string> = { 'Content-Type': 'application/x-tar' };
    if (contentLength !== undefined) headers['Content-Length'] = String(contentLength);
    return this.#r.call('POST', '/images/load', { query: { quiet: quiet ? '1' : '0' }, headers, body: source });
  }

  /** GET /images/search?term=&limit=&filters=: the registry the term names searched by the daemon. */
  async search(term: string, opts: { limit?: number; filters?: string } = {}, registryAuth = 'e30='): Promise<ImageSearchResult[]> {
    const { value } = await this.#r.callJson<ImageSearchResult[] | null>('GET', '/images/search', {
      query: { term, limit: opts.limit ? String(opts.limit) : undefined, filters: opts.filters || undefined },
      headers: { 'X-Registry-Auth': registryAuth },
    });
    return value ?? [];
  }

  /** POST /images/create?fromImage=...: pulls; the response is a JSON message stream. */
  pull(fromImage: string, tag: string, platform?: string, registryAuth = 'e30='): Promise<IncomingMessage> {
    return this.#r.call('POST', '/images/create', {
      query: { fromImage, tag: tag || undefined, platform: platform || undefined },
      headers: { 'X-Registry-Auth': registryAuth },
    });
  }

  /** POST /images/{name}/push: tag empty pushes every tag of the repository; a JSON message stream. */
  push(name: string, tag: string, registryAuth = 'e30='): Promise<IncomingMessage> {
    return this.#r.call('POST', `/images/${escapeSegment(name)}/push`, {
      query: { tag: tag || undefined },
      headers: { 'X-Registry-Auth': registryAuth },
    });
  }
}
