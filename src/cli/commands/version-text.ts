// `berth version` without --format: docker's default version template
// (DEFAULT_TEMPLATE in version-template.ts) written out as code. Parsing and running
// that template is most of what `version` computes at start (the template
// engine's lexer and parser run cold in every process: ~5-10 ms of CPU;
// docs/benchmarks.md, CLI start time). Only for the data the template prints
// verbatim, all plain strings: anything else (a missing field, a number where
// a string belongs) returns undefined and the template engine prints it, so
// the two never differ (test/unit/cli/version-text.test.ts runs both).

import type { VersionResponse } from '../../client/index.ts';

/** The client fields `clientVersion` fills in. */
export interface ClientFacts {
  Platform: { Name?: unknown } | null;
  Version: unknown;
  APIVersion: unknown;
  DefaultAPIVersion: unknown;
  GitCommit: unknown;
  GoVersion: unknown;
  BuildTime: unknown;
  Os: unknown;
  Arch: unknown;
  Context: unknown;
}

const ENGINE_DETAILS = ['ApiVersion', 'MinAPIVersion', 'GoVersion', 'GitCommit', 'BuildTime', 'Os', 'Arch', 'Experimental'] as const;

class NotPlain extends Error {}

function s(value: unknown): string {
  if (typeof value !== 'string') throw new NotPlain();
  return value;
}

function details(d: unknown): Record<string, unknown> {
  if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new NotPlain();
  return d as Record<string, unknown>;
}

/** The default template's output (before the tab writer), or undefined where the template engine must print it. */
export function defaultVersionText(client: ClientFacts, server: VersionResponse | null): string | undefined {
  try {
    let out = 'Client:';
    if (client.Platform !== null) {
      if (typeof client.Platform !== 'object') return undefined;
      const name = s(client.Platform.Name);
      if (name !== '') out += ` ${name}`;
    }
    const api = s(client.APIVersion);
    const def = s(client.DefaultAPIVersion);
    out += `\n Version:\t${s(client.Version)}\n API version:\t${api}${api !== def ? ` (downgraded from ${def})` : ''}` +
      `\n Go version:\t${s(client.GoVersion)}\n Git commit:\t${s(client.GitCommit)}\n Built:\t${s(client.BuildTime)}` +
      `\n OS/Arch:\t${s(client.Os)}/${s(client.Arch)}\n Context:\t${s(client.Context)}`;
    if (server === null) return out;
    if (typeof server !== 'object' || server.Platform === null || typeof server.Platform !== 'object') return undefined;
    const name = s(server.Platform.Name);
    out += `\n\nServer:${name !== '' ? ` ${name}` : ''}`;
    if (!Array.isArray(server.Components)) return undefined;
    for (const c of server.Components as unknown[]) {
      if (c === null || typeof c !== 'object') return undefined;
      const { Name, Version, Details } = c as { Name?: unknown; Version?: unknown; Details?: unknown };
      const d = details(Details);
      out += `\n ${s(Name)}:`;
      if (Name === 'Engine') {
        const [apiVersion, min, go, commit, built, os, arch, experimental] = ENGINE_DETAILS.map((k) => s(d[k]));
        out += `\n  Version:\t${s(Version)}\n  API version:\t${apiVersion} (minimum version ${min})\n  Go version:\t${go}` +
          `\n  Git commit:\t${commit}\n  Built:\t${built}\n  OS/Arch:\t${os}/${arch}\n  Experimental:\t${experimental}`;
      } else {
        out += `\n  Version:\t${s(Version)}`;
        for (const key of Object.keys(d).sort()) out += `\n  ${key}:\t${s(d[key])}`;
      }
    }
    return out;
  } catch (err) {
    if (err instanceof NotPlain) return undefined;
    throw err;
  }
}
