// The busybox image for the reference dockerd. There is no registry here, so
// it is imported from a tar of the host's static busybox, laid out like the
// official image: /bin/busybox with every applet beside it, root and nobody
// in /etc/passwd (nogroup 65534 in /etc/group), /tmp 1777, Env PATH,
// CMD ["sh"].
// berthd seeds an equivalent busybox:latest itself on first start.

import { chmodSync, copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './run.ts';

const BUSYBOX = '/bin/busybox';
// The official image's only Env entry.
const IMAGE_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'bin:x:2:2:bin:/bin:/bin/false',
  'sys:x:3:3:sys:/dev:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false',
  'nobody:x:65534:65534:nobody:/home:/bin/false',
  '',
].join('\n');

const GROUP = [
  'root:x:0:', 'daemon:x:1:', 'bin:x:2:', 'sys:x:3:', 'tty:x:5:', 'wheel:x:10:root',
  'www-data:x:33:', 'users:x:100:', 'nogroup:x:65534:', '',
].join('\n');

/** Builds `<dir>/busybox.tar` (a root filesystem, uncompressed) and returns its path. */
export async function buildBusyboxTar(dir: string): Promise<string> {
  const stage = join(dir, 'busybox-rootfs');
  rmSync(stage, { recursive: true, force: true });
  for (const d of ['bin', 'etc', 'root', 'home', 'var/www', 'usr/sbin', 'tmp']) mkdirSync(join(stage, d), { recursive: true });
  copyFileSync(BUSYBOX, join(stage, 'bin/busybox'));
  chmodSync(join(stage, 'bin/busybox'), 0o755);
  const list = await runOk(BUSYBOX, ['--list']);
  for (const applet of list.stdout.split('\n')) {
    if (!applet || applet === 'busybox' || applet.includes('/')) continue;
    symlinkSync('busybox', join(stage, 'bin', applet));
  }
  writeFileSync(join(stage, 'etc/passwd'), PASSWD);
  writeFileSync(join(stage, 'etc/group'), GROUP);
  chmodSync(join(stage, 'tmp'), 0o1777);
  chmodSync(join(stage, 'root'), 0o700);
  const tar = join(dir, 'busybox.tar');
  await runOk('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', stage, '-cf', tar, '.']);
  rmSync(stage, { recursive: true, force: true });
  return tar;
}

/** Imports the busybox tar as busybox:latest into the daemon behind `env` (docker CLI). */
export async function importBusybox(dir: string, env: NodeJS.ProcessEnv, docker = '/usr/local/bin/docker'): Promise<void> {
  const tar = await buildBusyboxTar(dir);
  try {
    await runOk(docker, ['import', '-c', `ENV ${IMAGE_PATH}`, '-c', 'CMD ["sh"]', tar, 'busybox:latest'], { env, timeout: 120_000 });
  } finally {
    rmSync(tar, { force: true });
  }
}
