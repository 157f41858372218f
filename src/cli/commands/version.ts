// berth version: docker's version template over the client's facts and
// GET /version. The default output is written by code (version-text.ts);
// the template engine (version-template.ts) is imported only for --format or
// for data the default text cannot print as docker's template would.

import type { CommandDef } from '../command.ts';
import { PROGRAM, VERSION, noArgs } from '../command.ts';
import type { CommandContext } from '../command.ts';
import { INSPECT_FORMAT_HELP, str } from './common.ts';
import { CLIENT_API_VERSION } from '../../client/client.ts';
import type { VersionResponse } from '../../client/index.ts';
import { GO_TYPE } from '../format/gofmt.ts';
import type { TypedObject } from '../format/gofmt.ts';
import { TabWriter } from '../format/tabwriter.ts';
import { ansic } from '../format/display.ts';
import { defaultVersionText, type ClientFacts } from './version-text.ts';

export const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** The client half of `version` (and of `info`): berth's own facts. */
export function clientVersion(apiVersion: string): TypedObject {
  const fields = {
    Platform: null,
    Version: VERSION,
    APIVersion: apiVersion,
    DefaultAPIVersion: CLIENT_API_VERSION,
    GitCommit: process.env.BERTH_GIT_COMMIT || 'unknown',
    GoVersion: process.version,
    Os: process.platform,
    Arch: GO_ARCH[process.arch] ?? process.arch,
    BuildTime: process.env.BERTH_BUILD_TIME || 'unknown',
    Context: 'default',
  };
  return {
    [GO_TYPE]: 'main.clientVersion',
    ...fields,
    // encoding/json names (and omitempty) differ from the Go field names.
    toJSON: () => ({
      ...(fields.Platform ? { Platform: fields.Platform } : {}),
      Version: fields.Version, ApiVersion: fields.APIVersion, DefaultAPIVersion: fields.DefaultAPIVersion,
      GitCommit: fields.GitCommit, GoVersion: fields.GoVersion, Os: fields.Os, Arch: fields.Arch,
      ...(fields.BuildTime ? { BuildTime: fields.BuildTime } : {}), Context: fields.Context,
    }),
  };
}

/** docker fills in an Engine component for daemons that send none, and reformats its build time. */
export function normalizeServer(sv: VersionResponse): VersionResponse {
  const components = [...(sv.Components ?? [])].map((c) => ({ ...c, Details: { ...c.Details } }));
  let found = false;
  for (const c of components) {
    if (c.Name === 'Engine') {
      found = true;
      if (c.Details.BuildTime !== undefined) c.Details.BuildTime = ansic(c.Details.BuildTime);
    }
  }
  if (!found) {
    components.push({
      Name: 'Engine', Version: sv.Version,
      Details: {
        ApiVersion: sv.ApiVersion, MinAPIVersion: sv.MinAPIVersion ?? '', GitCommit: sv.GitCommit ?? '',
        GoVersion: sv.GoVersion ?? '', Os: sv.Os ?? '', Arch: sv.Arch ?? '', BuildTime: ansic(sv.BuildTime ?? ''),
        Experimental: String(sv.Experimental ?? false),
      },
    });
  }
  return { ...sv, Platform: sv.Platform ?? { Name: '' }, Components: components };
}

async function negotiated(ctx: CommandContext): Promise<string> {
  try {
    return await ctx.client.apiVersion();
  } catch {
    return CLIENT_API_VERSION;
  }
}

export const version: CommandDef = {
  name: 'version',
  usage: '[OPTIONS]',
  description: `Show the ${PROGRAM} version information`,
  args: noArgs,
  flags: [{ name: 'format', short: 'f', type: 'string', usage: INSPECT_FORMAT_HELP }],
  async run(ctx, _args, flags) {
    const format = str(flags.values.format);
    // A format of the user's is parsed before any request, so that its errors need no daemon.
    const engine = format ? await import('./version-template.ts') : undefined;
    const tmpl = engine?.parseTemplate(format === 'json' ? '{{json .}}' : format);
    let serverError: unknown;
    let server: VersionResponse | null = null;
    try {
      server = normalizeServer(await ctx.client.system.version());
    } catch (err) {
      serverError = err;
    }
    const client = clientVersion(await negotiated(ctx));
    const data: TypedObject = { [GO_TYPE]: 'main.versionInfo', Client: client, Server: server };
    const tw = new TabWriter({ minwidth: 20, tabwidth: 1, padding: 1 });
    let execError: unknown;
    const text = format ? undefined : defaultVersionText(client as unknown as ClientFacts, server);
    if (text !== undefined) {
      tw.write(text);
    } else {
      const { DEFAULT_TEMPLATE, parseTemplate, runTemplate } = engine ?? await import('./version-template.ts');
      const out = runTemplate(tmpl ?? parseTemplate(DEFAULT_TEMPLATE), data);
      tw.write(out.text);
      execError = out.error;
    }
    tw.write('\n');
    ctx.io.stdout.write(tw.flush());
    if (serverError) throw serverError;
    if (execError) throw execError;
  },
};
