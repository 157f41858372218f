// tarDirectory: what an export keeps, and what it must never follow.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { describe, test } from 'node:test';
import { tarDirectory } from '../../../src/images/export.ts';
import { TarReader } from '../../../src/stores/tar/reader.ts';
import type { TarHeader } from '../../../src/stores/tar/format.ts';
import { S_IFCHR, lsetxattr, mknod } from '../../../src/sys/libc.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tempDir } from '../stores/tars.ts';

async function entries(dir: string): Promise<Map<string, TarHeader & { body: string }>> {
  const r = new TarReader(tarDirectory(dir));
  const out = new Map<string, TarHeader & { body: string }>();
  for (let h = await r.next(); h; h = await r.next()) {
    const parts: Buffer[] = [];
    for await (const c of r.body()) parts.push(c);
    out.set(h.name, { ...h, body: Buffer.concat(parts).toString() });
  }
  return out;
}

describe('tarDirectory', { skip: skipUnlessRoot() }, () => {
  test('keeps owners, modes, times, devices, hardlinks and xattrs but trusted.*; skips sockets', async (t) => {
    const { dir, cleanup } = tempDir('berth-export-');
    t.after(cleanup);
    const root = `${dir}/root`;
    fs.mkdirSync(`${root}/d/sub`, { recursive: true });
    fs.writeFileSync(`${root}/d/file`, 'content');
    fs.chownSync(`${root}/d/file`, 1234, 5678);
    fs.chmodSync(`${root}/d/file`, 0o4711);
    fs.utimesSync(`${root}/d/file`, 1_000_000_000, 1_000_000_000);
    fs.linkSync(`${root}/d/file`, `${root}/d/sub/hard`);
    lsetxattr(`${root}/d/file`, 'user.kept', Buffer.from([0, 1, 2]));
    lsetxattr(`${root}/d/file`, 'trusted.overlay.origin', Buffer.from('host'));
    mknod(`${root}/d/null`, S_IFCHR | 0o666, 1, 3);
    const sock = net.createServer().listen(`${root}/d/sock`);
    t.after(() => { sock.close(); });
    await new Promise((r) => sock.once('listening', r));
    const got = await entries(root);
    assert.deepEqual([...got.keys()], ['d', 'd/file', 'd/null', 'd/sub', 'd/sub/hard']);
    const f = got.get('d/file')!;
    assert.deepEqual([f.type, f.uid, f.gid, f.mode, f.mtime, f.body], ['file', 1234, 5678, 0o4711, 1_000_000_000, 'content']);
    assert.deepEqual([...f.xattrs.keys()], ['user.kept']);
    assert.ok(f.xattrs.get('user.kept')!.equals(Buffer.from([0, 1, 2])));
    assert.deepEqual([got.get('d/sub/hard')!.type, got.get('d/sub/hard')!.linkname], ['link', 'd/file']);
    assert.deepEqual([got.get('d/null')!.type, got.get('d/null')!.devmajor, got.get('d/null')!.devminor], ['char', 1, 3]);
  });

  test('symlinks are archived, never followed out of the root', async (t) => {
    const { dir, cleanup } = tempDir('berth-export-');
    t.after(cleanup);
    const root = `${dir}/root`;
    fs.mkdirSync(root);
    fs.mkdirSync(`${dir}/host`);
    fs.writeFileSync(`${dir}/host/secret`, 'host data');
    fs.symlinkSync(`${dir}/host`, `${root}/to-host-dir`);
    fs.symlinkSync(`${dir}/host/secret`, `${root}/to-host-file`);
    fs.symlinkSync('../host', `${root}/relative-out`);
    const got = await entries(root);
    assert.deepEqual([...got.keys()].sort(), ['relative-out', 'to-host-dir', 'to-host-file']);
    for (const e of got.values()) assert.equal(e.type, 'symlink');
    assert.ok(![...got.values()].some((e) => e.body.includes('host data')));
  });
});
