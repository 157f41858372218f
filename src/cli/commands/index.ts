// Every `berth` command, in the order `berth --help` lists them.

import type { CommandDef } from '../command.ts';
import { ps } from './ps.ts';
import { images } from './images.ts';
import { history } from './history.ts';
import { inspect } from './inspect.ts';
import { version } from './version.ts';
import { info } from './info.ts';

export function commands(): CommandDef[] {
  return [ps, images, inspect, history, version, info];
}
