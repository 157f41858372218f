// berth network create|ls|rm|prune|connect|disconnect, and berth port:
// docker's commands, flags and output (network inspect is in inspect.ts).

import type { CommandDef } from '../command.ts';
import { exactArgs, minArgs, noArgs, rangeArgs } from '../command.ts';
import { filterFlag, formatFlag, list, pruneFilterFlag, str } from './common.ts';
import { filtersToJson, parseFilters } from '../options/filters.ts';
import { joinErrors } from '../errors.ts';
import { DEFAULT_QUIET_FORMAT, JSON_FORMAT, TABLE, renderFormat } from '../format/formatter.ts';
import { GO_TYPE, type TypedObject } from '../format/gofmt.ts';
import type { EndpointConfigBody, NetworkResource } from '../../client/types.ts';
import { readAnswer } from '../prompt.ts';

const NETWORK_HEADER: Record<string, string> = {
  ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL',
  Labels: 'LABELS', CreatedAt: 'CREATED AT',
};

function keyValues(m: Record<string, string> | null | undefined): string {
  return Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}

/** docker's networkContext. */
function networkContext(n: NetworkResource, trunc: boolean): TypedObject {
  const labels = n.Labels ?? {};
  const created = new Date(n.Created);
  return {
    [GO_TYPE]: 'formatter.networkContext',
    ID: trunc ? n.Id.slice(0, 12) : n.Id, Name: n.Name, Driver: n.Driver, Scope: n.Scope,
    IPv4: 'true', IPv6: String(n.EnableIPv6), Internal: String(n.Internal), Labels: keyValues(labels),
    CreatedAt: Number.isNaN(created.getTime()) ? n.Created : created.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
    Label: (name: string) => labels[name] ?? '',
  };
}

function kv(values: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of values) {
    const i = o.indexOf('=');
    if (i < 0 && what !== 'label') throw new Error(`invalid key value pair format in ${what}: ${o}`);
    out[i < 0 ? o : o.slice(0, i)] = i < 0 ? '' : o.slice(i + 1);
  }
  return out;
}

export const networkCreate: CommandDef = {
  name: 'network create',
  usage: '[OPTIONS] NETWORK',
  description: 'Create a network',
  args: exactArgs(1),
  flags: [
    { name: 'driver', short: 'd', type: 'string', default: 'bridge', usage: 'Driver to manage the Network' },
    { name: 'opt', short: 'o', type: 'list', usage: 'Set driver specific options' },
    { name: 'label', type: 'list', usage: 'Set metadata on a network' },
    { name: 'internal', type: 'bool', usage: 'Restrict external access to the network' },
    { name: 'attachable', type: 'bool', usage: 'Enable manual container attachment' },
    { name: 'ipv6', type: 'bool', usage: 'Enable or disable IPv6 networking' },
    { name: 'subnet', type: 'list', usage: 'Subnet in CIDR format that represents a network segment' },
    { name: 'gateway', type: 'list', usage: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'ip-range', type: 'list', usage: 'Allocate container ip from a sub-range' },
    { name: 'aux-address', type: 'list', usage: 'Auxiliary IPv4 or IPv6 addresses used by Network driver' },
    { name: 'ipam-driver', type: 'string', default: 'default', usage: 'IP Address Management Driver' },
    { name: 'ipam-opt', type: 'list', usage: 'Set IPAM driver specific options' },
  ],
  async run(ctx, args, flags) {
    const subnets = list(flags.values.subnet);
    const gateways = list(flags.values.gateway);
    const ranges = list(flags.values['ip-range']);
    if (gateways.length > subnets.length) throw new Error('every ip-range or gateway must have a corresponding subnet');
    if (ranges.length > subnets.length) throw new Error('every ip-range or gateway must have a corresponding subnet');
    const aux = kv(list(flags.values['aux-address']), 'aux-address');
    const config = subnets.map((s, i) => ({
      Subnet: s,
      ...(gateways[i] ? { Gateway: gateways[i] } : {}),
      ...(ranges[i] ? { IPRange: ranges[i] } : {}),
      ...(i === 0 && Object.keys(aux).length ? { AuxiliaryAddresses: aux } : {}),
    }));
    const r = await ctx.client.networks.create({
      Name: args[0]!, Driver: str(flags.values.driver) || 'bridge', Options: kv(list(flags.values.opt), 'opt'),
      Labels: kv(list(flags.values.label), 'label'), Internal: flags.values.internal === true,
      Attachable: flags.values.attachable === true, EnableIPv6: flags.values.ipv6 === true,
      IPAM: { Driver: str(flags.values['ipam-driver']) || 'default', Config: config, Options: kv(list(flags.values['ipam-opt']), 'ipam-opt') },
    });
    ctx.out(r.Id);
  },
};

export const networkLs: CommandDef = {
  name: 'network ls',
  usage: '[OPTIONS]',
  description: 'List networks',
  args: noArgs,
  flags: [
    filterFlag,
    formatFlag,
    { name: 'no-trunc', type: 'bool', usage: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display network IDs' },
  ],
  async run(ctx, _args, flags) {
    const nets = await ctx.client.networks.list({ filters: filtersToJson(parseFilters(list(flags.values.filter))) });
    nets.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    const quiet = flags.values.quiet === true;
    let format = str(flags.values.format) || TABLE;
    if (format === TABLE) format = quiet ? DEFAULT_QUIET_FORMAT : 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
    else if (format === JSON_FORMAT) format = '{{json .}}';
    const trunc = flags.values['no-trunc'] !== true;
    ctx.io.stdout.write(renderFormat(format, nets.map((n) => networkContext(n, trunc)), NETWORK_HEADER));
  },
};

export const networkRm: CommandDef = {
  name: 'network rm',
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  description: 'Remove one or more networks',
  args: minArgs(1),
  flags: [{ name: 'force', short: 'f', type: 'bool', usage: 'Do not error if the network does not exist' }],
  async run(ctx, args, flags) {
    const errors: unknown[] = [];
    for (const name of args) {
      try {
        await ctx.client.networks.remove(name);
        ctx.out(name);
      } catch (err) {
        if (flags.values.force === true && /not found/.test(String((err as Error).message))) continue;
        errors.push(err);
      }
    }
    const err = joinErrors(errors);
    if (err) throw err;
  },
};

export const networkPrune: CommandDef = {
  name: 'network prune',
  usage: '[OPTIONS]',
  description: 'Remove all unused networks',
  args: noArgs,
  flags: [pruneFilterFlag, { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' }],
  async run(ctx, _args, flags) {
    if (flags.values.force !== true) {
      ctx.io.stdout.write('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
      if (!/^y(es)?$/i.test((await readAnswer(ctx.io.stdin)).trim())) return;
    }
    const gone = await ctx.client.networks.prune({ filters: filtersToJson(parseFilters(list(flags.values.filter))) });
    if (gone.length) ctx.io.stdout.write(`Deleted Networks:\n${gone.join('\n')}\n\n`);
  },
};

function endpointFlags(v: Record<string, unknown>): EndpointConfigBody {
  const ep: EndpointConfigBody = {};
  if (list(v.alias).length) ep.Aliases = list(v.alias);
  if (list(v.link).length) ep.Links = list(v.link);
  if (str(v.ip) || str(v.ip6)) ep.IPAMConfig = { ...(str(v.ip) ? { IPv4Address: str(v.ip) } : {}), ...(str(v.ip6) ? { IPv6Address: str(v.ip6) } : {}) };
  if (str(v['mac-address'])) ep.MacAddress = str(v['mac-address']);
  return ep;
}

export const networkConnect: CommandDef = {
  name: 'network connect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Connect a container to a network',
  args: exactArgs(2),
  flags: [
    { name: 'alias', type: 'list', usage: 'Add network-scoped alias for the container' },
    { name: 'ip', type: 'string', usage: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', type: 'string', usage: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: 'link', type: 'list', usage: 'Add link to another container' },
    { name: 'mac-address', type: 'string', usage: 'MAC address of the container on this network' },
  ],
  async run(ctx, args, flags) {
    await ctx.client.networks.connect(args[0]!, args[1]!, endpointFlags(flags.values));
  },
};

export const networkDisconnect: CommandDef = {
  name: 'network disconnect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Disconnect a container from a network',
  args: exactArgs(2),
  flags: [{ name: 'force', short: 'f', type: 'bool', usage: 'Force the container to disconnect from a network' }],
  async run(ctx, args, flags) {
    await ctx.client.networks.disconnect(args[0]!, args[1]!, flags.values.force === true);
  },
};

export const port: CommandDef = {
  name: 'port',
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  args: rangeArgs(1, 2),
  flags: [],
  async run(ctx, args) {
    const { value } = await ctx.client.containers.inspect(args[0]!, {});
    const ports = ((value as { NetworkSettings?: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> } }).NetworkSettings?.Ports) ?? {};
    const hostPort = (b: { HostIp: string; HostPort: string }) => `${b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp}:${b.HostPort}`;
    if (args[1]) {
      const [p, proto = 'tcp'] = args[1].split('/');
      const key = `${p}/${proto}`;
      const bindings = ports[key];
      if (!bindings?.length) throw new Error(`Error: No public port '${key}' published for ${args[0]}`);
      for (const b of bindings) ctx.out(hostPort(b));
      return;
    }
    const keys = Object.keys(ports).sort((a, b) => Number(a.split('/')[0]) - Number(b.split('/')[0]) || a.localeCompare(b));
    for (const k of keys) for (const b of ports[k] ?? []) ctx.out(`${k} -> ${hostPort(b)}`);
  },
};
