// A corpus of hostile, malformed and awkward-but-legitimate layer tars and
// build contexts, generated in code (no binary fixtures). Each case is
// applied through every path that unpacks (import, cp PUT, build context,
// pull) by test/integration/hostile/corpus.test.ts.
//
//   const cases = hostileCorpus({ canary: '/tmp/hostile-canary-XXXX' });
//   for (const c of cases) ... c.bytes, c.expect, c.files
//
// `canary` is a host directory holding one file, `victim`: every escape
// attempt aims at it (by "../", absolute path, symlink or hardlink) or at
// "hostile-pwned" files in / and /tmp, so a test only has to check that
// the canary and those paths are untouched.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as zlib from 'node:zlib';
import { END_OF_ARCHIVE, emptyHeader, encodeHeader, padLength, type TarEntryType } from '../../src/stores/tar/format.ts';

/** What a case must do: fail with a 4xx, or load (any safe result), or load with exactly these files. */
export type Expect = 'reject' | 'safe' | 'load';

export type UnpackPath = 'import' | 'cp' | 'build' | 'pull' | 'load';

export interface FileCheck {
  /** Path inside the layer / destination. */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';
  content?: string;
  linkTarget?: string;
  /** Permission bits (07777) to expect. */
  mode?: number;
}

export interface HostileCase {
  name: string;
  /** The archive as sent (possibly compressed). */
  bytes: Buffer;
  expect: Expect;
  /** For 'load': what must be there afterwards. */
  files?: FileCheck[];
  /** Paths that must not exist in the result (whiteouts, dropped entries). */
  absent?: string[];
  /** Uncompressed tar is available (cp PUT and build get a Dockerfile prepended). */
  tar?: Buffer;
  /** The archive is compressed or broken below the tar level. */
  compressed?: boolean;
  /** Not meaningful for this path (documented why in the case). */
  skip?: UnpackPath[];
  /** A different expectation on some paths (a cp or build context is not a layer: whiteouts mean less there). */
  expectOn?: Partial<Record<UnpackPath, Expect>>;
}

/** Names the privileged xattrs the corpus plants; none may ever appear on disk. */
export const PRIVILEGED_XATTRS = [
  'trusted.overlay.opaque', 'trusted.overlay.redirect', 'trusted.overlay.origin', 'trusted.overlay.metacopy',
  'trusted.overlay.upper', 'trusted.overlay.whiteout', 'trusted.overlay.whiteouts', 'trusted.hostile',
  'security.selinux', 'security.ima', 'security.evm', 'security.apparmor', 'security.SMACK64', 'security.hostile',
];
/** The value every planted privileged xattr carries (opaque's is "y", as overlay reads it). */
export const XATTR_MARK = 'hostile-xattr';

// ---- building blocks ----

interface E {
  name: string;
  type?: TarEntryType;
  body?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string | Buffer>;
}

function entry(e: E): Buffer {
  const type = e.type ?? 'file';
  const body = Buffer.from(e.body ?? '');
  const h = emptyHeader(e.name, type);
  if (e.mode !== undefined) h.mode = e.mode;
  h.uid = e.uid ?? 0;
  h.gid = e.gid ?? 0;
  h.mtime = 1_600_000_000;
  h.linkname = e.linkname ?? '';
  h.devmajor = e.devmajor ?? 0;
  h.devminor = e.devminor ?? 0;
  h.size = type === 'file' ? body.length : 0;
  for (const [k, v] of Object.entries(e.xattrs ?? {})) h.xattrs.set(k, Buffer.from(v));
  const parts = [encodeHeader(h)];
  if (type === 'file') parts.push(body, Buffer.alloc(padLength(body.length)));
  return Buffer.concat(parts);
}

interface Raw {
  name?: Buffer | string;
  prefix?: string;
  mode?: number;
  /** Written as given into the 12-byte size field (octal digits, or raw bytes). */
  sizeField?: Buffer | string;
  typeflag?: string;
  linkname?: string;
  badChecksum?: boolean;
}

/** One header block written field by field, for what encodeHeader would never produce. */
function rawHeader(r: Raw): Buffer {
  const b = Buffer.alloc(512);
  const name = typeof r.name === 'string' ? Buffer.from(r.name) : (r.name ?? Buffer.from('raw'));
  name.copy(b, 0, 0, Math.min(100, name.length));
  b.write(((r.mode ?? 0o644).toString(8)).padStart(7, '0'), 100, 'latin1');
  b.write('0000000', 108, 'latin1');
  b.write('0000000', 116, 'latin1');
  const size = r.sizeField ?? '00000000000';
  (typeof size === 'string' ? Buffer.from(size, 'latin1') : size).copy(b, 124, 0, 12);
  b.write('13000000000', 136, 'latin1');
  b.write(r.typeflag ?? '0', 156, 'latin1');
  if (r.linkname) b.write(r.linkname, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 'latin1');
  if (r.prefix) b.write(r.prefix, 345, 155, 'utf8');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i]!;
  if (r.badChecksum) sum += 7;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

function padded(body: Buffer): Buffer {
  return Buffer.concat([body, Buffer.alloc(padLength(body.length))]);
}

function paxRecord(key: string, value: string | Buffer): Buffer {
  const v = Buffer.from(value);
  const tail = Buffer.concat([Buffer.from(` ${key}=`), v, Buffer.from('\n')]);
  let len = tail.length + 1;
  while (String(len).length + tail.length !== len) len++;
  return Buffer.concat([Buffer.from(String(len)), tail]);
}

/** A PAX ('x') or global ('g') extended header holding `data` as its body. */
function paxBlock(data: Buffer, flag = 'x'): Buffer {
  return Buffer.concat([rawHeader({ name: 'PaxHeaders/x', typeflag: flag, sizeField: data.length.toString(8).padStart(11, '0') }), padded(data)]);
}

/** A GNU long name ('L') or long link ('K') record. */
function gnuLong(flag: 'L' | 'K', value: string): Buffer {
  const data = Buffer.from(`${value}\0`);
  return Buffer.concat([rawHeader({ name: '././@LongLink', typeflag: flag, sizeField: data.length.toString(8).padStart(11, '0') }), padded(data)]);
}

function tar(...parts: Buffer[]): Buffer {
  return Buffer.concat([...parts, END_OF_ARCHIVE]);
}

const gzip = (b: Buffer) => zlib.gzipSync(b);
const zstd = (b: Buffer) => zlib.zstdCompressSync(b);
function tool(cmd: string, b: Buffer): Buffer {
  return execFileSync(cmd, ['-c'], { input: b, maxBuffer: 64 << 20 });
}

/** Deterministic bytes that do not compress (so truncating a stream cuts real data). */
function noise(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

// ---- the corpus ----

export interface CorpusOptions {
  /** Absolute host directory holding `victim`; every escape aims at it. */
  canary: string;
}

export function hostileCorpus(o: CorpusOptions): HostileCase[] {
  const C = o.canary.replace(/^\//, '');
  const up = '../'.repeat(12);
  const cases: HostileCase[] = [];
  const add = (name: string, expect: Expect, t: Buffer, extra: Partial<HostileCase> = {}) => {
    cases.push({ name, expect, bytes: t, tar: t, ...extra });
  };
  const addCompressed = (name: string, expect: Expect, bytes: Buffer, extra: Partial<HostileCase> = {}) => {
    cases.push({ name, expect, bytes, compressed: true, ...extra });
  };
  const ok = entry({ name: 'ok.txt', body: 'ok\n' });

  // -- traversal by name --
  add('dotdot-file', 'reject', tar(entry({ name: `${up}${C}/pwned`, body: 'x' })));
  add('dotdot-inner', 'reject', tar(entry({ name: `a/b/../../${up}${C}/pwned`, body: 'x' })));
  add('dotdot-host-root', 'reject', tar(entry({ name: `${up}hostile-pwned`, body: 'x' })));
  add('dotdot-dir', 'reject', tar(entry({ name: `${up}${C}/pwned-dir`, type: 'dir' })));
  add('absolute-file', 'load', tar(entry({ name: `/${C}/pwned`, body: 'inside\n' }), entry({ name: '/hostile-pwned', body: 'inside\n' })), {
    files: [{ path: `/${C}/pwned`, type: 'file', content: 'inside\n' }, { path: '/hostile-pwned', type: 'file', content: 'inside\n' }],
  });
  add('pax-path-dotdot', 'reject', tar(paxBlock(paxRecord('path', `${up}${C}/pwned`)), entry({ name: 'innocent.txt', body: 'x' })));
  add('gnu-longname-dotdot', 'reject', tar(gnuLong('L', `${'d/'.repeat(3)}${up}${up}${C}/pwned`), entry({ name: 'innocent.txt', body: 'x' })));
  add('ustar-prefix-dotdot', 'reject', tar(rawHeader({ name: 'pwned', prefix: `${up}${C}`, sizeField: '00000000000' })));

  // -- symlinks planted, then written through --
  add('symlink-then-file', 'reject', tar(entry({ name: 'evil', type: 'symlink', linkname: `/${C}` }), entry({ name: 'evil/pwned', body: 'x' })));
  add('symlink-then-dir', 'reject', tar(entry({ name: 'evil', type: 'symlink', linkname: `/${C}` }), entry({ name: 'evil/sub', type: 'dir' })));
  add('symlink-relative-then-file', 'reject', tar(entry({ name: 'a/evil', type: 'symlink', linkname: `${up}${C}` }), entry({ name: 'a/evil/pwned', body: 'x' })));
  add('symlink-chain-then-file', 'reject', tar(
    entry({ name: 'b', type: 'symlink', linkname: `/${C}` }), entry({ name: 'a', type: 'symlink', linkname: 'b' }), entry({ name: 'a/pwned', body: 'x' })));
  add('symlink-dotdot-then-file', 'reject', tar(entry({ name: 'evil', type: 'symlink', linkname: '..' }), entry({ name: `evil/${up}${C}/pwned`, body: 'x' })));
  add('symlink-host-root-then-file', 'reject', tar(entry({ name: 'evil', type: 'symlink', linkname: '/' }), entry({ name: 'evil/hostile-pwned', body: 'x' })));
  add('dir-swapped-for-symlink', 'reject', tar(
    entry({ name: 'd', type: 'dir' }), entry({ name: 'd/first', body: 'x' }),
    entry({ name: 'd', type: 'symlink', linkname: `/${C}` }), entry({ name: 'd/pwned', body: 'x' })));
  add('symlink-then-hardlink-through', 'reject', tar(entry({ name: 'evil', type: 'symlink', linkname: `/${C}` }), entry({ name: 'x', type: 'link', linkname: 'evil/victim' })));
  add('symlink-then-whiteout-through', 'reject', tar(entry({ name: 'evil', type: 'symlink', linkname: `/${C}` }), entry({ name: 'evil/.wh.victim' })), {
    // A build context deletes whiteout targets only along real directories: through a link it does nothing.
    expectOn: { build: 'safe' },
  });
  add('symlink-then-opaque-through', 'reject', tar(entry({ name: 'evil', type: 'symlink', linkname: `/${C}` }), entry({ name: 'evil/.wh..wh..opq' })), {
    // cp ignores ".wh..wh." names altogether (nothing is written).
    expectOn: { cp: 'safe' },
  });
  add('symlink-replaced-by-file', 'load', tar(entry({ name: 'evil', type: 'symlink', linkname: `/${C}/victim` }), entry({ name: 'evil', body: 'replaced\n' })), {
    files: [{ path: '/evil', type: 'file', content: 'replaced\n' }],
  });
  add('symlink-with-owner-and-mode', 'load', tar(entry({ name: 'evil', type: 'symlink', linkname: `/${C}/victim`, mode: 0o6777, uid: 4242, gid: 4242 })), {
    files: [{ path: '/evil', type: 'symlink', linkTarget: `/${C}/victim` }],
  });
  add('symlink-with-xattrs', 'safe', tar(entry({ name: 'evil', type: 'symlink', linkname: `/${C}/victim`, xattrs: { 'user.hostile': XATTR_MARK } })));

  // -- hardlinks out of the root --
  add('hardlink-absolute-outside', 'reject', tar(entry({ name: 'x', type: 'link', linkname: `/${C}/victim` })));
  add('hardlink-dotdot', 'reject', tar(entry({ name: 'x', type: 'link', linkname: `${up}${C}/victim` })));
  add('hardlink-host-passwd', 'reject', tar(entry({ name: 'x', type: 'link', linkname: '/etc/passwd' })));
  add('hardlink-then-write', 'reject', tar(entry({ name: 'x', type: 'link', linkname: `${up}${C}/victim` }), entry({ name: 'x', body: 'overwritten' })));
  add('hardlink-pax-linkpath', 'reject', tar(paxBlock(paxRecord('linkpath', `${up}${C}/victim`)), entry({ name: 'x', type: 'link', linkname: 'ok.txt' })));
  add('hardlink-to-dir', 'reject', tar(entry({ name: 'd', type: 'dir' }), entry({ name: 'x', type: 'link', linkname: 'd' })));

  // -- special files --
  add('device-nodes', 'safe', tar(
    entry({ name: 'dev', type: 'dir' }), entry({ name: 'dev/mem', type: 'char', devmajor: 1, devminor: 1, mode: 0o666 }),
    entry({ name: 'dev/sda', type: 'block', devmajor: 8, devminor: 0, mode: 0o666 })), { skip: ['build'] });
  add('fifo', 'load', tar(entry({ name: 'pipe', type: 'fifo', mode: 0o644 })), { files: [{ path: '/pipe', type: 'fifo' }], skip: ['build'] });
  add('setuid-root-file', 'load', tar(entry({ name: 'suid', body: '#!/bin/sh\n', mode: 0o6755 })), {
    files: [{ path: '/suid', type: 'file', content: '#!/bin/sh\n', mode: 0o6755 }],
  });

  // -- sizes --
  add('huge-declared-size', 'reject', Buffer.concat([rawHeader({ name: 'big', sizeField: '77777777777' }), Buffer.from('short'), Buffer.alloc(1024)]));
  add('pax-huge-size', 'reject', tar(paxBlock(paxRecord('size', '99999999999999999999999')), entry({ name: 'big', body: 'x' })));
  add('pax-negative-size', 'reject', tar(paxBlock(paxRecord('size', '-1')), entry({ name: 'neg', body: 'x' })));
  add('base256-negative-size', 'reject', tar(rawHeader({ name: 'neg', sizeField: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]) })));
  add('size-not-octal', 'reject', tar(rawHeader({ name: 'bad', sizeField: '9zz99999999' })));
  add('pax-header-over-limit', 'reject', tar(paxBlock(Buffer.concat([paxRecord('comment', 'a'.repeat(2 << 20))]))));

  // -- broken tar framing --
  add('bad-checksum', 'reject', tar(rawHeader({ name: 'x', badChecksum: true })));
  const full = tar(ok, entry({ name: 'big.bin', body: noise(64 * 1024) }));
  add('truncated-in-body', 'reject', full.subarray(0, 1024 + 512 + 20_000));
  add('truncated-in-header', 'reject', full.subarray(0, 1024 + 300));
  add('not-a-tar', 'reject', noise(4096, 7));
  add('no-end-marker', 'load', Buffer.concat([ok]), { files: [{ path: '/ok.txt', type: 'file', content: 'ok\n' }] });
  add('unknown-typeflag', 'reject', tar(rawHeader({ name: 'weird', typeflag: 'Z' })));
  add('gnu-sparse-type', 'reject', tar(rawHeader({ name: 'sparse', typeflag: 'S', sizeField: '00000000000' })));
  add('pax-gnu-sparse', 'reject', tar(paxBlock(paxRecord('GNU.sparse.realsize', '1099511627776')), entry({ name: 'sparse', body: '' })));

  // -- compression --
  const payload = tar(ok, entry({ name: 'noise.bin', body: noise(256 * 1024, 3) }));
  const gz = gzip(payload);
  addCompressed('gzip-truncated', 'reject', gz.subarray(0, Math.floor(gz.length / 2)));
  const gzCorrupt = Buffer.from(gz);
  for (let i = 200; i < 260; i++) gzCorrupt[i] ^= 0x5a;
  addCompressed('gzip-corrupt', 'reject', gzCorrupt);
  const gzCrc = Buffer.from(gz);
  gzCrc[gzCrc.length - 6] ^= 0xff;
  addCompressed('gzip-bad-crc', 'reject', gzCrc);
  addCompressed('gzip-header-only', 'reject', gz.subarray(0, 10));
  const zs = zstd(payload);
  addCompressed('zstd-truncated', 'reject', zs.subarray(0, Math.floor(zs.length / 2)));
  addCompressed('zstd-magic-garbage', 'reject', Buffer.concat([zs.subarray(0, 4), noise(2048, 5)]));
  const xz = tool('xz', payload);
  addCompressed('xz-truncated', 'reject', xz.subarray(0, Math.floor(xz.length / 2)));
  const bz = tool('bzip2', payload);
  const bzCorrupt = Buffer.from(bz);
  for (let i = 100; i < 140; i++) bzCorrupt[i] ^= 0xa5;
  addCompressed('bzip2-corrupt', 'reject', bzCorrupt);
  addCompressed('gzip-of-hostile-tar', 'reject', gzip(tar(entry({ name: `${up}${C}/pwned`, body: 'x' }))));
  addCompressed('gzip-legit', 'load', gzip(tar(entry({ name: 'Dockerfile', body: 'FROM scratch\nCOPY . /ctx/\n' }), ok)), { files: [{ path: '/ok.txt', type: 'file', content: 'ok\n' }] });

  // -- duplicates --
  add('duplicate-file', 'load', tar(entry({ name: 'dup', body: 'first\n' }), entry({ name: 'dup', body: 'second\n' })), {
    files: [{ path: '/dup', type: 'file', content: 'second\n' }],
  });
  add('duplicate-dir-then-file', 'load', tar(entry({ name: 'dd', type: 'dir' }), entry({ name: 'dd/in', body: 'x' }), entry({ name: 'dd', body: 'file now\n' })), {
    files: [{ path: '/dd', type: 'file', content: 'file now\n' }], skip: ['cp'],
  });
  add('duplicate-file-then-dir', 'load', tar(entry({ name: 'fd', body: 'x' }), entry({ name: 'fd', type: 'dir' }), entry({ name: 'fd/in', body: 'in\n' })), {
    files: [{ path: '/fd/in', type: 'file', content: 'in\n' }], skip: ['cp'],
  });

  // -- names --
  add('pax-path-with-nul', 'reject', tar(paxBlock(paxRecord('path', Buffer.from('ok\0../../../etc/hostile-pwned'))), entry({ name: 'innocent', body: 'x' })));
  add('pax-linkpath-with-nul', 'reject', tar(paxBlock(paxRecord('linkpath', Buffer.from('ok\0/etc'))), entry({ name: 'l', type: 'symlink', linkname: 'x' })));
  add('ustar-name-nul-hides-dotdot', 'load', tar(rawHeader({ name: Buffer.from(`nul\0${up}${C}/pwned`) })), { files: [{ path: '/nul', type: 'file', content: '' }] });
  add('component-over-name-max', 'reject', tar(paxBlock(paxRecord('path', `${'n'.repeat(300)}/f`)), entry({ name: 'x', body: 'x' })));
  add('path-over-path-max', 'safe', tar(paxBlock(paxRecord('path', `${'deep/'.repeat(900)}f`)), entry({ name: 'x', body: 'x' })));
  add('pax-empty-path', 'safe', tar(paxBlock(paxRecord('path', '')), entry({ name: 'named', body: 'x' })));

  // -- odd PAX records --
  add('pax-length-too-long', 'reject', tar(paxBlock(Buffer.from('99 path=x\n')), entry({ name: 'y', body: 'x' })));
  add('pax-length-not-a-number', 'reject', tar(paxBlock(Buffer.from('zz path=x\n')), entry({ name: 'y', body: 'x' })));
  add('pax-no-equals', 'reject', tar(paxBlock(Buffer.from('11 pathx\n')), entry({ name: 'y', body: 'x' })));
  add('pax-no-newline', 'reject', tar(paxBlock(Buffer.from('11 path=xx')), entry({ name: 'y', body: 'x' })));
  add('pax-huge-uid', 'reject', tar(paxBlock(paxRecord('uid', '99999999999999999999')), entry({ name: 'y', body: 'x' })));
  add('pax-global-dotdot', 'load', tar(paxBlock(paxRecord('path', `${up}${C}/pwned`), 'g'), ok), { files: [{ path: '/ok.txt', type: 'file', content: 'ok\n' }] });
  add('pax-size-desync-on-symlink', 'safe', Buffer.concat([
    paxBlock(paxRecord('size', '512')), rawHeader({ name: 'l', typeflag: '2', linkname: 'ok.txt' }),
    rawHeader({ name: `${up}${C}/pwned` }), Buffer.alloc(1024)]));

  // -- privileged xattrs --
  const priv: Record<string, string> = {};
  for (const k of PRIVILEGED_XATTRS) priv[k] = k === 'trusted.overlay.opaque' ? 'y' : XATTR_MARK;
  add('privileged-xattrs-file', 'load', tar(entry({ name: 'xf', body: 'x\n', xattrs: { ...priv, 'user.kept': 'yes' } })), {
    files: [{ path: '/xf', type: 'file', content: 'x\n' }],
  });
  add('privileged-xattrs-dir', 'load', tar(entry({ name: 'xd', type: 'dir', xattrs: priv }), entry({ name: 'xd/in', body: 'in\n' })), {
    files: [{ path: '/xd/in', type: 'file', content: 'in\n' }],
  });
  add('overlay-whiteout-xattr-on-file', 'load', tar(entry({ name: 'wf', body: '', xattrs: { 'trusted.overlay.whiteout': '' } })), {
    files: [{ path: '/wf', type: 'file', content: '' }],
  });

  // -- whiteouts --
  add('whiteout-dotdot', 'reject', tar(entry({ name: '.wh...' })));
  add('whiteout-dot', 'reject', tar(entry({ name: 'a/.wh..' })));
  add('whiteout-empty', 'reject', tar(entry({ name: '.wh.' })));
  add('whiteout-climbing', 'reject', tar(entry({ name: `${up}${C}/.wh.victim` })));
  add('opaque-on-planted-file', 'reject', tar(entry({ name: 'f', body: 'x' }), entry({ name: 'f/.wh..wh..opq' })), { expectOn: { cp: 'safe' } });
  add('whiteouts-legit', 'load', tar(
    entry({ name: 'w', type: 'dir' }), entry({ name: 'w/.wh..wh..opq' }), entry({ name: 'w/kept', body: 'k\n' }),
    entry({ name: '.wh.gone' }), entry({ name: '.wh..wh.plnk', type: 'dir' }), entry({ name: '.wh..wh.plnk/1234.5', body: 'aufs' })), {
    files: [{ path: '/w/kept', type: 'file', content: 'k\n' }], absent: ['/.wh..wh.plnk', '/w/.wh..wh..opq', '/.wh.gone', '/gone'],
    // cp unpacks a client's tar, not a layer: Docker keeps .wh. names there as ordinary names.
    skip: ['cp'],
  });

  // -- legitimate edge cases that must load --
  add('hardlink-absolute-inside', 'load', tar(
    entry({ name: '/etc/app.conf', body: 'conf\n' }), entry({ name: 'usr/link.conf', type: 'link', linkname: '/etc/app.conf' }),
    entry({ name: './rel.conf', type: 'link', linkname: './etc/app.conf' })), {
    files: [{ path: '/usr/link.conf', type: 'file', content: 'conf\n' }, { path: '/rel.conf', type: 'file', content: 'conf\n' }],
  });
  add('hardlink-to-symlink', 'load', tar(entry({ name: 's', type: 'symlink', linkname: '/etc/passwd' }), entry({ name: 'h', type: 'link', linkname: 's' })), {
    files: [{ path: '/h', type: 'symlink', linkTarget: '/etc/passwd' }],
  });
  const longPath = `${'long-directory-name-'.repeat(8)}/${'x'.repeat(200)}`;
  add('long-name-pax', 'load', tar(entry({ name: longPath, body: 'long\n' })), { files: [{ path: `/${longPath}`, type: 'file', content: 'long\n' }] });
  const gnuPath = `${'gnu-'.repeat(40)}/file`;
  add('long-name-gnu', 'load', tar(gnuLong('L', gnuPath), rawHeader({ name: 'truncated', sizeField: '00000000003' }), padded(Buffer.from('gnu'))), {
    files: [{ path: `/${gnuPath}`, type: 'file', content: 'gnu' }],
  });
  const longTarget = `/${'t'.repeat(150)}/${'u'.repeat(150)}`;
  add('long-link-gnu', 'load', tar(gnuLong('K', longTarget), rawHeader({ name: 'll', typeflag: '2', linkname: 'cut' })), {
    files: [{ path: '/ll', type: 'symlink', linkTarget: longTarget }],
  });
  add('ustar-prefix-legit', 'load', tar(rawHeader({ name: 'leaf', prefix: 'pre/fix', sizeField: '00000000002' }), padded(Buffer.from('pf'))), {
    files: [{ path: '/pre/fix/leaf', type: 'file', content: 'pf' }],
  });
  add('absolute-symlinks-not-followed', 'load', tar(
    entry({ name: 'bin', type: 'dir' }), entry({ name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' }),
    entry({ name: 'etcpw', type: 'symlink', linkname: '/etc/passwd' })), {
    files: [{ path: '/bin/sh', type: 'symlink', linkTarget: '/bin/busybox' }, { path: '/etcpw', type: 'symlink', linkTarget: '/etc/passwd' }],
  });
  add('odd-names', 'load', tar(entry({ name: 'sp ace/new\nline', body: 'n\n' }), entry({ name: 'ünï/кот', body: 'u\n' })), {
    files: [{ path: '/sp ace/new\nline', type: 'file', content: 'n\n' }, { path: '/ünï/кот', type: 'file', content: 'u\n' }],
  });
  add('dir-mode-zero-with-children', 'load', tar(entry({ name: 'locked', type: 'dir', mode: 0 }), entry({ name: 'locked/in', body: 'in\n' })), {
    files: [{ path: '/locked/in', type: 'file', content: 'in\n' }],
  });
  return cases;
}

/** One regular file entry, no end marker (to put in front of a case: a build's Dockerfile). */
export function entryTar(name: string, body: string): Buffer {
  return entry({ name, body });
}

/** A whole tar of the given entries (files with any bytes, symlinks), end marker included: an image archive's outer layer. */
export function archiveTar(entries: Array<{ name: string; body?: Buffer | string; symlink?: string }>): Buffer {
  return tar(...entries.map((e) => (e.symlink !== undefined
    ? entry({ name: e.name, type: 'symlink', linkname: e.symlink })
    : entry({ name: e.name, body: e.body ?? '' }))));
}
