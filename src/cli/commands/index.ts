// Every `berth` command, in the order `berth --help` lists them, and the
// management groups (`berth image ls`, `berth container rm`...) that reuse
// them under docker's second names.

import type { CommandDef } from '../command.ts';
import { run } from './run.ts';
import { create } from './create.ts';
import { start } from './start.ts';
import { kill, restart, rm, stop, wait } from './lifecycle.ts';
import { ps } from './ps.ts';
import { logs } from './logs.ts';
import { containerInspect, imageInspect, inspect } from './inspect.ts';
import { exportCmd } from './export.ts';
import { images } from './images.ts';
import { importCmd, rmi, tag } from './images-manage.ts';
import { history } from './history.ts';
import { version } from './version.ts';
import { info } from './info.ts';
import { commit, diff } from './commit.ts';

export interface CommandGroup {
  name: string;
  description: string;
  commands: CommandDef[];
}

export function commands(): CommandDef[] {
  return [
    run, create, start, stop, kill, restart, rm, wait, ps, logs, inspect, exportCmd,
    images, rmi, tag, importCmd, history, version, info, commit, diff,
  ];
}

function as(def: CommandDef, name: string, aliases: string[] = []): CommandDef {
  return { ...def, name, aliases };
}

export function groups(): CommandGroup[] {
  return [
    {
      name: 'container',
      description: 'Manage containers',
      commands: [
        as(commit, 'container commit'), as(create, 'container create'), as(diff, 'container diff'), as(exportCmd, 'container export'), containerInspect, as(kill, 'container kill'),
        as(logs, 'container logs'), as(ps, 'container ls', ['list', 'ps']), as(restart, 'container restart'),
        as(rm, 'container rm', ['remove']), as(run, 'container run'), as(start, 'container start'),
        as(stop, 'container stop'), as(wait, 'container wait'),
      ],
    },
    {
      name: 'image',
      description: 'Manage images',
      commands: [
        as(history, 'image history'), as(importCmd, 'image import'), imageInspect, as(images, 'image ls', ['list']),
        as(rmi, 'image rm', ['remove']), as(tag, 'image tag'),
      ],
    },
    {
      name: 'system',
      description: 'Manage berth',
      commands: [as(info, 'system info')],
    },
  ];
}
