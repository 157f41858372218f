// berth system prune: docker's sequence of prunes (stopped containers,
// unused networks, with --volumes anonymous volumes, dangling images or
// with -a every unused image, build cache), its prompt and its report.

import type { CommandDef } from '../command.ts';
import { noArgs } from '../command.ts';
import { list, pruneFilterFlag } from './common.ts';
import { addFilter, filtersToJson, parseFilters } from '../options/filters.ts';
import { humanSize } from '../format/units.ts';
import { readAnswer } from '../prompt.ts';

function warning(all: boolean, volumes: boolean): string {
  const items = [
    'all stopped containers',
    'all networks not used by at least one container',
    ...(volumes ? ['all anonymous volumes not used by at least one container'] : []),
    all ? 'all images without at least one container associated to them' : 'all dangling images',
    all ? 'all build cache' : 'unused build cache',
  ];
  return `WARNING! This will remove:\n${items.map((i) => `  - ${i}\n`).join('')}\nAre you sure you want to continue? [y/N] `;
}

function section(title: string, lines: string[]): string {
  return lines.length ? `${title}:\n${lines.map((l) => `${l}\n`).join('')}\n` : '';
}

export const systemPrune: CommandDef = {
  name: 'system prune',
  usage: '[OPTIONS]',
  description: 'Remove unused data',
  args: noArgs,
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Remove all unused images not just dangling ones' },
    pruneFilterFlag,
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
    { name: 'volumes', type: 'bool', usage: 'Prune anonymous volumes' },
  ],
  async run(ctx, _args, flags) {
    const all = flags.values.all === true;
    const volumes = flags.values.volumes === true;
    const raw = list(flags.values.filter);
    const filters = () => parseFilters(raw);
    if (flags.values.force !== true) {
      ctx.io.stdout.write(warning(all, volumes));
      const answer = await readAnswer(ctx.io.stdin);
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const c = ctx.client;
    let out = '';
    let space = 0;
    const containers = await c.containers.prune(filtersToJson(filters()));
    out += section('Deleted Containers', containers.ContainersDeleted ?? []);
    space += containers.SpaceReclaimed;
    out += section('Deleted Networks', await c.networks.prune({ filters: filtersToJson(filters()) }));
    if (volumes) {
      const v = await c.volumes.prune({ filters: filtersToJson(filters()) });
      out += section('Deleted Volumes', v.VolumesDeleted ?? []);
      space += v.SpaceReclaimed;
    }
    const imageFilters = filters();
    addFilter(imageFilters, 'dangling', String(!all));
    const images = await c.images.prune(filtersToJson(imageFilters));
    out += section('Deleted Images', (images.ImagesDeleted ?? []).map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`)));
    space += images.SpaceReclaimed;
    const cache = await c.build.prune({ all });
    out += section('Deleted build cache objects', cache.CachesDeleted ?? []);
    space += cache.SpaceReclaimed;
    ctx.io.stdout.write(`${out}Total reclaimed space: ${humanSize(space, 4)}\n`);
  },
};
