// .dockerignore: Go filepath.Match patterns on context-relative paths
// (`*` and `?` stay within one path segment, `[...]` classes, `\` escapes),
// `**` for any number of segments, `!` re-includes, the last matching
// pattern wins, and a path is excluded when it or one of its parent
// directories matches (Docker's patternmatcher).

import * as path from 'node:path';
import { invalid } from '../core/errors.ts';

interface Pattern { re: RegExp; exclusion: boolean; text: string }

export function readIgnoreFile(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.startsWith('#')) continue;
    let p = raw.trim();
    if (p === '') continue;
    const neg = p.startsWith('!');
    if (neg) p = p.slice(1).trim();
    if (p === '') continue;
    p = path.posix.normalize(p.replace(/^\/+/, '')).replace(/^\/+/, '').replace(/\/+$/, '');
    if (p === '.' || p === './') p = '.';
    out.push(neg ? `!${p}` : p);
  }
  return out;
}

/** A Go filepath.Match pattern (plus `**`) as an anchored regex. */
export function patternRegex(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        i++;
        if (p[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = p.indexOf(']', i + 2);
      if (end < 0) throw invalid(`syntax error in pattern "${p}"`);
      let cls = p.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\(?!\])/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\') {
      i++;
      if (i < p.length) re += p[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`, 's');
}

export class IgnoreMatcher {
  readonly #patterns: Pattern[];

  constructor(patterns: string[]) {
    this.#patterns = patterns.map((text) => {
      const exclusion = text.startsWith('!');
      return { re: patternRegex(exclusion ? text.slice(1) : text), exclusion, text };
    });
  }

  get empty(): boolean { return this.#patterns.length === 0; }

  /** Whether the context-relative path (no leading "/") is excluded. */
  excluded(rel: string): boolean {
    if (this.#patterns.length === 0 || rel === '' || rel === '.') return false;
    const parents: string[] = [];
    for (let i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) parents.push(rel.slice(0, i));
    let matched = false;
    for (const p of this.#patterns) {
      if (p.exclusion !== matched) continue; // only a pattern of the other kind can change the answer
      if (p.re.test(rel) || parents.some((d) => p.re.test(d))) matched = !p.exclusion;
    }
    return matched;
  }

  /** Whether an excluded directory may still hold re-included paths (so the walk must enter it). */
  mayReinclude(dir: string): boolean {
    return this.#patterns.some((p) => p.exclusion && (p.text.slice(1).startsWith(`${dir}/`) || p.text.includes('*')));
  }
}
