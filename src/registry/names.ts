// What the distribution spec allows in a URL: repository names, tags and
// digests, checked once where a request enters (and by the engine's client
// for what it is about to send).

import { regError } from './errors.ts';

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const NAME_MAX = 255;

export function checkName(name: string): string {
  if (name.length > NAME_MAX) throw regError('NAME_INVALID', `repository name must not be more than ${NAME_MAX} characters`, { name: name.slice(0, 300) });
  if (!NAME.test(name)) throw regError('NAME_INVALID', 'invalid repository name', { name });
  return name;
}

export const isTag = (s: string): boolean => TAG.test(s);
export const isDigest = (s: string): boolean => DIGEST.test(s);

export function checkDigest(digest: string): string {
  if (!isDigest(digest)) throw regError('DIGEST_INVALID', `invalid digest "${digest.slice(0, 200)}"`, { digest: digest.slice(0, 200) });
  return digest;
}

/** A manifest reference: a digest or a tag. */
export function checkReference(ref: string): { tag?: string; digest?: string } {
  if (ref.includes(':')) return { digest: checkDigest(ref) };
  if (!isTag(ref)) {
    const why = ref.length > 128 ? 'tag must not be more than 128 characters' : 'invalid tag';
    throw regError('TAG_INVALID', why, { tag: ref.slice(0, 200) });
  }
  return { tag: ref };
}

export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; uuid: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'referrers'; name: string; digest: string }
  | { kind: 'v1ping' }
  | { kind: 'search' };

const PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => Route]> = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/_catalog$/, () => ({ kind: 'catalog' })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: m[1]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, uuid: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: m[2]! })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, digest: m[2]! })],
  // The v1 search API docker search speaks (search.ts), and the ping dockerd sends first.
  [/^\/v1\/_ping$/, () => ({ kind: 'v1ping' })],
  [/^\/v1\/search$/, () => ({ kind: 'search' })],
];

/** The route of a URL path, or null (a 404 for the server). */
export function matchRoute(pathname: string): Route | null {
  for (const [re, make] of PATTERNS) {
    const m = pathname.match(re);
    if (m) return make(m);
  }
  return null;
}
