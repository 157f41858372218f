// /containers/{id}/archive, what `cp` rides on: HEAD stats a path in the
// container, GET streams it as a tar, PUT unpacks a tar into a directory.
// The path's stat travels base64 JSON in X-Docker-Container-Path-Stat, its
// mode as Go's os.FileMode (type bits high).

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Requester } from './client.ts';
import { escapeSegment } from './containers.ts';

const STAT_HEADER = 'x-docker-container-path-stat';

/** Go os.FileMode type bits. */
const bit = (mode: number, n: number) => Math.floor(mode / 2 ** n) % 2 === 1;

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export const isDirMode = (mode: number): boolean => bit(mode, 31);
export const isSymlinkMode = (mode: number): boolean => bit(mode, 27);

/** docker's ValidateOutputPathFileMode: a copy may end in a directory or a regular file only. */
export function fileModeProblem(mode: number): string | undefined {
  if (bit(mode, 26)) return 'got a device';
  if (bit(mode, 19)) return 'got an irregular file';
  return undefined;
}

function statFromHeader(res: IncomingMessage): PathStat {
  const raw = res.headers[STAT_HEADER];
  if (typeof raw !== 'string' || raw === '') return { name: '', size: 0, mode: 0, mtime: '', linkTarget: '' };
  try {
    return JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as PathStat;
  } catch (err) {
    throw new Error(`unable to get resource stat from response: ${(err as Error).message}`);
  }
}

export class ArchiveApi {
  #r: Requester;

  constructor(requester: Requester) {
    this.#r = requester;
  }

  async stat(container: string, path: string): Promise<PathStat> {
    const res = await this.#r.call('HEAD', `/containers/${escapeSegment(container)}/archive`, { query: { path } });
    res.resume();
    return statFromHeader(res);
  }

  /** The path as a tar (the response, unread) and its stat. */
  async get(container: string, path: string, signal?: AbortSignal): Promise<{ stat: PathStat; tar: IncomingMessage }> {
    const res = await this.#r.call('GET', `/containers/${escapeSegment(container)}/archive`, { query: { path }, signal });
    return { stat: statFromHeader(res), tar: res };
  }

  async put(container: string, path: string, tar: Readable, opts: { copyUIDGID?: boolean } = {}): Promise<void> {
    const query = { path, noOverwriteDirNonDir: 'true', copyUIDGID: opts.copyUIDGID ? 'true' : undefined };
    const res = await this.#r.call('PUT', `/containers/${escapeSegment(container)}/archive`, {
      query, body: tar, headers: { 'Content-Type': 'application/x-tar' },
    });
    res.resume();
  }
}
