// berth inspect: the daemon's JSON for containers, images (and networks,
// volumes), tried in that order unless --type says which. Without --format
// the raw documents are printed as an indented JSON array, as docker does.

import type { CommandDef } from '../command.ts';
import { minArgs } from '../command.ts';
import { INSPECT_FORMAT_HELP, str } from './common.ts';
import type { CommandContext } from '../command.ts';
import type { ParsedFlags } from '../flags.ts';
import { ApiError } from '../../client/index.ts';
import { StatusError } from '../errors.ts';
import { compactJson, indentJson } from '../format/jsonindent.ts';
import { NIL_MAP, NIL_SLICE } from '../format/gofmt.ts';
import { GO_FIELD_ALIASES, Template, TemplateExecError, TemplateParseError } from '../format/template.ts';

const TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];
const SUPPORTED = ['container', 'image', 'network', 'volume'];

type Getter = (ctx: CommandContext, ref: string, size: boolean) => Promise<{ raw: Buffer }>;

const GETTERS: Record<string, Getter> = {
  container: (ctx, ref, size) => ctx.client.containers.inspect(ref, { size }),
  image: (ctx, ref) => ctx.client.images.inspect(ref),
  network: (ctx, ref) => ctx.client.system.networkInspect(ref),
  volume: (ctx, ref) => ctx.client.system.volumeInspect(ref),
};

function skippable(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  return err.statusCode === 404 || err.statusCode === 501 || err.message.includes('not supported') ||
    err.message.includes('invalid reference format');
}

/** Raw JSON of the first object kind that knows `ref`. */
async function find(ctx: CommandContext, ref: string, type: string, size: boolean): Promise<Buffer> {
  if (type) {
    if (!SUPPORTED.includes(type)) throw new Error(`Error: No such ${type}: ${ref}`);
    const { raw } = await GETTERS[type](ctx, ref, size);
    return raw;
  }
  for (const kind of SUPPORTED) {
    try {
      const { raw } = await GETTERS[kind](ctx, ref, size);
      if (size && kind !== 'container') ctx.err(`WARNING: --size ignored for ${kind}`);
      return raw;
    } catch (err) {
      if (skippable(err)) continue;
      throw err;
    }
  }
  throw new Error(`Error: No such object: ${ref}`);
}

// docker runs -f templates on its typed structs, where a null slice prints
// "[]" and a null map "map[]"; these are the inspect fields of those types.
const SLICE_KEYS = new Set([
  'Args', 'Aliases', 'Binds', 'BlkioDeviceReadBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteBps', 'BlkioDeviceWriteIOps',
  'BlkioWeightDevice', 'CapAdd', 'CapDrop', 'Cmd', 'DNSNames', 'DeviceCgroupRules', 'DeviceRequests', 'Devices', 'Dns',
  'DnsOptions', 'DnsSearch', 'Entrypoint', 'Env', 'ExtraHosts', 'GroupAdd', 'Layers', 'Links', 'MaskedPaths', 'Mounts',
  'OnBuild', 'ReadonlyPaths', 'RepoDigests', 'RepoTags', 'SecurityOpt', 'Shell', 'Ulimits', 'VolumesFrom',
]);
const MAP_KEYS = new Set([
  'Annotations', 'Data', 'DriverOpts', 'ExposedPorts', 'Labels', 'Networks', 'Options', 'PortBindings', 'Ports',
  'StorageOpt', 'Sysctls', 'Tmpfs', 'Volumes',
]);

export function withTypedNils(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withTypedNils);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null && SLICE_KEYS.has(k)) out[k] = NIL_SLICE;
    else if (v === null && MAP_KEYS.has(k)) out[k] = NIL_MAP;
    else out[k] = withTypedNils(v);
  }
  return out;
}

/** What `inspect -f` prints for one raw document (docker's TemplateInspector, raw fallback). */
export function renderInspectTemplate(tmpl: Template, raw: Buffer): string {
  try {
    return tmpl.execute(withTypedNils(JSON.parse(raw.toString('utf8'))), { missingKey: 'error', aliases: GO_FIELD_ALIASES });
  } catch (err) {
    if (err instanceof TemplateExecError) throw new Error(`template parsing error: ${err.message}`);
    if (err instanceof SyntaxError) throw new Error(`unable to read inspect data: ${err.message}`);
    throw err;
  }
}

export const inspect: CommandDef = {
  name: 'inspect',
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on berth objects',
  args: minArgs(1),
  flags: [
    { name: 'format', short: 'f', type: 'string', usage: INSPECT_FORMAT_HELP },
    { name: 'type', type: 'string', usage: 'Only inspect objects of the given type' },
    { name: 'size', short: 's', type: 'bool', usage: 'Display total file sizes if the type is container' },
  ],
  run: (ctx, args, flags) => runInspect(ctx, args, flags, str(flags.values.type)),
};

/** `berth container inspect`: containers only. */
export const containerInspect: CommandDef = {
  name: 'container inspect',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Display detailed information on one or more containers',
  args: minArgs(1),
  flags: [
    { name: 'format', short: 'f', type: 'string', usage: INSPECT_FORMAT_HELP },
    { name: 'size', short: 's', type: 'bool', usage: 'Display total file sizes' },
  ],
  run: (ctx, args, flags) => runInspect(ctx, args, flags, 'container'),
};

/** `berth image inspect`: images only. */
export const imageInspect: CommandDef = {
  name: 'image inspect',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Display detailed information on one or more images',
  args: minArgs(1),
  flags: [{ name: 'format', short: 'f', type: 'string', usage: INSPECT_FORMAT_HELP }],
  run: (ctx, args, flags) => runInspect(ctx, args, flags, 'image'),
};

/** `berth network inspect`: networks only. */
export const networkInspect: CommandDef = {
  name: 'network inspect',
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  description: 'Display detailed information on one or more networks',
  args: minArgs(1),
  flags: [{ name: 'format', short: 'f', type: 'string', usage: INSPECT_FORMAT_HELP }],
  run: (ctx, args, flags) => runInspect(ctx, args, flags, 'network'),
};

/** `berth volume inspect`: volumes only. */
export const volumeInspect: CommandDef = {
  name: 'volume inspect',
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  args: minArgs(1),
  flags: [{ name: 'format', short: 'f', type: 'string', usage: INSPECT_FORMAT_HELP }],
  run: (ctx, args, flags) => runInspect(ctx, args, flags, 'volume'),
};

async function runInspect(ctx: CommandContext, args: string[], flags: ParsedFlags, type: string): Promise<void> {
  if (flags.changed.has('type') && type === '') throw new Error(`type is empty: must be one of "${TYPES.join('", "')}"`);
  if (type && !TYPES.includes(type)) throw new Error(`unknown type: ${JSON.stringify(type)}: must be one of "${TYPES.join('", "')}"`);
  const format = str(flags.values.format);
  let tmpl: Template | undefined;
  if (format && format !== 'json') {
    try {
      tmpl = new Template(format);
    } catch (err) {
      if (err instanceof TemplateParseError) throw new StatusError(64, `template parsing error: ${err.message}`);
      throw err;
    }
  }
  const size = flags.values.size === true;
  const raws: Buffer[] = [];
  const errors: string[] = [];
  let out = '';
  for (const ref of args) {
    try {
      const raw = await find(ctx, ref, type, size);
      if (tmpl) out += `${renderInspectTemplate(tmpl, raw)}\n`;
      else raws.push(raw);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (tmpl) {
    ctx.io.stdout.write(out || '\n');
  } else if (raws.length === 0) {
    ctx.io.stdout.write('[]\n');
  } else {
    const joined = `[${raws.map((r) => r.toString('utf8')).join(',')}]`;
    ctx.io.stdout.write(`${format === 'json' ? compactJson(joined) : indentJson(joined)}\n`);
  }
  if (errors.length) throw new StatusError(1, errors.join('\n'));
}
