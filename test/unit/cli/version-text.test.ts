// `berth version` prints docker's default template from code (version-text.ts)
// where the data are plain strings; it must print exactly what the template
// engine prints for the same data, and leave every other case to the engine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientVersion, normalizeServer } from '../../../src/cli/commands/version.ts';
import { DEFAULT_TEMPLATE, parseTemplate } from '../../../src/cli/commands/version-template.ts';
import { defaultVersionText, type ClientFacts } from '../../../src/cli/commands/version-text.ts';
import { GO_TYPE } from '../../../src/cli/format/gofmt.ts';
import { GO_FIELD_ALIASES } from '../../../src/cli/format/template.ts';
import type { VersionResponse } from '../../../src/client/index.ts';

const engine = (d: Record<string, unknown> = {}) => ({
  Name: 'Engine', Version: '0.1.0',
  Details: { ApiVersion: '1.56', Arch: 'amd64', BuildTime: '2026-12-06T03:20:12.000000000+00:00', Experimental: 'false', GitCommit: 'abc', GoVersion: 'node24', KernelVersion: '6.1', MinAPIVersion: '1.24', Os: 'linux', ...d },
});
const base: VersionResponse = { Platform: { Name: 'berth' }, Components: [engine()], Version: '0.1.0', ApiVersion: '1.56' };

function viaTemplate(client: ReturnType<typeof clientVersion>, server: VersionResponse | null): string {
  return parseTemplate(DEFAULT_TEMPLATE).execute({ [GO_TYPE]: 'main.versionInfo', Client: client, Server: server }, { aliases: GO_FIELD_ALIASES });
}

test('the default version text is the default template’s output', () => {
  const servers: [string, VersionResponse | null][] = [
    ['berthd', base],
    ['no server', null],
    ['no platform name', { ...base, Platform: { Name: '' } }],
    ['no Engine component (docker fills one in)', { ...base, Components: [], MinAPIVersion: '1.24', GitCommit: 'g', GoVersion: 'go1.22', Os: 'linux', Arch: 'arm64', BuildTime: '2024-05-30T12:07:14.000000000+00:00', Experimental: true }],
    ['dockerd with containerd, runc, docker-init', {
      ...base, Platform: { Name: 'Docker Engine - Community' },
      Components: [engine(), { Name: 'containerd', Version: '1.7.0', Details: { GitCommit: 'c1' } },
        { Name: 'runc', Version: '1.1.12', Details: { Zeta: 'z', GitCommit: 'r1', alpha: 'a' } }, { Name: 'docker-init', Version: '0.19.0', Details: {} }],
    }],
    ['odd characters', { ...base, Platform: { Name: 'a\tb <x> & "q"' }, Components: [engine({ GitCommit: '{{.Version}}', Os: 'lin\nux' })] }],
  ];
  let fast = 0;
  for (const api of ['1.56', '1.47']) {
    for (const [what, sv] of servers) {
      const client = clientVersion(api);
      const server = sv && normalizeServer(sv);
      const text = defaultVersionText(client as unknown as ClientFacts, server);
      assert.notEqual(text, undefined, `${what}: plain strings take the fast path`);
      assert.equal(text, viaTemplate(client, server), `${what}, client at ${api}`);
      fast++;
    }
  }
  assert.equal(fast, 12);
});

test('data the template engine prints its own way are left to it', () => {
  const client = clientVersion('1.56');
  const odd: [string, VersionResponse][] = [
    ['a missing Engine detail', { ...base, Components: [{ Name: 'Engine', Version: '1', Details: { ApiVersion: '1.56' } }] }],
    ['a number in Details', { ...base, Components: [engine({ Experimental: 1 })] }],
    ['a component with no version', { ...base, Components: [{ Name: 'runc', Details: {} } as never] }],
  ];
  for (const [what, sv] of odd) {
    const server = normalizeServer(sv);
    assert.equal(defaultVersionText(client as unknown as ClientFacts, server), undefined, what);
    assert.doesNotThrow(() => viaTemplate(client, server), what);
  }
  const platform = { ...(client as object), Platform: { Name: 7 } } as unknown as ClientFacts;
  assert.equal(defaultVersionText(platform, null), undefined, 'a client platform name that is not a string');
});
