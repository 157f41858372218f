// The embedded default image: busybox:latest built from the host's static
// busybox, so a fresh machine with no registry runs containers at once.
// One layer like the official image: /bin/busybox with a link per applet
// in /bin (as the official image has them) and at the path
// `busybox --list-full` gives (so /usr/bin/env works too), the official
// image's /etc/passwd and /etc/group, and the usual directories. The links
// are relative symlinks rather than hardlinks so that /bin/busybox stays
// the one regular file (an export lists it as such, as dockerd's does for
// a busybox imported from a host). Every time
// stamp is the binary's mtime, so the same busybox always gives the same
// image ID.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { unavailable } from '../core/errors.ts';
import { emptyHeader, type TarHeader } from '../stores/tar/format.ts';
import type { TarEntry } from '../stores/tar/writer.ts';

export const DEFAULT_BUSYBOX = '/bin/busybox';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;

const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`;

const SHADOW = PASSWD.split('\n').filter(Boolean).map((l) => `${l.split(':')[0]}:*::0:::::`).join('\n') + '\n';

const DIRS: Array<[string, number]> = [
  ['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['proc', 0o755], ['root', 0o700],
  ['sbin', 0o755], ['sys', 0o755], ['tmp', 0o1777], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755],
  ['var', 0o755], ['var/spool', 0o755], ['var/spool/mail', 0o755], ['var/www', 0o755],
];

export const SEED_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SeedLayer {
  entries: TarEntry[];
  /** The binary's mtime, used as the image's creation time. */
  created: Date;
}

/** The layer's entries, in archive order. */
export async function busyboxLayer(busybox = DEFAULT_BUSYBOX): Promise<SeedLayer> {
  let st: fs.Stats;
  try {
    st = fs.statSync(busybox);
  } catch {
    throw unavailable(`cannot seed busybox:latest: ${busybox} not found (install busybox-static)`);
  }
  const { stdout } = await promisify(execFile)(busybox, ['--list-full']);
  const listed = stdout.split('\n').map((l) => l.trim().replace(/^\/+/, '')).filter((p) => p && !p.includes('..'));
  // Every applet in /bin as in the official image, and at its own path too so /usr/bin/env works.
  const applets = [...new Set([...listed, ...listed.map((p) => `bin/${p.split('/').pop()}`)])]
    .filter((p) => p !== 'bin/busybox')
    .sort();
  const mtime = Math.floor(st.mtimeMs / 1000);
  const at = (h: TarHeader): TarHeader => ({ ...h, mtime });
  const entries: TarEntry[] = [];
  const dirs = new Set(DIRS.map(([d]) => d));
  for (const [d, mode] of DIRS) entries.push({ header: at({ ...emptyHeader(d, 'dir'), mode }) });
  // Applets may live in directories the list above does not have.
  for (const a of applets) {
    const parts = a.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) { dirs.add(d); entries.push({ header: at(emptyHeader(d, 'dir')) }); }
    }
  }
  const body = fs.readFileSync(busybox);
  entries.push({ header: at({ ...emptyHeader('bin/busybox', 'file'), mode: 0o755, size: body.length }), body });
  for (const a of applets) {
    const up = '../'.repeat(a.split('/').length - 1);
    const linkname = a.startsWith('bin/') ? 'busybox' : `${up}bin/busybox`;
    entries.push({ header: at({ ...emptyHeader(a, 'symlink'), mode: 0o777, linkname }) });
  }
  for (const [name, text, mode] of [['etc/passwd', PASSWD, 0o644], ['etc/group', GROUP, 0o644], ['etc/shadow', SHADOW, 0o640]] as const) {
    const b = Buffer.from(text);
    entries.push({ header: at({ ...emptyHeader(name, 'file'), mode, size: b.length }), body: b });
  }
  return { entries, created: new Date(mtime * 1000) };
}
