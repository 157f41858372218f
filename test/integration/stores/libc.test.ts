// src/sys/libc.ts: errno mapping and the wrappers the stores rely on.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';
import {
  MNT_DETACH, MS_BIND, S_IFBLK, SysError, lgetxattr, lgetxattrs, llistxattr, lremovexattr, lsetxattr, makedev, mknod, mount, umount2,
} from '../../../src/sys/libc.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tempDir } from './tars.ts';

describe('libc wrappers', { skip: skipUnlessRoot() }, () => {
  test('failures carry the errno name, the syscall and the path', (t) => {
    const { dir, cleanup } = tempDir('berth-libc-');
    t.after(cleanup);
    assert.throws(() => mount(`${dir}/missing`, `${dir}/also-missing`, null, MS_BIND, null), (e) => {
      assert.ok(e instanceof SysError);
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.syscall, 'mount');
      assert.match(e.message, /also-missing: ENOENT \(no such file or directory\)/);
      return true;
    });
    assert.throws(() => umount2(dir, 0), (e) => e instanceof SysError && e.code === 'EINVAL' && e.message.includes(dir));
    fs.writeFileSync(`${dir}/f`, '');
    assert.throws(() => mknod(`${dir}/f`, S_IFBLK, 8, 0), (e) => e instanceof SysError && e.code === 'EEXIST');
  });

  test('bind mount and unmount; xattrs set, read, listed and removed; symlinks not followed', (t) => {
    const { dir, cleanup } = tempDir('berth-libc-');
    t.after(() => { try { umount2(`${dir}/b`, MNT_DETACH); } catch {} cleanup(); });
    fs.mkdirSync(`${dir}/a`);
    fs.mkdirSync(`${dir}/b`);
    fs.writeFileSync(`${dir}/a/x`, 'x');
    mount(`${dir}/a`, `${dir}/b`, null, MS_BIND, null);
    assert.equal(fs.readFileSync(`${dir}/b/x`, 'utf8'), 'x');
    umount2(`${dir}/b`);
    assert.deepEqual(fs.readdirSync(`${dir}/b`), []);

    const bin = Buffer.from([0, 255, 10, 0]);
    lsetxattr(`${dir}/a/x`, 'user.bin', bin);
    lsetxattr(`${dir}/a/x`, 'trusted.t', Buffer.from('y'));
    assert.ok(lgetxattr(`${dir}/a/x`, 'user.bin')?.equals(bin));
    assert.deepEqual(llistxattr(`${dir}/a/x`).sort(), ['trusted.t', 'user.bin']);
    assert.deepEqual([...lgetxattrs(`${dir}/a/x`).keys()].sort(), ['trusted.t', 'user.bin']);
    lremovexattr(`${dir}/a/x`, 'user.bin');
    assert.equal(lgetxattr(`${dir}/a/x`, 'user.bin'), null);
    fs.symlinkSync('x', `${dir}/a/link`);
    assert.deepEqual(llistxattr(`${dir}/a/link`), [], 'the link itself, not its target');

    mknod(`${dir}/dev`, S_IFBLK | 0o600, 259, 300);
    const st = fs.lstatSync(`${dir}/dev`);
    assert.ok(st.isBlockDevice());
    assert.equal(BigInt(st.rdev), makedev(259, 300));
  });
});
