// The API's pure helpers: versions, routing, filters, time formats,
// stream framing, detach keys and the create decoder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, negotiate, splitVersion } from '../../../src/api/version.ts';
import { Router, type Route } from '../../../src/api/router.ts';
import { parseFilters, fuzzyMatch, labelsMatch } from '../../../src/api/filters.ts';
import { fixedNanoTimestamp, humanDuration, parseTimestamp, statusText } from '../../../src/api/time.ts';
import { frame } from '../../../src/api/stdcopy.ts';
import { EscapeScanner, parseDetachKeys } from '../../../src/api/detach.ts';
import { commandText } from '../../../src/api/shapes/containers.ts';
import { decodeCreateRequest } from '../../../src/api/shapes/create.ts';
import { httpError } from '../../../src/api/errors.ts';
import { BerthError } from '../../../src/core/errors.ts';
import type { ContainerState } from '../../../src/core/container.ts';

test('versions compare numerically, part by part', () => {
  assert.equal(compareVersions('1.9', '1.10'), -1);
  assert.equal(compareVersions('1.41', '1.41.0'), 0);
  assert.equal(compareVersions('2', '1.99'), 1);
  assert.deepEqual(splitVersion('/v1.41/containers/json'), { version: '1.41', path: '/containers/json' });
  assert.deepEqual(splitVersion('/containers/json'), { version: undefined, path: '/containers/json' });
  assert.equal(negotiate('1.24'), '1.24');
  assert.throws(() => negotiate('1'), /client version 1 is too old/);
});

test('the router serves greedy names and keeps static routes first', async () => {
  const hit = (name: string) => async () => { throw new Error(name); };
  const routes: Route[] = [
    { method: 'GET', path: '/images/json', handler: hit('list') },
    { method: 'GET', path: '/images/{name*}/json', handler: hit('inspect') },
    { method: 'GET', path: '/images/{name*}/history', handler: hit('history') },
    { method: 'DELETE', path: '/images/{name*}', handler: hit('remove') },
    { method: 'GET', path: '/containers/{id}/json', handler: hit('cinspect') },
  ];
  const r = new Router(routes);
  const which = async (m: string, p: string) => {
    const found = r.match(m, p);
    if (!found) return null;
    const route = found.route as unknown as { handler: () => Promise<void> };
    const name = await route.handler().catch((e: Error) => e.message);
    return { name, params: found.params };
  };
  assert.deepEqual(await which('GET', '/images/json'), { name: 'list', params: {} });
  assert.deepEqual(await which('GET', '/images/localhost:5000/a/b:t/json'), { name: 'inspect', params: { name: 'localhost:5000/a/b:t' } });
  assert.deepEqual(await which('GET', '/images/a/history'), { name: 'history', params: { name: 'a' } });
  assert.deepEqual(await which('DELETE', '/images/reg:5000/x/y@sha256:abc'), { name: 'remove', params: { name: 'reg:5000/x/y@sha256:abc' } });
  assert.deepEqual(await which('GET', '/containers/abc/json/'), { name: 'cinspect', params: { id: 'abc' } });
  assert.equal(await which('GET', '/images/x'), null);
  assert.equal(await which('POST', '/images/x/json'), null);
});

test('filters accept both JSON forms and match like docker', () => {
  assert.deepEqual([...parseFilters('{"status":["running","exited"]}')], [['status', ['running', 'exited']]]);
  assert.deepEqual([...parseFilters('{"status":{"running":true,"paused":false}}')], [['status', ['running']]]);
  assert.equal(parseFilters('').size, 0);
  assert.throws(() => parseFilters('[1]'), /invalid filter/);
  assert.throws(() => parseFilters('{"a":3}'), /invalid filter 'a'/);
  const f = parseFilters('{"container":["ab"],"label":["k","x=y"]}');
  assert.equal(fuzzyMatch(f, 'container', 'abcdef'), true);
  assert.equal(fuzzyMatch(f, 'container', 'xabc'), false);
  assert.equal(labelsMatch(f, { k: '', x: 'y' }), true);
  assert.equal(labelsMatch(f, { k: '1', x: 'z' }), false);
});

test('human durations are go-units\'', () => {
  const s = 1000;
  const h = 3600 * s;
  const cases: Array<[number, string]> = [
    [500, 'Less than a second'], [1 * s, '1 second'], [59 * s, '59 seconds'], [60 * s, 'About a minute'],
    [119 * s, 'About a minute'], [120 * s, '2 minutes'], [59 * 60 * s, '59 minutes'], [60 * 60 * s, 'About an hour'],
    [89 * 60 * s, 'About an hour'], [91 * 60 * s, '2 hours'], [47 * h, '47 hours'], [48 * h, '2 days'],
    [14 * 24 * h, '2 weeks'], [60 * 24 * h, '2 months'], [800 * 24 * h, '2 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('status text follows dockerd\'s State.String()', () => {
  const now = Date.parse('2024-01-01T01:00:00Z');
  const base: ContainerState = { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: '0001-01-01T00:00:00Z', finishedAt: '0001-01-01T00:00:00Z' };
  assert.equal(statusText(base, now), 'Created');
  assert.equal(statusText({ ...base, status: 'running', startedAt: '2024-01-01T00:59:58Z' }, now), 'Up 2 seconds');
  assert.equal(statusText({ ...base, status: 'paused', startedAt: '2024-01-01T00:00:00Z' }, now), 'Up About an hour (Paused)');
  assert.equal(statusText({ ...base, status: 'exited', exitCode: 137, startedAt: '2024-01-01T00:00:00Z', finishedAt: '2024-01-01T00:57:00Z' }, now), 'Exited (137) 3 minutes ago');
  assert.equal(statusText({ ...base, status: 'exited', exitCode: 1 }, now), 'Created');
  assert.equal(statusText({ ...base, status: 'dead' }, now), 'Dead');
  assert.equal(statusText({ ...base, status: 'removing' }, now), 'Removal In Progress');
  assert.equal(statusText({ ...base, status: 'restarting', exitCode: 2, finishedAt: '2024-01-01T00:59:59Z' }, now), 'Restarting (2) 1 second ago');
});

test('timestamps: since/until parsing and the logs format', () => {
  const t = parseTimestamp('since', '1700000000.5')!;
  assert.equal(t.nanos, 1_700_000_000_500_000_000n);
  assert.equal(t.date.toISOString(), '2023-11-14T22:13:20.500Z');
  assert.equal(parseTimestamp('since', '1700000000.123456789123')!.nanos, 1_700_000_000_123_456_789n);
  assert.equal(parseTimestamp('since', '2023-11-14T22:13:20Z')!.seconds, 1700000000);
  assert.equal(parseTimestamp('since', null), undefined);
  assert.throws(() => parseTimestamp('until', '10m'), /invalid value for "until"/);
  assert.equal(fixedNanoTimestamp('2024-05-01T10:00:00.5Z', new Date(0)), '2024-05-01T10:00:00.500000000Z');
  assert.equal(fixedNanoTimestamp('2024-05-01T00:30:00.123456789-01:00', new Date(0)), '2024-05-01T01:30:00.123456789Z');
  assert.equal(fixedNanoTimestamp('garbage', new Date('2024-05-01T10:00:00.250Z')), '2024-05-01T10:00:00.250000000Z');
});

test('stream frames carry the stream and a big-endian size', () => {
  assert.deepEqual([...frame(2, Buffer.from('hi'))], [2, 0, 0, 0, 0, 0, 0, 2, 104, 105]);
  assert.deepEqual([...frame(1, Buffer.alloc(0))], [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(frame(1, Buffer.alloc(70000)).readUInt32BE(4), 70000);
});

test('detach keys parse like moby/term and are found across chunks', () => {
  assert.deepEqual([...parseDetachKeys(null)], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-a,x,ctrl-\\,ctrl-@')], [1, 120, 28, 0]);
  assert.throws(() => parseDetachKeys('ctrl-aa'), /Invalid detach keys \(ctrl-aa\) provided/);
  const s = new EscapeScanner(Buffer.from([16, 17]));
  assert.deepEqual(s.push(Buffer.from('ab\x10')), { forward: Buffer.from('ab'), detach: false });
  assert.deepEqual(s.push(Buffer.from('\x10')), { forward: Buffer.from('\x10'), detach: false });
  assert.deepEqual(s.push(Buffer.from('\x11rest')), { forward: Buffer.alloc(0), detach: true });
});

test('docker ps COMMAND quotes arguments with spaces', () => {
  assert.equal(commandText('sh', []), 'sh');
  assert.equal(commandText('sh', ['-c', 'echo out; exit 3']), "sh -c 'echo out; exit 3'");
});

test('the create decoder maps docker fields and refuses what berth lacks', () => {
  const req = decodeCreateRequest({
    Image: 'alpine', Entrypoint: [''], Cmd: null, Env: ['A=1'], Tty: true, OpenStdin: true, StdinOnce: true,
    StopSignal: 'SIGINT', StopTimeout: 3, ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} }, WorkingDir: '/w', User: '1:1',
    HostConfig: {
      Binds: ['/a:/b:ro'], Privileged: true, ReadonlyRootfs: true, CapAdd: ['NET_ADMIN'], CapDrop: ['ALL'], Dns: ['1.1.1.1'],
      DnsSearch: ['x'], DnsOptions: ['ndots:1'], ExtraHosts: ['h:1.2.3.4'], ShmSize: 1024, Memory: 1 << 24, NanoCpus: 5e8,
      CpuShares: 512, PidsLimit: 50, Init: true, SecurityOpt: ['no-new-privileges'], Runtime: 'crun',
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 }, NetworkMode: 'host',
    },
  }, null, '1.44');
  assert.deepEqual(req.config, {
    image: 'alpine', entrypoint: [''], cmd: null, env: ['A=1'], tty: true, openStdin: true, stdinOnce: true,
    stopSignal: 'SIGINT', stopTimeout: 3, exposedPorts: { '80/tcp': {} }, volumes: { '/data': {} }, workingDir: '/w', user: '1:1',
  });
  assert.deepEqual(req.hostConfig, {
    binds: ['/a:/b:ro'], privileged: true, readonlyRootfs: true, capAdd: ['NET_ADMIN'], capDrop: ['ALL'], dns: ['1.1.1.1'],
    dnsSearch: ['x'], dnsOptions: ['ndots:1'], extraHosts: ['h:1.2.3.4'], shmSize: 1024, memory: 1 << 24, nanoCpus: 5e8,
    cpuShares: 512, pidsLimit: 50, init: true, securityOpt: ['no-new-privileges'], runtime: 'crun',
    restartPolicy: { name: 'on-failure', maximumRetryCount: 2 }, networkMode: 'host',
  });
  assert.equal(req.name, undefined);
  // Healthcheck: Docker's names into the engine's, zero values dropped (they mean "the image's" or "the default").
  assert.deepEqual(decodeCreateRequest({ Image: 'a', Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Timeout: 0, Retries: 2, StartPeriod: 5, StartInterval: 7 } }, null, '1.44').config.healthcheck,
    { test: ['CMD', 'true'], interval: 1e9, retries: 2, startPeriod: 5, startInterval: 7 });
  assert.deepEqual(decodeCreateRequest({ Image: 'a', Healthcheck: { Test: ['NONE'] } }, null, '1.44').config.healthcheck, { test: ['NONE'] });
  assert.equal(decodeCreateRequest({ Image: 'a', Healthcheck: null }, null, '1.44').config.healthcheck, undefined);
  assert.throws(() => decodeCreateRequest({ Image: 'a', Healthcheck: { Test: 'true' } }, null, '1.44'), /Healthcheck/);
  assert.throws(() => decodeCreateRequest({ Image: 'a', HostConfig: { DeviceRequests: [{ Driver: 'nvidia', Count: -1 }] } }, null, '1.44'), /HostConfig\.DeviceRequests/);
  // Resource and namespace options map into hostConfig.resources; docker's "not set" values are dropped.
  const res = decodeCreateRequest({
    Image: 'a',
    HostConfig: {
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }], Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 20 }],
      MemorySwappiness: -1, MemorySwap: 0, OomScoreAdj: 7, IpcMode: 'shareable', CpusetCpus: '', Sysctls: { 'net.ipv4.ip_forward': '1' },
    },
  }, null, '1.44');
  assert.deepEqual(res.hostConfig?.resources, {
    devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', cgroupPermissions: 'rwm' }],
    ulimits: [{ name: 'nofile', soft: 10, hard: 20 }], oomScoreAdj: 7, ipcMode: 'shareable', sysctls: { 'net.ipv4.ip_forward': '1' },
  });
  // The driver is checked by the engine (against the daemon's default); the decoder only carries it.
  assert.deepEqual(decodeCreateRequest({ Image: 'a', HostConfig: { LogConfig: { Type: 'syslog', Config: { tag: 'x' } } } }, null, '1.44').hostConfig?.logConfig,
    { type: 'syslog', config: { tag: 'x' } });
  assert.throws(() => decodeCreateRequest({ Image: 'a', Labels: { a: 1 } }, null, '1.44'), /invalid JSON: json: cannot unmarshal number into Go struct field ContainerConfigWrapper\.Labels of type string$/);
});

test('errors map to HTTP status in one place', () => {
  const cases: Array<[BerthError['code'], number]> = [
    ['not_found', 404], ['conflict', 409], ['invalid_argument', 400], ['not_modified', 304],
    ['forbidden', 403], ['unavailable', 503], ['internal', 500],
  ];
  for (const [code, status] of cases) assert.equal(httpError(new BerthError(code, 'm')).status, status);
  assert.deepEqual(httpError(new TypeError('boom')), { status: 500, message: 'boom' });
});
