// The tar format as layers use it: POSIX ustar headers, PAX extended
// headers (long names, big ids and sizes, SCHILY.xattr.*) and the GNU long
// name records older tools still write.
//
// berth has its own codec instead of tar-stream because layer xattrs are
// binary (security.capability is a packed struct): tar-stream decodes and
// encodes PAX values as UTF-8 strings, which corrupts them.

import { invalid } from '../../core/errors.ts';

export const BLOCK = 512;

export type TarEntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarHeader {
  /** Path as recorded, without a trailing "/" for directories. */
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Body length; 0 for everything but regular files. */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Symlink target or hardlink source path. */
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes, values byte-exact. */
  xattrs: Map<string, Buffer>;
}

const TYPE_FLAGS: Record<TarEntryType, string> = {
  file: '0', link: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6',
};

export const FLAG_TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file',
  '1': 'link', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

export function emptyHeader(name: string, type: TarEntryType): TarHeader {
  return {
    name, type, mode: type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, size: 0, mtime: 0,
    linkname: '', uname: '', gname: '', devmajor: 0, devminor: 0, xattrs: new Map(),
  };
}

/** Bytes of zero padding after a body of `size` bytes. */
export function padLength(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

// ---- decoding ----

export function readString(buf: Buffer, off: number, len: number): string {
  let end = off;
  while (end < off + len && buf[end] !== 0) end++;
  return buf.toString('utf8', off, end);
}

/** Octal (possibly space/NUL padded) or GNU base-256 numbers. */
export function readNumber(buf: Buffer, off: number, len: number): number {
  if (buf[off] & 0x80) {
    if (buf[off] !== 0x80) throw invalid('negative number in tar header');
    let n = 0;
    for (let i = off + 1; i < off + len; i++) n = n * 256 + buf[i];
    return n;
  }
  const s = buf.toString('latin1', off, off + len).replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw invalid(`malformed number ${JSON.stringify(s)} in tar header`);
  return parseInt(s, 8);
}

export function isZeroBlock(buf: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

export function checksumOk(buf: Buffer): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : buf[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  try {
    const stored = readNumber(buf, 148, 8);
    return stored === unsigned || stored === signed;
  } catch {
    return false;
  }
}

/** PAX records ("<len> key=value\n"); values stay raw bytes. */
export function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < buf.length) {
    if (buf[off] === 0) break;
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) throw invalid('malformed PAX record');
    const len = Number(buf.toString('latin1', off, sp));
    if (!Number.isInteger(len) || len <= sp - off + 1 || off + len > buf.length) throw invalid('malformed PAX record length');
    const rec = buf.subarray(sp + 1, off + len);
    if (rec[rec.length - 1] !== 0x0a) throw invalid('malformed PAX record terminator');
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw invalid('malformed PAX record');
    out.set(rec.toString('utf8', 0, eq), rec.subarray(eq + 1, rec.length - 1));
    off += len;
  }
  return out;
}

// ---- encoding ----

const USTAR_MAX_ID = 0o7777777;
const USTAR_MAX_SIZE = 0o77777777777;

function writeString(buf: Buffer, s: string, off: number, len: number): void {
  buf.write(s, off, len, 'utf8');
}

function writeOctal(buf: Buffer, n: number, off: number, len: number): void {
  buf.write(Math.max(0, Math.floor(n)).toString(8).padStart(len - 1, '0'), off, len - 1, 'latin1');
  buf[off + len - 1] = 0;
}

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

/** Splits a long name into ustar's prefix (<=155) and name (<=100), or null. */
function splitUstar(name: string): [string, string] | null {
  if (name.length <= 100) return ['', name];
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length <= 155 && rest.length <= 100 && rest.length > 0) return [prefix, rest];
    if (prefix.length <= 155) break;
  }
  return null;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len++;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), body]);
}

function ustarBlock(h: TarHeader, name: string, prefix: string, typeflag: string, size: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  writeString(b, name, 0, 100);
  writeOctal(b, h.mode & 0o7777, 100, 8);
  writeOctal(b, Math.min(h.uid, USTAR_MAX_ID), 108, 8);
  writeOctal(b, Math.min(h.gid, USTAR_MAX_ID), 116, 8);
  writeOctal(b, Math.min(size, USTAR_MAX_SIZE), 124, 12);
  writeOctal(b, Math.min(Math.max(h.mtime, 0), 0o77777777777), 136, 12);
  b.write(typeflag, 156, 1, 'latin1');
  writeString(b, h.linkname.length <= 100 && isAscii(h.linkname) ? h.linkname : '', 157, 100);
  b.write('ustar\x0000', 257, 8, 'latin1');
  writeString(b, isAscii(h.uname) ? h.uname.slice(0, 31) : '', 265, 32);
  writeString(b, isAscii(h.gname) ? h.gname.slice(0, 31) : '', 297, 32);
  writeOctal(b, h.devmajor, 329, 8);
  writeOctal(b, h.devminor, 337, 8);
  writeString(b, prefix, 345, 155);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** The header blocks for one entry (a PAX header first when ustar cannot hold it). */
export function encodeHeader(h: TarHeader): Buffer {
  const name = h.type === 'dir' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const size = h.type === 'file' ? h.size : 0;
  const records: Buffer[] = [];
  let split = isAscii(name) ? splitUstar(name) : null;
  if (!split) {
    records.push(paxRecord('path', Buffer.from(name, 'utf8')));
    split = ['', name.slice(0, 100)];
  }
  if (h.linkname.length > 100 || !isAscii(h.linkname)) records.push(paxRecord('linkpath', Buffer.from(h.linkname, 'utf8')));
  if (h.uid > USTAR_MAX_ID) records.push(paxRecord('uid', Buffer.from(String(h.uid))));
  if (h.gid > USTAR_MAX_ID) records.push(paxRecord('gid', Buffer.from(String(h.gid))));
  if (size > USTAR_MAX_SIZE) records.push(paxRecord('size', Buffer.from(String(size))));
  if (!isAscii(h.uname) || h.uname.length > 31) records.push(paxRecord('uname', Buffer.from(h.uname, 'utf8')));
  if (!isAscii(h.gname) || h.gname.length > 31) records.push(paxRecord('gname', Buffer.from(h.gname, 'utf8')));
  for (const [k, v] of [...h.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    records.push(paxRecord(`SCHILY.xattr.${k}`, v));
  }
  const main = ustarBlock(h, split[1], split[0], TYPE_FLAGS[h.type], size);
  if (records.length === 0) return main;
  const pax = Buffer.concat(records);
  const base = name.replace(/\/$/, '').split('/').pop() ?? '';
  const paxHeader = ustarBlock(emptyHeader('', 'file'), `PaxHeaders.0/${base}`.slice(0, 100).replace(/[^\x20-\x7e]/g, '_'), '', 'x', pax.length);
  return Buffer.concat([paxHeader, pax, Buffer.alloc(padLength(pax.length)), main]);
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
