// Paths and stats of a layer's tree, shared by what writes one (apply.ts,
// the archive PUT of `docker cp`, the build context scan) and what compares
// two (diff.ts).

import * as fs from 'node:fs';
import { invalid } from '../../core/errors.ts';

/** Cleans a tar entry name to a root-relative path ("" for the root); throws if it escapes. */
export function cleanEntryPath(name: string): string {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw invalid(`tar entry "${name}" escapes the layer root`);
      out.pop();
    } else {
      out.push(part);
    }
  }
  return out.join('/');
}

/** lstat, or null when nothing is there. */
export function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
