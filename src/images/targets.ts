// The arguments an import or tag names, checked where they enter the image
// service: a tag reference ("repo[:tag]") and an import's platform.

import { invalid } from '../core/errors.ts';
import { goArch } from './records.ts';
import { parseNormalized, validateTag, type Reference } from './reference.ts';

/** "repo[:tag]" (+ separate tag) as a tag reference; digests are refused. */
export function tagTarget(repo: string, tag?: string): Reference {
  const ref = parseNormalized(repo);
  if (ref.digest) throw invalid('refusing to create a tag with a digest reference');
  const t = tag || ref.tag || 'latest';
  validateTag(t);
  return { domain: ref.domain, path: ref.path, tag: t };
}

const ARCHES = new Set(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le']);

export function parsePlatform(p?: string): { architecture: string; variant?: string } {
  if (!p) return { architecture: goArch() };
  const [os, arch, variant, ...rest] = p.toLowerCase().split('/');
  if (os !== 'linux' || rest.length) throw invalid(`"${p}": unsupported platform (berth runs linux images)`);
  if (!arch) return { architecture: goArch() };
  if (!ARCHES.has(arch)) throw invalid(`"${p}": unknown architecture "${arch}"`);
  return variant ? { architecture: arch, variant } : { architecture: arch };
}
