// berth info: a client section and GET /info laid out as docker prints it.

import type { CommandDef } from '../command.ts';
import { noArgs } from '../command.ts';
import type { CommandContext } from '../command.ts';
import { INSPECT_FORMAT_HELP, str } from './common.ts';
import type { InfoResponse } from '../../client/index.ts';
import { ConnectionError } from '../../client/index.ts';
import { GO_FIELD_ALIASES, Template, TemplateExecError, TemplateParseError } from '../format/template.ts';
import { bytesSize } from '../format/units.ts';
import { StatusError } from '../errors.ts';
import { clientVersion } from './version.ts';

const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const strings = (v: unknown) => (Array.isArray(v) ? (v as unknown[]).map(String) : []);

/** "name=seccomp,profile=builtin" -> seccomp / Profile: builtin */
function securityOptions(opts: readonly string[]): string[] {
  const lines: string[] = [];
  for (const opt of opts) {
    const kv = Object.fromEntries(opt.split(',').map((p) => {
      const i = p.indexOf('=');
      return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
    }));
    if (kv.name === undefined) throw new Error(`invalid security option ${JSON.stringify(opt)}`);
    lines.push(`  ${kv.name}`);
    if (kv.profile !== undefined) lines.push(`   Profile: ${kv.profile}`);
  }
  return lines;
}

/** prettyPrintServerInfo, for the fields a berth (or docker) daemon reports. */
export function serverInfoLines(info: InfoResponse): string[] {
  const out: string[] = [];
  const line = (label: string, value: unknown) => out.push(`${label} ${s(value)}`);
  const nonEmpty = (label: string, value: unknown) => { if (s(value) !== '') line(label, value); };
  line(' Containers:', info.Containers ?? 0);
  line('  Running:', info.ContainersRunning ?? 0);
  line('  Paused:', info.ContainersPaused ?? 0);
  line('  Stopped:', info.ContainersStopped ?? 0);
  line(' Images:', info.Images ?? 0);
  nonEmpty(' Server Version:', info.ServerVersion);
  nonEmpty(' Storage Driver:', info.Driver);
  for (const [k, v] of info.DriverStatus ?? []) out.push(`  ${k}: ${v}`);
  for (const [k, v] of info.SystemStatus ?? []) out.push(` ${k}: ${v}`);
  nonEmpty(' Logging Driver:', info.LoggingDriver);
  nonEmpty(' Cgroup Driver:', info.CgroupDriver);
  nonEmpty(' Cgroup Version:', info.CgroupVersion);
  out.push(' Plugins:');
  line('  Volume:', strings(info.Plugins?.Volume).join(' '));
  line('  Network:', strings(info.Plugins?.Network).join(' '));
  if (strings(info.Plugins?.Authorization).length) line('  Authorization:', strings(info.Plugins?.Authorization).join(' '));
  line('  Log:', strings(info.Plugins?.Log).join(' '));
  line(' Swarm:', info.Swarm?.LocalNodeState ?? '');
  const runtimes = Object.keys(info.Runtimes ?? {});
  if (runtimes.length) {
    line(' Runtimes:', runtimes.join(' '));
    line(' Default Runtime:', info.DefaultRuntime);
  }
  if (info.OSType === 'linux') {
    line(' Init Binary:', info.InitBinary);
    line(' containerd version:', info.ContainerdCommit?.ID);
    line(' runc version:', info.RuncCommit?.ID);
    line(' init version:', info.InitCommit?.ID);
    const sec = strings(info.SecurityOptions);
    if (sec.length) out.push(' Security Options:', ...securityOptions(sec));
  }
  nonEmpty(' Kernel Version:', info.KernelVersion);
  nonEmpty(' Operating System:', info.OperatingSystem);
  nonEmpty(' OSType:', info.OSType);
  nonEmpty(' Architecture:', info.Architecture);
  line(' CPUs:', info.NCPU ?? 0);
  line(' Total Memory:', bytesSize(info.MemTotal ?? 0));
  nonEmpty(' Name:', info.Name);
  nonEmpty(' ID:', info.ID);
  line(' Docker Root Dir:', info.DockerRootDir ?? '');
  line(' Debug Mode:', info.Debug ?? false);
  nonEmpty(' HTTP Proxy:', info.HttpProxy);
  nonEmpty(' HTTPS Proxy:', info.HttpsProxy);
  nonEmpty(' No Proxy:', info.NoProxy);
  const labels = strings(info.Labels);
  if (labels.length) out.push(' Labels:', ...labels.map((l) => `  ${l}`));
  line(' Experimental:', info.ExperimentalBuild ?? false);
  line(' Live Restore Enabled:', info.LiveRestoreEnabled ?? false);
  out.push('');
  return out;
}

async function printPretty(ctx: CommandContext, debug: boolean): Promise<void> {
  const lines = ['Client:', ` Version:    ${clientVersion('').Version}`, ' Context:    default', ` Debug Mode: ${debug}`, '', 'Server:'];
  let info: InfoResponse;
  try {
    info = (await ctx.client.system.info()).value;
  } catch (err) {
    ctx.io.stdout.write(`${lines.join('\n')}\n`);
    if (err instanceof ConnectionError) throw err;
    ctx.err(`ERROR: ${(err as Error).message}`);
    throw new Error('errors pretty printing info');
  }
  let server: string[];
  try {
    server = serverInfoLines(info);
  } catch (err) {
    ctx.io.stdout.write(`${lines.join('\n')}\n`);
    ctx.err(`ERROR: ${(err as Error).message}`);
    throw new Error('errors pretty printing info');
  }
  ctx.io.stdout.write(`${[...lines, ...server].join('\n')}\n`);
  for (const w of strings(info.Warnings)) ctx.err(w);
}

export const info: CommandDef = {
  name: 'info',
  usage: '[OPTIONS]',
  description: 'Display system-wide information',
  args: noArgs,
  flags: [{ name: 'format', short: 'f', type: 'string', usage: INSPECT_FORMAT_HELP }],
  async run(ctx, _args, flags) {
    const format = str(flags.values.format);
    const debug = ctx.io.env.BERTH_DEBUG === '1';
    if (!format) return printPretty(ctx, debug);
    let tmpl: Template;
    try {
      tmpl = new Template(format === 'json' ? '{{json .}}' : format);
    } catch (err) {
      if (err instanceof TemplateParseError) throw new StatusError(64, `template parsing error: ${err.message}`);
      throw err;
    }
    const { value } = await ctx.client.system.info();
    const data = { ...value, ClientInfo: { Debug: debug, ...(clientVersion(await ctx.client.apiVersion()).toJSON as () => object)() } };
    try {
      ctx.out(tmpl.execute(data, { missingKey: 'error', aliases: GO_FIELD_ALIASES }));
    } catch (err) {
      if (err instanceof TemplateExecError) throw new Error(`template: ${err.message.replace(/^template: /, '')}`);
      throw err;
    }
  },
};
