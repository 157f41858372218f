// Image references as distribution/reference parses them: the CLI validates
// `tag` targets, finds the name to pull, and prints familiar names
// ("busybox" for "docker.io/library/busybox").

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const host = `(?:${domainName}|\\[(?:[a-fA-F0-9:]+)\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const namePat = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const REFERENCE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const ANCHORED_ID = /^[a-f0-9]{64}$/;
const ANCHORED_DIGEST = new RegExp(`^${digestPat}$`);

export interface Reference {
  /** Fully qualified name: "docker.io/library/busybox". */
  name: string;
  domain: string;
  /** Path within the domain: "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
}

export class ReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceError';
  }
}

function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i >= 0 ? name.slice(0, i) : '';
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

function parse(s: string): Reference {
  const m = REFERENCE.exec(s);
  if (!m) {
    if (s === '') throw new ReferenceError('repository name must have at least one component');
    if (REFERENCE.test(s.toLowerCase())) throw new ReferenceError('invalid reference format: repository name must be lowercase');
    throw new ReferenceError('invalid reference format');
  }
  const name = m[1];
  if (name.length > 255) throw new ReferenceError('repository name must not be more than 255 characters');
  const slash = name.indexOf('/');
  return { name, domain: name.slice(0, slash), path: name.slice(slash + 1), tag: m[2], digest: m[3] };
}

/** reference.ParseNormalizedNamed */
export function parseNormalizedNamed(s: string): Reference {
  if (ANCHORED_ID.test(s)) throw new ReferenceError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw new ReferenceError(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parse(`${domain}/${remainder}`);
}

/** reference.ParseAnyReference: an image ID or digest is accepted as is. */
export function parseAnyReference(s: string): Reference | { digest: string } {
  if (ANCHORED_ID.test(s)) return { digest: `sha256:${s}` };
  if (ANCHORED_DIGEST.test(s)) return { digest: s };
  return parseNormalizedNamed(s);
}

/** reference.TagNameOnly: "latest" when neither tag nor digest is given. */
export function tagNameOnly(ref: Reference): Reference {
  return ref.tag || ref.digest ? ref : { ...ref, tag: 'latest' };
}

/** reference.FamiliarName: the short form users type. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return ref.name;
  let path = ref.path;
  if (path.startsWith(OFFICIAL_PREFIX) && path.split('/').length === 2) path = path.slice(OFFICIAL_PREFIX.length);
  return path;
}

/** reference.FamiliarString: familiar name with tag and digest. */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** stringid.TruncateID: drops an "algo:" prefix, keeps 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  const hex = i >= 0 ? id.slice(i + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}
