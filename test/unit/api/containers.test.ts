import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeView } from './fakes.ts';
import { startApi, type Api } from './harness.ts';

const RUN = 'a'.repeat(64);
const NEW = 'b'.repeat(64);

async function withContainers(t: Parameters<typeof startApi>[0]): Promise<Api> {
  const api = await startApi(t);
  const run = api.containers.add(makeView({ id: RUN, name: 'web' }));
  run.state = { ...run.state, status: 'running', pid: 99, startedAt: new Date(Date.now() - 3000).toISOString() };
  api.containers.add(makeView({ id: NEW, name: 'fresh' }));
  return api;
}

// The docker CLI's create body for `docker create --name x busybox echo hi`, abridged.
const cliBody = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false,
  OpenStdin: false, StdinOnce: false, Env: null, Cmd: ['echo', 'hi'], Image: 'busybox', Volumes: {}, WorkingDir: '',
  Entrypoint: null, OnBuild: null, Labels: { a: 'b' },
  HostConfig: {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'none', PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: true, VolumeDriver: '', VolumesFrom: null,
    ConsoleSize: [24, 80], CapAdd: null, CapDrop: null, CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [],
    ExtraHosts: null, GroupAdd: null, IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false,
    PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0, Isolation: '',
    CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0,
    CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null,
    DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: -1, OomKillDisable: false, PidsLimit: 0,
    Ulimits: [], CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
  },
  NetworkingConfig: { EndpointsConfig: { none: {} } },
};

interface Row {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  field?: [string, unknown];
  check?: (api: Api, json: any) => void;
}

const rows: Row[] = [
  { name: 'create', method: 'POST', path: '/containers/create?name=x1', body: cliBody, status: 201, field: ['Id', 'c'.repeat(64)],
    check: (api, json) => {
      assert.deepEqual(json.Warnings, []);
      const req = api.containers.lastCreate!;
      assert.equal(req.name, 'x1');
      assert.equal(req.config.image, 'busybox');
      assert.deepEqual(req.config.cmd, ['echo', 'hi']);
      assert.equal(req.config.entrypoint, null);
      assert.equal(req.config.attachStdout, true);
      assert.deepEqual(req.config.labels, { a: 'b' });
      assert.equal(req.config.env, undefined);
      assert.equal(req.hostConfig!.networkMode, 'none');
      assert.equal(req.hostConfig!.autoRemove, true);
      assert.equal(req.hostConfig!.shmSize, undefined);
      assert.equal(req.hostConfig!.pidsLimit, undefined);
      assert.deepEqual(req.hostConfig!.restartPolicy, { name: 'no', maximumRetryCount: 0 });
    } },
  { name: 'create versioned, leading slash name', method: 'POST', path: '/v1.41/containers/create?name=/x2', body: { Image: 'busybox', Cmd: 'true' }, status: 201,
    check: (api) => { assert.equal(api.containers.lastCreate!.name, 'x2'); assert.deepEqual(api.containers.lastCreate!.config.cmd, ['true']); } },
  { name: 'create: AutoRemove ignored below 1.25', method: 'POST', path: '/v1.24/containers/create', body: { Image: 'busybox', HostConfig: { AutoRemove: true } }, status: 201,
    check: (api) => assert.equal(api.containers.lastCreate!.hostConfig!.autoRemove, undefined) },
  { name: 'create: invalid name', method: 'POST', path: '/containers/create?name=a%20b', body: cliBody, status: 400,
    field: ['message', 'Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed'] },
  { name: 'create: one-letter name', method: 'POST', path: '/containers/create?name=a', body: cliBody, status: 400 },
  { name: 'create: malformed JSON', method: 'POST', path: '/containers/create', raw: '{"Image": bad', headers: { 'Content-Type': 'application/json' }, status: 400,
    check: (_api, json) => assert.match(json.message, /^invalid JSON: /) },
  { name: 'create: empty body', method: 'POST', path: '/containers/create', raw: '', headers: { 'Content-Type': 'application/json' }, status: 400,
    field: ['message', 'invalid JSON: got EOF while reading request body'] },
  { name: 'create: no config', method: 'POST', path: '/containers/create', body: { HostConfig: {} }, status: 400,
    field: ['message', 'config cannot be empty in order to create a container'] },
  { name: 'create: wrong field type', method: 'POST', path: '/containers/create', body: { Image: 'busybox', Env: 'A=1' }, status: 400,
    check: (_api, json) => assert.match(json.message, /^invalid JSON: json: cannot unmarshal string into Go struct field ContainerConfigWrapper\.Env of type \[\]string$/) },
  { name: 'create: wrong content type', method: 'POST', path: '/containers/create', raw: '{}', headers: { 'Content-Type': 'text/plain' }, status: 400,
    check: (_api, json) => assert.match(json.message, /unsupported Content-Type header \(text\/plain\)/) },
  { name: 'create: unsupported option refused', method: 'POST', path: '/containers/create',
    body: { Image: 'busybox', HostConfig: { StorageOpt: { size: '1G' } } }, status: 400,
    check: (_api, json) => assert.match(json.message, /HostConfig\.StorageOpt is not supported/) },
  { name: 'create: name conflict from the service', method: 'POST', path: '/containers/create?name=web', body: cliBody, status: 409 },

  { name: 'start', method: 'POST', path: `/containers/fresh/start`, status: 204, check: (api) => assert.deepEqual(api.containers.calls.at(-1), ['start', NEW]) },
  { name: 'start already started', method: 'POST', path: '/containers/web/start', status: 304 },
  { name: 'start unknown', method: 'POST', path: '/containers/nope/start', status: 404, field: ['message', 'No such container: nope'] },
  { name: 'start with a body', method: 'POST', path: '/containers/fresh/start', body: { Binds: ['/a:/b'] }, status: 400 },
  { name: 'stop with t and signal', method: 'POST', path: '/containers/web/stop?t=5&signal=SIGINT', status: 204,
    check: (api) => assert.deepEqual(api.containers.calls.at(-1), ['stop', RUN, { timeout: 5, signal: 'SIGINT' }]) },
  { name: 'stop signal ignored below 1.42', method: 'POST', path: '/v1.41/containers/web/stop?signal=SIGINT', status: 204,
    check: (api) => assert.deepEqual(api.containers.calls.at(-1), ['stop', RUN, {}]) },
  { name: 'stop stopped', method: 'POST', path: '/containers/fresh/stop', status: 304 },
  { name: 'stop bad t', method: 'POST', path: '/containers/web/stop?t=soon', status: 400 },
  { name: 'kill', method: 'POST', path: '/containers/web/kill?signal=HUP', status: 204, check: (api) => assert.deepEqual(api.containers.calls.at(-1), ['kill', RUN, 'HUP']) },
  { name: 'kill not running', method: 'POST', path: '/containers/fresh/kill', status: 409,
    check: (_api, json) => assert.match(json.message, /^Cannot kill container: fresh: container b+ is not running$/) },
  { name: 'restart', method: 'POST', path: '/containers/web/restart?t=1', status: 204, check: (api) => assert.deepEqual(api.containers.calls.at(-1), ['restart', RUN, { timeout: 1 }]) },
  { name: 'remove', method: 'DELETE', path: '/containers/fresh?v=1', status: 204, check: (api) => assert.deepEqual(api.containers.calls.at(-1), ['remove', NEW, { force: false, volumes: true }]) },
  { name: 'remove running', method: 'DELETE', path: '/containers/web', status: 409 },
  { name: 'remove running, forced', method: 'DELETE', path: '/v1.44/containers/web?force=true', status: 204 },
  { name: 'resize', method: 'POST', path: '/containers/web/resize?h=40&w=120', status: 200,
    check: (api) => assert.deepEqual(api.containers.calls.at(-1), ['resize', RUN, { height: 40, width: 120 }]) },
  { name: 'resize bad height', method: 'POST', path: '/containers/web/resize?h=-1&w=120', status: 400 },

  { name: 'list running', method: 'GET', path: '/containers/json', status: 200,
    check: (api, json) => {
      assert.equal(json.length, 1);
      assert.equal(api.containers.lastList!.all, false);
      const c = json[0];
      assert.equal(c.Id, RUN);
      assert.deepEqual(c.Names, ['/web']);
      assert.equal(c.Image, 'busybox');
      assert.equal(c.ImageID, 'sha256:' + 'b'.repeat(64));
      assert.equal(c.Command, "sh -c 'echo hi'");
      assert.equal(c.Created, 1704164645);
      assert.deepEqual(c.Ports, []);
      assert.equal(c.State, 'running');
      assert.equal(c.Status, 'Up 3 seconds');
      assert.deepEqual(c.HostConfig, { NetworkMode: 'none' });
      assert.deepEqual(c.NetworkSettings, { Networks: {} });
      assert.deepEqual(c.Mounts, []);
      assert.equal('SizeRw' in c, false);
    } },
  { name: 'list all with filters (map form)', method: 'GET', path: '/containers/json?all=1&limit=3&size=1&filters=' + encodeURIComponent('{"status":{"running":true},"label":{"a=b":true}}'), status: 200,
    check: (api, json) => {
      assert.equal(json.length, 2);
      assert.deepEqual(api.containers.lastList, { all: true, size: true, limit: 3, filters: { status: ['running'], label: ['a=b'] } });
      assert.equal(json.find((c: any) => c.Id === NEW).Status, 'Created');
    } },
  { name: 'list with filters (list form)', method: 'GET', path: '/containers/json?filters=' + encodeURIComponent('{"name":["web"],"before":["fresh"]}'), status: 200,
    check: (api) => assert.deepEqual(api.containers.lastList!.filters, { name: ['web'], before: 'fresh' }) },
  { name: 'list bad filter JSON', method: 'GET', path: '/containers/json?filters=%7Bbad', status: 400, field: ['message', 'invalid filter'] },
  { name: 'list unknown filter', method: 'GET', path: '/containers/json?filters=' + encodeURIComponent('{"foo":["x"]}'), status: 400, field: ['message', "invalid filter 'foo'"] },
  { name: 'list filter berth lacks', method: 'GET', path: '/containers/json?filters=' + encodeURIComponent('{"network":["x"]}'), status: 400 },
  { name: 'list bad limit', method: 'GET', path: '/containers/json?limit=many', status: 400 },

  { name: 'inspect', method: 'GET', path: '/containers/web/json', status: 200,
    check: (_api, c) => {
      assert.equal(c.Id, RUN);
      assert.equal(c.Name, '/web');
      assert.equal(c.Path, 'sh');
      assert.deepEqual(c.Args, ['-c', 'echo hi']);
      assert.equal(c.State.Status, 'running');
      assert.equal(c.State.Running, true);
      assert.equal(c.State.Pid, 99);
      assert.equal(c.State.FinishedAt, '0001-01-01T00:00:00Z');
      assert.equal(c.Image, 'sha256:' + 'b'.repeat(64));
      assert.equal(c.Platform, 'linux');
      assert.equal(c.HostConfig.NetworkMode, 'none');
      assert.equal(c.HostConfig.ShmSize, 67108864);
      assert.deepEqual(c.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
      assert.equal(c.HostConfig.PidsLimit, null);
      assert.equal(c.HostConfig.Binds, null);
      assert.ok(Array.isArray(c.HostConfig.MaskedPaths));
      assert.deepEqual(c.GraphDriver, { Data: { UpperDir: '/x/upper' }, Name: 'overlay' });
      assert.equal(c.Config.Image, 'busybox');
      assert.deepEqual(c.Config.Cmd, ['sh', '-c', 'echo hi']);
      assert.equal(c.Config.Entrypoint, null);
      assert.deepEqual(c.Config.Env, ['PATH=/bin']);
      assert.equal(c.Config.Tty, false);
      assert.deepEqual(c.NetworkSettings.Networks, {});
      assert.equal('IPAddress' in c.NetworkSettings, false);
      assert.equal('SizeRw' in c, false);
    } },
  { name: 'inspect with size', method: 'GET', path: '/v1.43/containers/web/json?size=1', status: 200,
    check: (_api, c) => {
      assert.equal(c.SizeRw, 12);
      assert.equal(c.SizeRootFs, 3456);
      assert.equal(c.NetworkSettings.IPAddress, '');
    } },
  { name: 'inspect by id prefix', method: 'GET', path: '/containers/aaaa/json', status: 200, field: ['Name', '/web'] },
  { name: 'inspect unknown', method: 'GET', path: '/containers/nope/json', status: 404, field: ['message', 'No such container: nope'] },
];

for (const row of rows) {
  test(`containers table: ${row.name}`, async (t) => {
    const api = await withContainers(t);
    const r = await api.request(row.method, row.path, { body: row.body, raw: row.raw, headers: row.headers });
    assert.equal(r.status, row.status, `${row.method} ${row.path}: ${r.body.toString()}`);
    if (row.status === 304 || row.status === 204) assert.equal(r.body.length, 0);
    const json = r.body.length ? r.json() : undefined;
    if (row.status >= 400) assert.equal(typeof json.message, 'string');
    if (row.field) assert.deepEqual(json[row.field[0]], row.field[1]);
    row.check?.(api, json);
  });
}

test('export streams the tar', async (t) => {
  const api = await withContainers(t);
  const r = await api.request('GET', '/containers/web/export');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/x-tar');
  assert.equal(r.body.toString(), 'not really a tar');
  assert.equal((await api.request('GET', '/containers/nope/export')).status, 404);
});
