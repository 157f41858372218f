// conmon's command line for one container (its "create" mode, API version 0).

import path from 'node:path';
import type { ConmonLayout } from './conmon-layout.ts';

export interface ConmonArgsInput {
  id: string;
  runtime: string;
  /** The runtime's binary (runc, crun...). */
  binary: string;
  /** Global options before every runtime command (a configured runtime's runtimeArgs). */
  runtimeArgs?: string[];
  bundle: string;
  logPath: string;
  /** False: conmon keeps no log (Docker's none driver). */
  keepLog: boolean;
  openStdin: boolean;
  /** Docker's StdinOnce=false keeps stdin open across attach sessions. */
  stdinOnce?: boolean;
  tty: boolean;
}

export function conmonCreateArgs(layout: ConmonLayout, o: ConmonArgsInput): string[] {
  const cdir = layout.ctrDir(o.id);
  const args = [
    '--api-version', '0',
    '-c', o.id, '-u', o.id, '-n', o.id,
    '-r', o.binary,
    '-b', o.bundle,
    ...(o.runtimeArgs ?? []).flatMap((a) => ['--runtime-arg', a]),
    '-p', path.join(cdir, 'pid'),
    '-P', path.join(cdir, 'conmon.pid'),
    '-l', o.keepLog ? `k8s-file:${o.logPath}` : 'none',
    '--exit-dir', layout.exitDir(),
    '--socket-dir-path', layout.socketDir(),
    '--runtime-arg', `--root=${layout.runcRoot(o.runtime)}`,
    '--runtime-arg', '--log-format=json',
    // runc's log to a file, never to the stderr pipe conmon reads too late (conmon-launch.ts).
    '--runtime-arg', `--log=${path.join(cdir, 'runtime.log')}`,
    // Docker's json-file does not fsync either; fsync costs the exit path milliseconds.
    '--no-sync-log',
  ];
  if (o.openStdin) args.push('-i');
  if (o.openStdin && o.stdinOnce === false) args.push('--leave-stdin-open');
  if (o.tty) args.push('-t');
  return args;
}
