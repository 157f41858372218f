// Docker image references (distribution/reference): parsing, normalization
// ("busybox" -> "docker.io/library/busybox:latest") and the familiar form
// the CLI prints ("busybox:latest"). Error messages are Docker's.

import { invalid } from '../core/errors.ts';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const namePat = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;

const REFERENCE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const TAG = new RegExp(`^${tagPat}$`);
const DIGEST = new RegExp(`^${digestPat}$`);
const ANCHORED_ID = /^[a-f0-9]{64}$/;

export interface Reference {
  /** Registry host[:port], "docker.io" for Docker Hub. */
  domain: string;
  /** Repository path, "library/busybox" for official images. */
  path: string;
  tag?: string;
  digest?: string;
}

/** Full repository name: "docker.io/library/busybox". */
export function repoName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** Fully normalized string: "docker.io/library/busybox:latest". */
export function refString(r: Reference): string {
  return repoName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** The name as docker prints it: "busybox", "user/app", "localhost:5000/a/b". */
export function familiarName(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return repoName(r);
  if (r.path.startsWith(OFFICIAL_PREFIX)) {
    const rest = r.path.slice(OFFICIAL_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return r.path;
}

/** "busybox:latest", "localhost:5000/a/b@sha256:...". */
export function familiarString(r: Reference): string {
  return familiarName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

function splitDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let rest: string;
  if (i === -1 || (!/[.:]/.test(name.slice(0, i)) && name.slice(0, i) !== 'localhost' && name.slice(0, i).toLowerCase() === name.slice(0, i))) {
    domain = DEFAULT_DOMAIN;
    rest = name;
  } else {
    domain = name.slice(0, i);
    rest = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !rest.includes('/')) rest = OFFICIAL_PREFIX + rest;
  return [domain, rest];
}

/** distribution's Parse: no normalization, the string must already be canonical. */
function parseCanonical(s: string): Reference {
  const m = REFERENCE.exec(s);
  if (!m) {
    if (s === '') throw invalid('repository name must have at least one component');
    if (REFERENCE.test(s.toLowerCase())) throw invalid('repository name must be lowercase');
    throw invalid('invalid reference format');
  }
  if (m[1].length > NAME_TOTAL_LENGTH_MAX) throw invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  const name = m[1];
  const slash = name.indexOf('/');
  const ref: Reference = { domain: name.slice(0, slash), path: name.slice(slash + 1) };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) ref.digest = m[3];
  return ref;
}

/** Docker's ParseNormalizedNamed: "busybox" -> docker.io/library/busybox (no tag added). */
export function parseNormalized(s: string): Reference {
  if (ANCHORED_ID.test(s)) throw invalid(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const [domain, rest] = splitDomain(s);
  const colon = rest.indexOf(':');
  const at = rest.indexOf('@');
  const remote = rest.slice(0, colon > -1 && (at === -1 || colon < at) ? colon : at > -1 ? at : rest.length);
  if (remote.toLowerCase() !== remote) throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`);
  return parseCanonical(`${domain}/${rest}`);
}

/** parseNormalized plus ":latest" when neither tag nor digest was given. */
export function parseWithDefaultTag(s: string): Reference {
  const r = parseNormalized(s);
  if (r.tag === undefined && !r.digest) r.tag = 'latest';
  return r;
}

export function validateTag(tag: string): void {
  if (!TAG.test(tag)) throw invalid('invalid tag format');
}

export function validateDigest(digest: string): void {
  if (!DIGEST.test(digest)) throw invalid('invalid digest format');
}

/** Short image ID for messages: 12 hex characters without "sha256:". */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Go's path.Match for the images "reference" filter: '*' and '?' stop at '/'. */
export function globMatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw invalid(`syntax error in pattern "${pattern}"`);
      let cls = pattern.slice(i + 1, end);
      const negate = cls.startsWith('^');
      if (negate) cls = cls.slice(1);
      re += `[${negate ? '^/' : ''}${cls.replace(/[\]\\^]/g, '\\$&')}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`${re}$`).test(s);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
