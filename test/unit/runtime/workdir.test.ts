// Working directories through /proc's descriptor links (CVE-2024-21626):
// refused given directly or reached through the image's symlinks, followed
// inside the root only; ordinary paths, /proc itself and links that stay
// in the container pass.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { isCode } from '../../../src/core/errors.ts';
import { checkWorkingDir, isMagicProcPath, resolveInRoot } from '../../../src/runtime/workdir.ts';

test('descriptor, cwd and root links of any process are magic; /proc itself is not', () => {
  for (const p of ['/proc/self/fd/7', '/proc/self/fd', '/proc/thread-self/fd/8/..', '/proc/1/cwd', '/proc/self/task/1/root/etc',
    '/proc/self/../self/fd/9', '//proc//self/fd/7/', '/proc/42/map_files/x', '/proc/self/exe']) assert.ok(isMagicProcPath(p), p);
  for (const p of ['/', '/proc', '/proc/sys/net', '/proc/self/status', '/app/proc/self/fd/7', '/tmp']) assert.ok(!isMagicProcPath(p), p);
});

test('symlinks are followed inside the root, absolute ones from the root, never on the host', (t) => {
  const root = fs.mkdtempSync(`${tmpdir()}/workdir-`);
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(`${root}/real/sub`, { recursive: true });
  fs.symlinkSync('/proc/self/fd/7', `${root}/app`);
  fs.symlinkSync('../proc/self/fd/8', `${root}/rel`);
  fs.symlinkSync('/proc/self', `${root}/me`);
  fs.symlinkSync('/real', `${root}/ok`);
  fs.symlinkSync('/etc', `${root}/hostetc`);  // /etc does not exist in this root
  fs.symlinkSync('loop', `${root}/loop`);
  assert.equal(resolveInRoot(root, '/app'), '/proc/self/fd/7');
  assert.equal(resolveInRoot(root, '/ok/sub'), '/real/sub');
  assert.equal(resolveInRoot(root, '/hostetc/ssl'), '/etc/ssl');
  assert.equal(resolveInRoot(root, '/me/fd/3'), '/proc/self/fd/3');
  for (const p of ['/app', '/rel', '/me/fd/3', '/app/x/y', '/proc/self/fd/7']) {
    assert.throws(() => checkWorkingDir(p, root), (e) => isCode(e, 'invalid_argument') && /CVE-2024-21626/.test((e as Error).message), p);
  }
  assert.throws(() => checkWorkingDir('/loop', root), /too many levels of symbolic links/);
  for (const p of ['/', '/ok/sub', '/real', '/new/dir', '/proc', '/hostetc']) checkWorkingDir(p, root);
  assert.throws(() => checkWorkingDir('/proc/self/fd/7'), /it leads to a \/proc file descriptor link, outside/);
});
