// A context upload measured against the trees kept from earlier uploads
// (src/builder/context-keep.ts, context-reuse.ts, context-scan.ts): a large
// file whose bytes all equal the kept one's is linked from it (same inode)
// and takes its recorded hash; anything else is written and hashed as it
// arrives. Every case checks the extracted content and the hash the cache
// key would use (fileHash), so a stale hash or a stale body fails here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import { BuildContext } from '../../../src/builder/context.ts';
import { KeptContexts } from '../../../src/builder/context-keep.ts';
import { fileHash, hashedBytes } from '../../../src/builder/file-hash.ts';
import { emptyHeader, type TarHeader } from '../../../src/stores/tar/format.ts';
import { tarChunks, type TarEntry } from '../../../src/stores/tar/writer.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
const BIG = 300_000;

type Spec = Record<string, Buffer | { data?: Buffer; mode?: number; mtime?: number; link?: string; symlink?: string; dir?: boolean }>;

function entries(spec: Spec): TarEntry[] {
  return Object.entries(spec).map(([name, v]) => {
    const o = Buffer.isBuffer(v) ? { data: v } : v;
    const type = o.dir ? 'dir' : o.link ? 'link' : o.symlink ? 'symlink' : 'file';
    const header: TarHeader = { ...emptyHeader(name.replace(/#\d+$/, ''), type), uid, gid, mode: o.mode ?? (o.dir ? 0o755 : 0o644), mtime: o.mtime ?? 1_700_000_000 };
    if (o.link) header.linkname = o.link;
    if (o.symlink) header.linkname = o.symlink;
    if (o.data) header.size = o.data.length;
    return o.data ? { header, body: o.data } : { header };
  });
}

/** The tar in pieces of `size` bytes (headers and bodies split across pieces, as a socket delivers them). */
async function* pieces(spec: Spec, size: number, cut = Infinity): AsyncGenerator<Buffer> {
  const all = [];
  for await (const c of tarChunks(entries(spec))) all.push(c);
  const tar = Buffer.concat(all).subarray(0, cut);
  for (let off = 0; off < tar.length; off += size) yield Buffer.from(tar.subarray(off, off + size));
}

function setup(t: { after: (f: () => void) => void }, o: { maxTrees?: number } = {}) {
  const tmp = fs.mkdtempSync(`${os.tmpdir()}/ctx-reuse-`);
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const kept = new KeptContexts(o);
  const open: BuildContext[] = [];
  t.after(() => { for (const c of open) void c.close(); });
  return {
    kept, tmp,
    async upload(spec: Spec, size = 65_536 + 7, limits = {}): Promise<BuildContext> {
      const c = await BuildContext.fromTar(pieces(spec, size), `${tmp}/tmp`, 'Dockerfile', limits, kept);
      open.push(c);
      return c;
    },
  };
}

const ino = (p: string) => fs.statSync(p).ino;
function checkFile(ctx: BuildContext, rel: string, data: Buffer): void {
  assert.ok(fs.readFileSync(`${ctx.root}/${rel}`).equals(data), `${rel}: content`);
  assert.equal(fileHash(`${ctx.root}/${rel}`), sha(data), `${rel}: hash`);
}

test('an unchanged upload links every large file from the kept tree and takes its hash without reading it', async (t) => {
  const s = setup(t);
  const big = randomBytes(BIG);
  const spec: Spec = { Dockerfile: Buffer.from('FROM scratch\n'), 'd/big': big, small: Buffer.from('s') };
  const a = await s.upload(spec);
  checkFile(a, 'd/big', big);
  await a.close();
  assert.equal(s.kept.size, 1);
  assert.ok(fs.existsSync(`${a.root}/d/big`), 'the closed tree is kept');

  const b = await s.upload(spec);
  assert.equal(ino(`${b.root}/d/big`), ino(`${a.root}/d/big`), 'linked, not written');
  const before = hashedBytes();
  checkFile(b, 'd/big', big);
  checkFile(b, 'small', Buffer.from('s'));
  assert.equal(hashedBytes(), before, 'the hash came with the link: nothing was read to hash');
  assert.equal(fs.statSync(`${b.root}/d/big`).mode & 0o7777, 0o644);
  assert.deepEqual(fs.readdirSync(b.root).sort(), ['Dockerfile', 'd', 'small'], 'no placeholder or temp name left');
  assert.ok(!fs.existsSync(`${b.root}.stage`));
});

test('same size, mode and mtime but other bytes (first, middle or last piece): written and hashed anew', async (t) => {
  const s = setup(t);
  const big = randomBytes(BIG);
  const a = await s.upload({ big });
  await a.close();
  for (const at of [0, 150_000, BIG - 1]) {
    const changed = Buffer.from(big);
    changed[at] ^= 0xff;
    const b = await s.upload({ big: changed });
    assert.notEqual(ino(`${b.root}/big`), ino(`${a.root}/big`), `byte ${at}: not linked`);
    checkFile(b, 'big', changed);
    assert.equal(fs.statSync(`${b.root}/big`).mode & 0o7777, 0o644);
    assert.equal(fs.statSync(`${b.root}/big`).mtimeMs, 1_700_000_000_000);
    await b.close();
  }
  // The kept file itself was not touched by any of it.
  assert.ok(fs.readFileSync(`${a.root}/big`).equals(big));
});

test('a changed mode, a removed file and an added file', async (t) => {
  const s = setup(t);
  const one = randomBytes(BIG);
  const two = randomBytes(BIG);
  const a = await s.upload({ one, two });
  await a.close();
  const three = randomBytes(BIG);
  const b = await s.upload({ one: { data: one, mode: 0o755 }, three });
  assert.equal(fs.statSync(`${b.root}/one`).mode & 0o7777, 0o755);
  assert.notEqual(ino(`${b.root}/one`), ino(`${a.root}/one`), 'another mode: not the kept file');
  checkFile(b, 'one', one);
  checkFile(b, 'three', three);
  assert.ok(!fs.existsSync(`${b.root}/two`), 'removed from the context: not in the tree');
  assert.equal(fs.statSync(`${a.root}/one`).mode & 0o7777, 0o644, 'the kept file keeps its mode');
});

test('two contexts alternating: each upload links from its own last tree, even where paths and headers collide', async (t) => {
  const s = setup(t);
  const x = randomBytes(BIG);
  const y = randomBytes(BIG);
  const onlyA = randomBytes(BIG);
  const A: Spec = { data: x, a: onlyA };
  const B: Spec = { data: y, b: randomBytes(BIG) };
  let lastA: BuildContext | null = null;
  let lastB: BuildContext | null = null;
  for (let i = 0; i < 3; i++) {
    const a = await s.upload(A);
    checkFile(a, 'data', x);
    checkFile(a, 'a', onlyA);
    if (lastA) assert.equal(ino(`${a.root}/data`), ino(`${lastA.root}/data`), `round ${i}: A's data linked`);
    await a.close();
    lastA = a;
    const b = await s.upload(B);
    checkFile(b, 'data', y);
    assert.ok(!fs.existsSync(`${b.root}/a`));
    if (lastB) assert.equal(ino(`${b.root}/data`), ino(`${lastB.root}/data`), `round ${i}: B's data linked`);
    await b.close();
    lastB = b;
  }
  assert.ok(s.kept.size <= 3);
});

test('hard links to a taken file, a path written twice, a parent replaced by a symlink', async (t) => {
  const s = setup(t);
  const big = randomBytes(BIG);
  const outside = fs.mkdtempSync(`${os.tmpdir()}/ctx-reuse-out-`);
  t.after(() => fs.rmSync(outside, { recursive: true, force: true }));
  const a = await s.upload({ big, twice: big, 'p/f': big });
  await a.close();
  const b = await s.upload({ big, alias: { link: 'big' }, twice: big, 'twice#2': Buffer.from('later'), 'p/f': big });
  checkFile(b, 'big', big);
  checkFile(b, 'alias', big);
  assert.equal(ino(`${b.root}/alias`), ino(`${b.root}/big`));
  checkFile(b, 'twice', Buffer.from('later'));
  checkFile(b, 'p/f', big);
  // The parent replaced by a link out of the context after the file was taken: nothing is written through it.
  const c = await s.upload({ 'p/f': big, p: { symlink: outside } });
  assert.equal(fs.readlinkSync(`${c.root}/p`), outside);
  assert.deepEqual(fs.readdirSync(outside), []);
});

test('an upload cut inside a taken body fails; the byte limit counts taken bodies', async (t) => {
  const s = setup(t);
  const big = randomBytes(BIG);
  const a = await s.upload({ big });
  await a.close();
  await assert.rejects(BuildContext.fromTar(pieces({ big }, 10_000, 100_000), `${s.tmp}/tmp`, 'Dockerfile', {}, s.kept), /unexpected end of tar archive/);
  await assert.rejects(s.upload({ big }, 65_536, { maxBytes: 200_000 }), /exceeds the limit/);
  assert.deepEqual(fs.readdirSync(`${s.tmp}/tmp`).filter((n) => n !== a.root.split('/').pop()), [], 'failed uploads leave nothing');
});

test('kept trees are bounded and cleared', async (t) => {
  const s = setup(t, { maxTrees: 2 });
  const roots: string[] = [];
  for (let i = 0; i < 4; i++) {
    const c = await s.upload({ [`f${i}`]: randomBytes(BIG) });
    roots.push(c.root);
    await c.close();
  }
  assert.equal(s.kept.size, 2);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(roots.map((r) => fs.existsSync(r)), [false, false, true, true]);
  s.kept.clear();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(s.kept.size, 0);
  assert.deepEqual(roots.map((r) => fs.existsSync(r)), [false, false, false, false]);
});
