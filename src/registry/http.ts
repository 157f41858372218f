// HTTP plumbing shared by the registry's handlers: the request context,
// bodies, and the headers every answer carries.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FileContentStore } from '../stores/content.ts';
import { RegistryError, errorBody, regError } from './errors.ts';
import type { RegistryIndex } from './index-db.ts';
import type { UploadSessions } from './uploads.ts';
import type { ProxyUpstream } from './proxy.ts';
import type { BodyCache } from './body-cache.ts';
import type { RegistryStore } from './storage.ts';

/** A registry root: what pushes, deletes and the pull-through cache write to. */
export interface RegistryRoot {
  content: FileContentStore;
  index: RegistryIndex;
  uploads: UploadSessions;
}

export interface RegistryState {
  /** What the pull endpoints read (storage.ts). */
  store: RegistryStore;
  /** Null for a read-only view with no root of its own (berthd's image store). */
  root: RegistryRoot | null;
  readOnly: boolean;
  deleteEnabled: boolean;
  /** Largest manifest accepted (bytes). */
  maxManifestBytes: number;
  /** Pull-through cache mode: the upstream what is not here comes from. */
  proxy?: ProxyUpstream;
  /** Manifest bodies recently served (body-cache.ts). */
  bodies?: BodyCache;
}

export interface Req {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  state: RegistryState;
}

export const API_VERSION_HEADER = { 'Docker-Distribution-API-Version': 'registry/2.0' } as const;

export function send(res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string | Buffer): void {
  const h: Record<string, string | number> = { ...API_VERSION_HEADER, ...headers };
  if (body !== undefined && h['Content-Length'] === undefined) h['Content-Length'] = Buffer.byteLength(body);
  if (body === undefined && h['Content-Length'] === undefined) h['Content-Length'] = 0;
  res.writeHead(status, h);
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));
}

export function sendError(res: ServerResponse, err: RegistryError, head = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(err);
  res.writeHead(err.status, {
    ...API_VERSION_HEADER, ...err.headers,
    'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body),
  });
  res.end(head ? undefined : body);
}

/** Reads a whole (small) body, refusing more than max bytes. */
export async function readBody(req: IncomingMessage, max: number, what: string): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > max) throw regError('SIZE_INVALID', `${what} of ${declared} bytes exceeds the limit of ${max}`, { limit: max });
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) throw regError('SIZE_INVALID', `${what} exceeds the limit of ${max} bytes`, { limit: max });
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Pagination parameters n and last (n = -1: no limit). */
export function page(url: URL): { n: number; last: string } {
  const raw = url.searchParams.get('n');
  let n = -1;
  if (raw !== null && raw !== '') {
    if (!/^\d+$/.test(raw) || Number(raw) > 100_000) throw regError('PAGINATION_NUMBER_INVALID', `invalid number of results requested: ${raw.slice(0, 40)}`, { n: raw.slice(0, 40) });
    n = Number(raw);
  }
  return { n, last: url.searchParams.get('last') ?? '' };
}

/** A Link header for the next page, when this one was full. */
export function nextLink(path: string, items: string[], n: number): Record<string, string> {
  if (n <= 0 || items.length < n) return {};
  const q = new URLSearchParams({ last: items[items.length - 1]!, n: String(n) });
  return { Link: `<${path}?${q}>; rel="next"` };
}

/** The root to write to; UNSUPPORTED (405) where writes are refused. */
export function refuseWrites(state: RegistryState): RegistryRoot {
  if (!state.root) throw new RegistryError('UNSUPPORTED', 'this registry serves the engine\'s images read-only: push to a registry instead', null, { status: 405 });
  if (state.readOnly) throw new RegistryError('UNSUPPORTED', 'the registry is in read-only mode', null, { status: 405 });
  if (state.proxy) throw new RegistryError('UNSUPPORTED', 'the registry is a pull-through cache: push to its upstream', null, { status: 405 });
  return state.root;
}
