// Every `berth` command, in the order `berth --help` lists them.

import type { CommandDef } from '../command.ts';
import { run } from './run.ts';
import { create } from './create.ts';
import { start } from './start.ts';
import { kill, restart, rm, stop, wait } from './lifecycle.ts';
import { ps } from './ps.ts';
import { logs } from './logs.ts';
import { inspect } from './inspect.ts';
import { exportCmd } from './export.ts';
import { images } from './images.ts';
import { importCmd, rmi, tag } from './images-manage.ts';
import { history } from './history.ts';
import { version } from './version.ts';
import { info } from './info.ts';

export function commands(): CommandDef[] {
  return [
    run, create, start, stop, kill, restart, rm, wait, ps, logs, inspect, exportCmd,
    images, rmi, tag, importCmd, history, version, info,
  ];
}
