// Layer apply against hostile and unusual archives, in both whiteout modes.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { isCode } from '../../../src/core/errors.ts';
import { applyTar } from '../../../src/stores/snapshots/apply.ts';
import { lgetxattr } from '../../../src/sys/libc.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tarBuffer, tempDir, type TestEntry } from './tars.ts';

type Mode = 'overlay' | 'delete';

function setup(t: { after: (fn: () => void) => void }): { root: string; outside: string; base: string } {
  const { dir, cleanup } = tempDir('berth-apply-');
  t.after(cleanup);
  const root = `${dir}/root`;
  const outside = `${dir}/outside`;
  fs.mkdirSync(root);
  fs.mkdirSync(outside);
  fs.writeFileSync(`${outside}/secret`, 'original');
  return { root, outside, base: dir };
}

async function apply(root: string, entries: TestEntry[], mode: Mode, limits = {}) {
  return applyTar(Readable.from([tarBuffer(entries)]), { root, whiteouts: mode, limits });
}

function rejectsInvalid(p: Promise<unknown>, msg: RegExp) {
  return assert.rejects(p, (e) => isCode(e, 'invalid_argument') && msg.test((e as Error).message));
}

for (const mode of ['overlay', 'delete'] as const) {
  describe(`layer apply (${mode})`, { skip: skipUnlessRoot() }, () => {
    test('keeps types, modes, owners, times, devices and allowed xattrs; reports diffID and size', async (t) => {
      const { root } = setup(t);
      const cap = Buffer.from([1, 0, 0, 2, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      const entries: TestEntry[] = [
        { name: 'etc/', mode: 0o750, uid: 1, gid: 2, mtime: 1_500_000_000 },
        { name: 'etc/conf', body: 'hello', mode: 0o640, uid: 1000, gid: 1001, mtime: 1_400_000_000, xattrs: { 'user.note': 'kept', 'trusted.evil': 'x' } },
        { name: 'bin/ping', body: 'ELF', mode: 0o4755, xattrs: { 'security.capability': cap } },
        { name: 'etc/link', type: 'symlink', linkname: '/etc/conf', uid: 7, gid: 8 },
        { name: 'etc/hard', type: 'link', linkname: 'etc/conf' },
        { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'run/fifo', type: 'fifo', mode: 0o600 },
        { name: './tmp', type: 'dir', mode: 0o1777 },
      ];
      const buf = tarBuffer(entries);
      const res = await applyTar(Readable.from([buf]), { root, whiteouts: mode });
      assert.equal(res.diffId, `sha256:${createHash('sha256').update(buf).digest('hex')}`);
      assert.equal(res.size, 8);
      const st = (p: string) => fs.lstatSync(`${root}/${p}`);
      assert.equal(st('etc').mode & 0o7777, 0o750);
      assert.equal(st('etc').mtimeMs, 1_500_000_000_000, 'directory mtime set after its children');
      assert.deepEqual([st('etc/conf').mode & 0o7777, st('etc/conf').uid, st('etc/conf').gid], [0o640, 1000, 1001]);
      assert.equal(st('etc/conf').mtimeMs, 1_400_000_000_000);
      assert.equal(st('bin/ping').mode & 0o7777, 0o4755, 'setuid survives chown');
      assert.ok(lgetxattr(`${root}/bin/ping`, 'security.capability')?.equals(cap), 'file capabilities kept');
      assert.equal(lgetxattr(`${root}/etc/conf`, 'user.note')?.toString(), 'kept');
      assert.equal(lgetxattr(`${root}/etc/conf`, 'trusted.evil'), null, 'trusted.* never taken from an archive');
      assert.equal(fs.readlinkSync(`${root}/etc/link`), '/etc/conf');
      assert.deepEqual([st('etc/link').uid, st('etc/link').gid], [7, 8]);
      assert.equal(st('etc/hard').ino, st('etc/conf').ino);
      assert.ok(st('dev/null').isCharacterDevice());
      assert.equal(st('dev/null').rdev, (1 << 8) | 3);
      assert.ok(st('run/fifo').isFIFO());
      assert.equal(st('tmp').mode & 0o7777, 0o1777);
      assert.equal(st('bin').mode & 0o7777, 0o755, 'implied parents are 0755');
    });

    test('owners under set-group-ID directories: the kernel\'s inherited group is corrected, the entry\'s kept', async (t) => {
      const { root } = setup(t);
      const entries: TestEntry[] = [
        { name: 'sg/', mode: 0o2775, uid: 0, gid: 50 },
        { name: 'sg/root-owned', body: 'a', mode: 0o644, uid: 0, gid: 0 },
        { name: 'sg/group-owned', body: 'b', mode: 0o644, uid: 0, gid: 50 },
        { name: 'sg/other', body: 'c', mode: 0o640, uid: 3, gid: 50 },
        { name: 'sg/implied/deep', body: 'd', mode: 0o644, uid: 0, gid: 0 },
        { name: 'plain/', mode: 0o755, uid: 0, gid: 0 },
        { name: 'plain/f', body: 'e', mode: 0o600, uid: 0, gid: 0 },
        { name: 'plain/g', body: 'f', mode: 0o600, uid: 0, gid: 7 },
        // The same directory again, now without set-group-ID: files after it get the daemon's group.
        { name: 'sg/', mode: 0o775, uid: 0, gid: 50 },
        { name: 'sg/later', body: 'g', mode: 0o644, uid: 0, gid: 0 },
        { name: 'top', body: 'h', mode: 0o644, uid: 0, gid: 0 },
      ];
      await apply(root, entries, mode);
      const owner = (p: string) => { const st = fs.lstatSync(`${root}/${p}`); return [st.uid, st.gid, st.mode & 0o7777]; };
      assert.deepEqual(owner('sg/root-owned'), [0, 0, 0o644]);
      assert.deepEqual(owner('sg/group-owned'), [0, 50, 0o644]);
      assert.deepEqual(owner('sg/other'), [3, 50, 0o640]);
      assert.deepEqual(owner('sg/implied/deep'), [0, 0, 0o644], 'a parent the archive only implies inherits set-group-ID');
      assert.equal(fs.lstatSync(`${root}/sg/implied`).gid, 50);
      assert.deepEqual(owner('plain/f'), [0, 0, 0o600]);
      assert.deepEqual(owner('plain/g'), [0, 7, 0o600]);
      assert.deepEqual(owner('sg/later'), [0, 0, 0o644]);
      assert.deepEqual(owner('top'), [0, 0, 0o644]);
    });

    test('refuses names that climb out of the root', async (t) => {
      const { root, base } = setup(t);
      await rejectsInvalid(apply(root, [{ name: '../escaped', body: 'x' }], mode), /escapes the layer root/);
      await rejectsInvalid(apply(root, [{ name: 'a/../../escaped', body: 'x' }], mode), /escapes the layer root/);
      assert.equal(fs.existsSync(`${base}/escaped`), false);
      // Absolute names and harmless ".." stay inside.
      await apply(root, [{ name: '/abs/file', body: 'x' }, { name: 'a/../b', body: 'y' }], mode);
      assert.equal(fs.readFileSync(`${root}/abs/file`, 'utf8'), 'x');
      assert.equal(fs.readFileSync(`${root}/b`, 'utf8'), 'y');
    });

    test('never writes through a symlink the archive planted', async (t) => {
      const { root, outside } = setup(t);
      await rejectsInvalid(apply(root, [
        { name: 'evil', type: 'symlink', linkname: outside },
        { name: 'evil/secret', body: 'pwned' },
      ], mode), /refusing to write through "evil", which is a symlink/);
      await rejectsInvalid(apply(root, [
        { name: 'up', type: 'symlink', linkname: '..' },
        { name: 'up/outside/new', body: 'pwned' },
      ], mode), /which is a symlink/);
      await rejectsInvalid(apply(root, [
        { name: 'deep/er', type: 'symlink', linkname: '/' },
        { name: 'deep/er/tmp/x', type: 'dir' },
      ], mode), /which is a symlink/);
      assert.equal(fs.readFileSync(`${outside}/secret`, 'utf8'), 'original');
      assert.deepEqual(fs.readdirSync(outside), ['secret']);
    });

    test('a file entry replaces a planted symlink instead of following it', async (t) => {
      const { root, outside } = setup(t);
      await apply(root, [
        { name: 'f', type: 'symlink', linkname: `${outside}/secret` },
        { name: 'f', body: 'mine' },
      ], mode);
      assert.equal(fs.readFileSync(`${outside}/secret`, 'utf8'), 'original');
      assert.ok(fs.lstatSync(`${root}/f`).isFile());
      assert.equal(fs.readFileSync(`${root}/f`, 'utf8'), 'mine');
    });

    test('hardlinks only to files inside the root, reached without symlinks', async (t) => {
      const { root, outside } = setup(t);
      await rejectsInvalid(apply(root, [{ name: 'h', type: 'link', linkname: '../outside/secret' }], mode), /escapes the layer root/);
      await rejectsInvalid(apply(root, [{ name: 'h', type: 'link', linkname: `${outside}/secret` }], mode), /not in the layer/);
      await rejectsInvalid(apply(root, [
        { name: 'l', type: 'symlink', linkname: outside },
        { name: 'h', type: 'link', linkname: 'l/secret' },
      ], mode), /not reachable without following a link/);
      await rejectsInvalid(apply(root, [{ name: 'd/', type: 'dir' }, { name: 'h', type: 'link', linkname: 'd' }], mode), /points at directory/);
      assert.equal(fs.lstatSync(`${outside}/secret`).nlink, 1, 'no link to the outside file was made');
    });

    test('bounds bytes and entries, naming the limit', async (t) => {
      const { root } = setup(t);
      await rejectsInvalid(apply(root, [{ name: 'big', body: Buffer.alloc(64 * 1024) }], mode, { maxBytes: 16 * 1024 }), /limit of 16384 uncompressed bytes/);
      const many = Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, body: '' }));
      await rejectsInvalid(apply(root, many, mode, { maxFiles: 10 }), /limit of 10 entries \(maxFiles\)/);
    });

    test('whiteouts and opaque directories', async (t) => {
      const { root } = setup(t);
      if (mode === 'delete') {
        // A full tree: the lower layer's files are there to delete.
        await apply(root, [{ name: 'gone', body: 'x' }, { name: 'd/old', body: 'x' }, { name: 'd/sub/older', body: 'x' }, { name: 'keep', body: 'x' }], mode);
      }
      await apply(root, [
        { name: '.wh.gone' },
        { name: 'd/', type: 'dir' },
        { name: 'd/new', body: 'n' },
        { name: 'd/.wh..wh..opq' },
        { name: 'd/sub/fresh', body: 'f' },
        { name: '.wh..wh.plnk/123', body: 'aufs junk' },
        { name: 'e/', type: 'dir', xattrs: { 'trusted.overlay.opaque': 'y' } },
      ], mode);
      if (mode === 'overlay') {
        const wh = fs.lstatSync(`${root}/gone`);
        assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'whiteout is a 0/0 char device');
        assert.equal(lgetxattr(`${root}/d`, 'trusted.overlay.opaque')?.toString(), 'y');
        assert.equal(lgetxattr(`${root}/e`, 'trusted.overlay.opaque'), null, 'an archive cannot make a dir opaque by xattr');
      } else {
        assert.equal(fs.existsSync(`${root}/gone`), false);
        assert.deepEqual(fs.readdirSync(`${root}/d`).sort(), ['new', 'sub']);
        assert.deepEqual(fs.readdirSync(`${root}/d/sub`), ['fresh']);
        assert.ok(fs.existsSync(`${root}/keep`));
      }
      assert.equal(fs.existsSync(`${root}/.wh..wh.plnk`), false);
      assert.equal(fs.existsSync(`${root}/.wh.gone`), false);
    });
  });
}
