// Test tars built byte by byte, so hostile archives (names with "..",
// links out of the root, planted symlinks) can be written exactly.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { END_OF_ARCHIVE, emptyHeader, encodeHeader, padLength, type TarEntryType } from '../../../src/stores/tar/format.ts';

export interface TestEntry {
  name: string;
  type?: TarEntryType;
  body?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string | Buffer>;
}

export function tarBuffer(entries: TestEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? (e.name.endsWith('/') ? 'dir' : 'file');
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    const h = emptyHeader(e.name, type);
    if (e.mode !== undefined) h.mode = e.mode;
    h.uid = e.uid ?? 0;
    h.gid = e.gid ?? 0;
    h.mtime = e.mtime ?? 1_600_000_000;
    h.linkname = e.linkname ?? '';
    h.devmajor = e.devmajor ?? 0;
    h.devminor = e.devminor ?? 0;
    h.size = type === 'file' ? body.length : 0;
    for (const [k, v] of Object.entries(e.xattrs ?? {})) h.xattrs.set(k, Buffer.from(v));
    parts.push(encodeHeader(h));
    if (type === 'file') parts.push(body, Buffer.alloc(padLength(body.length)));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

export function tarStreamOf(entries: TestEntry[]): Readable {
  return Readable.from([tarBuffer(entries)]);
}

/** A temp dir removed by the returned cleanup. */
export function tempDir(prefix = 'berth-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(`${tmpdir()}/${prefix}`);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
