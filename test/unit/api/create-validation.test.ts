// What a create body may hold: dockerd's Go types (with Go's messages, as a
// dockerd 20.10 answers them, but as 400s), the kernel's string limits, and
// the size and depth of the JSON itself. Every case here answered 201 (and
// then a 500 at start) or a 500 at create before the body was checked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from './harness.ts';
import { checkCreateBody } from '../../../src/api/shapes/create-schema.ts';
import { parseExact, tooDeepAt } from '../../../src/api/json-body.ts';
import { defaultHostConfig, validateHostConfig } from '../../../src/engine/containers/create.ts';
import { availableParallelism } from 'node:os';

async function create(api: Api, raw: string, headers: Record<string, string> = {}): Promise<{ status: number; message: string }> {
  const r = await api.request('POST', '/v1.41/containers/create', { raw, headers: { 'Content-Type': 'application/json', ...headers } });
  return { status: r.status, message: r.status === 201 ? '' : r.json().message };
}

const GO = 'invalid JSON: json: cannot unmarshal';

// [body, Go's message as dockerd gives it (after "invalid JSON: json: cannot unmarshal")]
const refused: Array<[string, string]> = [
  ['{"Image":"busybox","HostConfig":{"CpuShares":123456789012345678901234567890}}',
    'number 123456789012345678901234567890 into Go struct field HostConfig.HostConfig.CpuShares of type int64'],
  ['{"Image":"busybox","HostConfig":{"CpuShares":1e308}}', 'number 1e308 into Go struct field HostConfig.HostConfig.CpuShares of type int64'],
  ['{"Image":"busybox","HostConfig":{"Memory":1e20}}', 'number 1e20 into Go struct field HostConfig.HostConfig.Memory of type int64'],
  ['{"Image":"busybox","HostConfig":{"Memory":1.5}}', 'number 1.5 into Go struct field HostConfig.HostConfig.Memory of type int64'],
  ['{"Image":"busybox","HostConfig":{"Memory":16777216.0}}', 'number 16777216.0 into Go struct field HostConfig.HostConfig.Memory of type int64'],
  ['{"Image":"busybox","HostConfig":{"Memory":"5"}}', 'string into Go struct field HostConfig.HostConfig.Memory of type int64'],
  ['{"Image":"busybox","HostConfig":{"Memory":9223372036854775808}}',
    'number 9223372036854775808 into Go struct field HostConfig.HostConfig.Memory of type int64'],
  ['{"Image":"busybox","StopTimeout":1e10}', 'number 1e10 into Go struct field ContainerConfigWrapper.StopTimeout of type int'],
  ['{"Image":"busybox","Cmd":5}', 'number into Go struct field ContainerConfigWrapper.Cmd of type string'],
  ['{"Image":"busybox","Cmd":["a",5]}', 'array into Go struct field ContainerConfigWrapper.Cmd of type string'],
  ['{"Image":"busybox","HostConfig":{"ConsoleSize":[-1,2]}}', 'number -1 into Go struct field HostConfig.HostConfig.ConsoleSize of type uint'],
  ['{"Image":"busybox","HostConfig":{"Ulimits":[{"Name":"nofile","Soft":1e3}]}}',
    'number 1e3 into Go struct field Ulimit.HostConfig.Ulimits.Soft of type int64'],
  ['{"Image":"busybox","HostConfig":{"BlkioWeight":70000}}', 'number 70000 into Go struct field HostConfig.HostConfig.BlkioWeight of type uint16'],
  ['{"Image":"busybox","HostConfig":5}', 'number into Go struct field ContainerConfigWrapper.HostConfig of type container.HostConfig'],
  ['{"Image":"busybox","Healthcheck":{"Interval":1.5}}', 'number 1.5 into Go struct field HealthConfig.Healthcheck.Interval of type time.Duration'],
  ['{"Image":"busybox","Labels":{"a":1}}', 'number into Go struct field ContainerConfigWrapper.Labels of type string'],
  ['{"Image":"busybox","ExposedPorts":{"80/tcp":5}}', 'number into Go struct field ContainerConfigWrapper.ExposedPorts of type struct {}'],
  ['{"Image":"busybox","HostConfig":{"Mounts":[{"TmpfsOptions":{"Mode":-1}}]}}',
    'number -1 into Go struct field TmpfsOptions.HostConfig.Mounts.TmpfsOptions.Mode of type fs.FileMode'],
  ['{"Image":"busybox","HostConfig":{"MemorySwappiness":1e3}}', 'number 1e3 into Go struct field HostConfig.HostConfig.MemorySwappiness of type int64'],
  ['{"Image":"busybox","HostConfig":{"IOMaximumBandwidth":-1}}', 'number -1 into Go struct field HostConfig.HostConfig.IOMaximumBandwidth of type uint64'],
  ['{"Image":"busybox","HostConfig":{"RestartPolicy":{"MaximumRetryCount":true}}}',
    'bool into Go struct field RestartPolicy.HostConfig.RestartPolicy.MaximumRetryCount of type int'],
  ['{"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{"n":{"IPPrefixLen":"x"}}}}',
    'string into Go struct field EndpointSettings.NetworkingConfig.EndpointsConfig.IPPrefixLen of type int'],
  ['[1]', 'array into Go value of type runconfig.ContainerConfigWrapper'],
  ['"x"', 'string into Go value of type runconfig.ContainerConfigWrapper'],
];

test('create: values outside their Go type are a 400 with Go\'s message, and nothing is created', async (t) => {
  const api = await startApi(t);
  for (const [body, message] of refused) {
    const r = await create(api, body);
    assert.deepEqual(r, { status: 400, message: `${GO} ${message}` }, body);
  }
  assert.equal(api.containers.lastCreate, undefined);
});

test('create: the largest values of each type pass; beyond 2^53 berth says it cannot carry them exactly', async (t) => {
  const api = await startApi(t);
  const ok = await create(api, '{"Image":"busybox","HostConfig":{"BlkioWeight":0,"CpuShares":1024,"PidsLimit":-1,"ConsoleSize":[65535,1,5]},"StopTimeout":-1}');
  assert.equal(ok.status, 201, ok.message);
  const big = await create(api, '{"Image":"busybox","HostConfig":{"Memory":9223372036854775807}}');
  assert.equal(big.status, 400);
  assert.match(big.message, /^invalid HostConfig\.Memory: 9223372036854775807 is beyond what berth carries exactly/);
  // Numbers outside the schema keep their literal and are not judged (Go ignores unknown fields).
  assert.equal((await create(api, '{"Image":"busybox","Unknown":1e999,"HostConfig":{"Other":[1.5]}}')).status, 201);
});

test('create: strings longer than the kernel takes are refused at create, naming the field', async (t) => {
  const api = await startApi(t);
  const host = await create(api, JSON.stringify({ Image: 'busybox', Hostname: 'a'.repeat(100_002) }));
  assert.equal(host.status, 400);
  assert.match(host.message, /^invalid Hostname: "a{40}\.\.\." is 100002 bytes long; a hostname \(sethostname\) holds at most 64$/);
  assert.equal((await create(api, JSON.stringify({ Image: 'busybox', Hostname: 'a'.repeat(64) }))).status, 201);
  assert.equal((await create(api, JSON.stringify({ Image: 'busybox', Hostname: 'é'.repeat(33) }))).status, 400, '66 bytes of UTF-8');
  assert.match((await create(api, JSON.stringify({ Image: 'busybox', Domainname: 'd'.repeat(65) }))).message, /^invalid Domainname: .* at most 64$/);
  assert.match((await create(api, JSON.stringify({ Image: 'busybox', WorkingDir: '/' + 'w'.repeat(5000) }))).message, /^invalid WorkingDir: .*PATH_MAX/);
  assert.match((await create(api, JSON.stringify({ Image: 'busybox', Env: ['A=' + 'x'.repeat(140_000)] }))).message, /^invalid Env: .*MAX_ARG_STRLEN/);
  assert.match((await create(api, JSON.stringify({ Image: 'busybox', Cmd: 'x'.repeat(140_000) }))).message, /^invalid Cmd: .*MAX_ARG_STRLEN/);
  // The kernel's limit counts the terminating NUL: 131,071 bytes pass, 131,072 do not; PATH_MAX likewise.
  assert.equal((await create(api, JSON.stringify({ Image: 'busybox', Cmd: ['x'.repeat(131_071)] }))).status, 201);
  assert.match((await create(api, JSON.stringify({ Image: 'busybox', Cmd: ['x'.repeat(131_072)] }))).message, /is 131072 bytes long; a command argument \(MAX_ARG_STRLEN\) holds at most 131071/);
  assert.match((await create(api, JSON.stringify({ Image: 'busybox', WorkingDir: '/' + 'w'.repeat(4095) }))).message, /is 4096 bytes long; .* holds at most 4095/);
});

test('JSON bodies: nesting deeper than the limit is a 400 naming it, at any depth', async (t) => {
  const api = await startApi(t);
  for (const depth of [600, 5_000, 200_000]) {
    const body = `{"Image":"busybox","Labels":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const r = await create(api, body);
    assert.equal(r.status, 400, `depth ${depth}`);
    assert.match(r.message, /^invalid JSON: nesting deeper than 512 levels at offset \d+$/);
  }
  // Brackets inside strings are text, not nesting.
  assert.equal((await create(api, JSON.stringify({ Image: 'busybox', Cmd: ['['.repeat(10_000)] }))).status, 201);
  assert.equal(tooDeepAt(Buffer.from('[[["\\"[[[["]]]'), 3), -1);
  assert.equal(tooDeepAt(Buffer.from('[[[['), 3), 3);
});

test('JSON bodies: the size limit is configurable and refused from Content-Length or while reading', async (t) => {
  const api = await startApi(t, { limits: { maxJsonBody: 1000 } });
  const body = JSON.stringify({ Image: 'busybox', Labels: { a: 'x'.repeat(2000) } });
  const r = await create(api, body);
  assert.equal(r.status, 400);
  assert.equal(r.message, 'request body is larger than the limit of 1000 bytes (api-max-json-body)');
  const chunked = await create(api, body, { 'Transfer-Encoding': 'chunked' });
  assert.equal(chunked.status, 400);
  assert.equal((await create(api, JSON.stringify({ Image: 'busybox' }))).status, 201);
});

test('parseExact keeps the literal of numbers a double would change', () => {
  const v = parseExact('{"a":1,"b":1.0,"c":1e2,"d":9007199254740993,"e":-0}') as Record<string, unknown>;
  assert.equal(v.a, 1);
  assert.equal(JSON.stringify(v), '{"a":1,"b":1.0,"c":1e2,"d":9007199254740993,"e":0}');
  assert.doesNotThrow(() => checkCreateBody(null));
});

test('engine: resource values start would refuse are refused at create with dockerd\'s messages', () => {
  const check = (h: Record<string, unknown>) => () => validateHostConfig(defaultHostConfig(h, 'runc'));
  assert.throws(check({ memory: -5 }), /^BerthError: Minimum memory limit allowed is 6MB$/);
  assert.throws(check({ shmSize: -5 }), /^BerthError: SHM size can not be less than 0$/);
  assert.throws(check({ cpuShares: -5 }), /invalid CPU shares: -5/);
  const n = availableParallelism();
  const range = `Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`;
  assert.throws(check({ nanoCpus: -5 }), { message: range });
  assert.throws(check({ nanoCpus: (n + 1) * 1e9 }), { message: range });
  assert.throws(check({ nanoCpus: 1e6 }), { message: range });
  assert.doesNotThrow(check({ nanoCpus: 1e7, memory: 6 * 1024 * 1024, cpuShares: 2 }));
});
