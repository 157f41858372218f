// berth volume create|ls|inspect|rm|prune: docker's volume commands, flags
// and output.

import type { CommandDef } from '../command.ts';
import { maxArgs, minArgs, noArgs } from '../command.ts';
import { filterFlag, formatFlag, list, pruneFilterFlag, str } from './common.ts';
import { addFilter, filtersToJson, parseFilters } from '../options/filters.ts';
import { joinErrors } from '../errors.ts';
import { DEFAULT_QUIET_FORMAT, JSON_FORMAT, TABLE, renderFormat } from '../format/formatter.ts';
import { GO_TYPE, type TypedObject } from '../format/gofmt.ts';
import { humanSize } from '../format/units.ts';
import type { Volume } from '../../client/types.ts';
import { readAnswer } from '../prompt.ts';

const VOLUME_HEADER: Record<string, string> = {
  Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS',
  Size: 'SIZE', Group: 'GROUP', Availability: 'AVAILABILITY', Status: 'STATUS',
};

function keyValues(m: Record<string, string> | null | undefined): string {
  return Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}

/** docker's volumeContext. */
export function volumeContext(v: Volume): TypedObject {
  const labels = v.Labels ?? {};
  return {
    [GO_TYPE]: 'formatter.volumeContext',
    Name: v.Name, Driver: v.Driver, Scope: v.Scope, Mountpoint: v.Mountpoint, Labels: keyValues(labels),
    Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
    Size: v.UsageData ? (v.UsageData.Size < 0 ? 'N/A' : humanSize(v.UsageData.Size, 4)) : 'N/A',
    Group: 'N/A', Availability: 'N/A', Status: 'N/A',
    Label: (name: string) => labels[name] ?? '',
  };
}

const JSON_VOLUME = '{{json .}}';

function parseOpts(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of values) {
    const i = o.indexOf('=');
    if (i < 0) throw new Error(`invalid argument "${o}" for "-o, --opt" flag: invalid key value pair format in driver options`);
    out[o.slice(0, i)] = o.slice(i + 1);
  }
  return out;
}

export const volumeCreate: CommandDef = {
  name: 'volume create',
  usage: '[OPTIONS] [VOLUME]',
  description: 'Create a volume',
  args: maxArgs(1),
  flags: [
    { name: 'driver', short: 'd', type: 'string', default: 'local', usage: 'Specify volume driver name' },
    { name: 'label', type: 'list', usage: 'Set metadata for a volume' },
    { name: 'name', type: 'string', usage: 'Specify volume name', hidden: true },
    { name: 'opt', short: 'o', type: 'list', usage: 'Set driver specific options' },
  ],
  async run(ctx, args, flags) {
    let name = str(flags.values.name);
    if (args[0] !== undefined) {
      if (name !== '') throw new Error('conflicting options: cannot specify a volume-name through both --name and as a positional arg');
      name = args[0];
    }
    const labels: Record<string, string> = {};
    for (const l of list(flags.values.label)) {
      const i = l.indexOf('=');
      labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
    }
    const v = await ctx.client.volumes.create({
      Name: name, Driver: str(flags.values.driver) || 'local', DriverOpts: parseOpts(list(flags.values.opt)), Labels: labels,
    });
    ctx.out(v.Name);
  },
};

export const volumeLs: CommandDef = {
  name: 'volume ls',
  usage: '[OPTIONS]',
  description: 'List volumes',
  args: noArgs,
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display volume names' },
    formatFlag,
    filterFlag,
    { name: 'cluster', type: 'bool', usage: 'Display only cluster volumes, and use cluster volume list formatting', hidden: true },
  ],
  async run(ctx, _args, flags) {
    const filters = parseFilters(list(flags.values.filter));
    const { Volumes } = await ctx.client.volumes.list({ filters: filtersToJson(filters) });
    const vols = [...(Volumes ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    const quiet = flags.values.quiet === true;
    let format = str(flags.values.format) || TABLE;
    if (format === TABLE) format = quiet ? DEFAULT_QUIET_FORMAT.replace('ID', 'Name') : 'table {{.Driver}}\t{{.Name}}';
    else if (format === JSON_FORMAT) format = JSON_VOLUME;
    ctx.io.stdout.write(renderFormat(format, vols.map(volumeContext), VOLUME_HEADER));
  },
};

export const volumeRm: CommandDef = {
  name: 'volume rm',
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Remove one or more volumes',
  args: minArgs(1),
  flags: [{ name: 'force', short: 'f', type: 'bool', usage: 'Force the removal of one or more volumes' }],
  async run(ctx, args, flags) {
    const errors: unknown[] = [];
    for (const name of args) {
      try {
        await ctx.client.volumes.remove(name, { force: flags.values.force === true });
        ctx.out(name);
      } catch (err) {
        errors.push(err);
      }
    }
    const err = joinErrors(errors);
    if (err) throw err;
  },
};

export const volumePrune: CommandDef = {
  name: 'volume prune',
  usage: '[OPTIONS]',
  description: 'Remove unused local volumes',
  args: noArgs,
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Remove all unused volumes, not just anonymous ones' },
    pruneFilterFlag,
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  async run(ctx, _args, flags) {
    const filters = parseFilters(list(flags.values.filter));
    const all = flags.values.all === true;
    if (all) {
      if (filters.has('all')) throw new Error('conflicting options: cannot specify both --all and --filter all=1');
      addFilter(filters, 'all', 'true');
    }
    if (flags.values.force !== true) {
      const what = all || filters.has('all') ? 'all local volumes' : 'anonymous local volumes';
      ctx.io.stdout.write(`WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue? [y/N] `);
      const answer = await readAnswer(ctx.io.stdin);
      // docker prints nothing more and exits 0 when the answer is not yes.
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const r = await ctx.client.volumes.prune({ filters: filtersToJson(filters) });
    let out = '';
    if (r.VolumesDeleted?.length) out += `Deleted Volumes:\n${r.VolumesDeleted.join('\n')}\n\n`;
    out += `Total reclaimed space: ${humanSize(r.SpaceReclaimed, 4)}\n`;
    ctx.io.stdout.write(out);
  },
};
