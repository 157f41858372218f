// A network namespace owned by a container's user namespace (--userns-remap).
//
// A network namespace belongs to the user namespace of the process that made
// it. berthd (host root) would make it in the host's, and then, inside the
// container's user namespace, nothing may join it (`docker exec` and
// healthchecks: runc enters the user namespace first, then the others) or
// mount a sysfs for it. So for a remapped container the user namespace is
// made first, with the daemon's mappings, and the network namespace inside
// it; both are pinned by bind mounts, the runtime joins both by path, and
// berthd (root in an ancestor namespace: every capability there) plumbs
// veths and addresses into it as into any other.
//
//   unshare --user --net sh   prints a line once both exist, then waits
//   berthd                    writes its uid_map/gid_map, binds
//                             /proc/<pid>/ns/{user,net} on the pin files,
//                             closes its stdin (the shell exits)
//
// A container that shares another remapped container's namespaces
// (--network/--ipc/--pid container:) joins that one's user namespace
// instead: its network namespace is then made inside it (nsenter --user).

import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { ociMappings, type IdRange, type UsernsSource } from '../core/idmap.ts';
import { MS_BIND, mount } from '../sys/libc.ts';

const UNSHARE = '/usr/bin/unshare';
const NSENTER = '/usr/bin/nsenter';
const WAIT = 'echo ready; read _';
const TIMEOUT_MS = 10_000;

const mapText = (ranges: readonly IdRange[]) => ociMappings(ranges).map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n') + '\n';

/** Makes both namespaces and pins them at userPin and netPin (files that must not exist yet). */
export async function pinUsernsAndNet(src: UsernsSource, userPin: string, netPin: string): Promise<void> {
  const argv = 'maps' in src
    ? [UNSHARE, '--user', '--net', '--', '/bin/sh', '-c', WAIT]
    : [NSENTER, `--user=${src.join}`, '--', UNSHARE, '--net', '--', '/bin/sh', '-c', WAIT];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${argv[0]} did not make the namespaces within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      child.stdout.once('data', () => { clearTimeout(timer); resolve(); });
      child.once('error', (err) => { clearTimeout(timer); reject(err); });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${argv.slice(0, 4).join(' ')}: exit ${code}: ${stderr.trim()}`)); });
    });
    const pid = child.pid!;
    if ('maps' in src) {
      writeFileSync(`/proc/${pid}/uid_map`, mapText(src.maps.uids));
      writeFileSync(`/proc/${pid}/gid_map`, mapText(src.maps.gids));
    }
    pin(`/proc/${pid}/ns/user`, userPin);
    pin(`/proc/${pid}/ns/net`, netPin);
  } finally {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }
}

function pin(nsFile: string, at: string): void {
  writeFileSync(at, '', { mode: 0o400, flag: 'wx' });
  try {
    mount(nsFile, at, null, MS_BIND, null);
  } catch (err) {
    rmSync(at, { force: true });
    throw err;
  }
}
