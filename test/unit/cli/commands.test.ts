// `berth` commands run in-process against a fake daemon on a temporary unix
// socket; outputs are the real docker CLI's for the same daemon answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDaemon, apiError } from './fake-daemon.ts';
import { berth } from './helpers.ts';
import * as fx from './fixtures.ts';
import { encodeFrame } from '../../../src/client/stdcopy.ts';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const NOW_S = NOW / 1000;
const CID = 'c0ffee'.padEnd(64, '0');

async function daemon(t: { after(fn: () => Promise<void>): void }, setup: (d: FakeDaemon) => void): Promise<FakeDaemon> {
  const d = new FakeDaemon();
  setup(d);
  await d.start();
  t.after(() => d.stop());
  return d;
}

function run(d: FakeDaemon, args: string[], opts: Parameters<typeof berth>[1] = {}) {
  return berth(['-H', d.host, ...args], { now: NOW, ...opts });
}

test('ps, ps -s, ps -q and custom formats print what docker prints', async (t) => {
  const d = await daemon(t, (d) => d.on('GET', /^\/containers\/json$/, () => ({ json: fx.containers(NOW_S) })));
  assert.deepEqual(await run(d, ['ps', '-a']), { code: 0, stdout: fx.PS_A, stderr: '' });
  assert.equal(d.requests.at(-1)?.query.toString(), 'all=1');
  assert.equal((await run(d, ['ps', '-as'])).stdout, fx.PS_AS);
  assert.equal((await run(d, ['ps', '-q'])).stdout, 'a1b2c3d4e5f6\nffeeddccbbaa\n0123456789ab\n');
  assert.equal((await run(d, ['ps', '--format', '{{.Names}}|{{.Label "b"}}|{{.Mounts}}'])).stdout,
    'web|two|/very/long/hos…\nquirky_name||\nx||\n');
  assert.equal((await run(d, ['ps', '--format', 'table {{.ID}}\\t{{.Size}}'])).stdout,
    'CONTAINER ID   SIZE\na1b2c3d4e5f6   12.3kB (virtual 4.26MB)\nffeeddccbbaa   0B\n0123456789ab   0B\n');
  assert.equal(d.requests.at(-1)?.query.get('size'), '1', '.Size in the format asks for sizes');
  await run(d, ['ps', '-n', '2', '--filter', 'status=exited', '-f', 'label=a']);
  assert.equal(d.requests.at(-1)?.query.toString(), `limit=2&filters=${encodeURIComponent('{"label":{"a":true},"status":{"exited":true}}')}`);
  const bad = await run(d, ['ps', '--format', '{{.Nope}}']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'failed to execute template: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext\n');
});

test('images and history tables', async (t) => {
  const d = await daemon(t, (d) => {
    d.on('GET', /^\/images\/json$/, () => ({ json: fx.images(NOW_S) }));
    d.on('GET', /^\/images\/busybox\/history$/, () => ({ json: fx.history(NOW_S) }));
  });
  assert.deepEqual(await run(d, ['images']), { code: 0, stdout: fx.IMAGES, stderr: '' });
  assert.equal((await run(d, ['images', '--digests'])).stdout, fx.IMAGES_DIGESTS);
  await run(d, ['images', 'busybox']);
  assert.equal(d.requests.at(-1)?.query.get('filters'), '{"reference":{"busybox":true}}');
  assert.deepEqual(await run(d, ['history', 'busybox']), { code: 0, stdout: fx.HISTORY, stderr: '' });
});

test('version prints the client and the server sections', async (t) => {
  const d = await daemon(t, (d) => d.on('GET', /^\/version$/, () => ({ json: fx.VERSION })));
  const r = await run(d, ['version']);
  assert.equal(r.code, 0);
  const [client, server] = [r.stdout.slice(0, r.stdout.indexOf('\nServer:')), r.stdout.slice(r.stdout.indexOf('\nServer:'))];
  assert.match(client, /^Client:\n Version: {11}0\.1\.0\n API version: {7}1\.47 \(downgraded from 1\.56\)\n/);
  assert.match(client, / Context: {11}default\n$/);
  assert.equal(server, fx.VERSION_SERVER);
  assert.equal((await run(d, ['version', '-f', '{{.Server.Version}} {{.Client.APIVersion}}'])).stdout, '0.1.0 1.47\n');
});

test('inspect: indented JSON array, -f templates, missing objects', async (t) => {
  const d = await daemon(t, (d) => {
    d.on('GET', /^\/containers\/web\/json$/, () => ({ json: fx.INSPECT }));
    d.on('GET', /^\/containers\/.*\/json$/, (r) => apiError(404, `No such container: ${r.path.split('/')[2]}`));
    d.on('GET', /^\/images\/.*\/json$/, (r) => apiError(404, `No such image: ${r.path.split('/')[2]}`));
  });
  const full = await run(d, ['inspect', 'web']);
  assert.equal(full.code, 0);
  assert.ok(full.stdout.startsWith('[\n    {\n        "Id": "a1b2c3d4e5f6'));
  assert.ok(full.stdout.includes('\n        "Mounts": []\n    }\n]\n'));
  assert.deepEqual(JSON.parse(full.stdout), [fx.INSPECT]);
  const f = await run(d, ['inspect', '-f', '{{.State.Status}} {{.Config.Entrypoint}} {{json .Config.Labels}} {{index .Config.Env 1}}', 'web']);
  assert.deepEqual(f, { code: 0, stdout: 'running [] {"b":"two","com.example.a":"1"} A=b c\n', stderr: '' });
  assert.deepEqual(await run(d, ['inspect', 'nope']), { code: 1, stdout: '[]\n', stderr: 'Error: No such object: nope\n' });
  const typed = await run(d, ['inspect', '--type', 'container', '-f', '{{.Id}}', 'nope']);
  assert.deepEqual(typed, { code: 1, stdout: '\n', stderr: 'Error response from daemon: No such container: nope\n' });
  const tmplErr = await run(d, ['inspect', '-f', '{{.Nope}}', 'web']);
  assert.equal(tmplErr.stderr, 'template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"\n');
});

test('run -d: create then start, prints the full ID', async (t) => {
  let body: Record<string, unknown> = {};
  const d = await daemon(t, (d) => {
    d.on('POST', /^\/containers\/create$/, (r) => { body = JSON.parse(r.body.toString()); return { status: 201, json: { Id: CID, Warnings: ['be careful'] } }; });
    d.on('POST', /\/start$/, () => ({ status: 204 }));
  });
  const r = await run(d, ['run', '-d', '--name', 'web', '-e', 'A=1', 'busybox', 'sleep', '10']);
  assert.deepEqual(r, { code: 0, stdout: `${CID}\n`, stderr: 'WARNING: be careful\n' });
  assert.deepEqual(d.calls(), ['POST /containers/create?name=web', `POST /containers/${CID}/start`]);
  assert.equal(body.Image, 'busybox');
  assert.deepEqual(body.Cmd, ['sleep', '10']);
  assert.deepEqual(body.Env, ['A=1']);
  assert.deepEqual([body.AttachStdout, body.AttachStderr], [false, false]);
});

test('run in the foreground: attach and wait before start, output demuxed, the exit code is the container\'s', async (t) => {
  const order: string[] = [];
  const d = await daemon(t, (d) => {
    d.onRequest = (r) => { if (r.path !== '/_ping') order.push(r.path.replace(CID, 'ID')); };
    d.on('POST', /^\/containers\/create$/, () => ({ status: 201, json: { Id: CID, Warnings: [] } }));
    let exited!: () => void;
    const exit = new Promise<void>((r) => { exited = r; });
    d.on('POST', /\/wait$/, async (r, res) => {
      assert.equal(r.query.get('condition'), 'removed');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      await exit;
      res.end('{"StatusCode":3}\n');
    });
    d.onUpgrade(/\/attach$/, (_r, sock) => {
      sock.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      d.on('POST', /\/start$/, () => {
        setTimeout(() => {
          sock.write(encodeFrame(1, 'hello\n'));
          sock.write(encodeFrame(2, 'oops\n'));
          sock.end();
          exited();
        }, 10);
        return { status: 204 };
      });
    });
  });
  const r = await run(d, ['run', '--rm', 'busybox', 'sh', '-c', 'echo hello; echo oops >&2; exit 3']);
  assert.deepEqual(r, { code: 3, stdout: 'hello\n', stderr: 'oops\n' });
  assert.deepEqual(order, ['/containers/create', '/containers/ID/attach', '/containers/ID/wait', '/containers/ID/start']);
});

test('run: a missing image is pulled; a failed pull exits 125', async (t) => {
  const d = await daemon(t, (d) => {
    d.on('POST', /^\/containers\/create$/, () => apiError(404, 'No such image: nosuch:latest'));
    d.on('POST', /^\/images\/create$/, () => apiError(404, 'pull access denied for nosuch, repository does not exist'));
  });
  const r = await run(d, ['run', 'nosuch']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, "Unable to find image 'nosuch:latest' locally\n" +
    'berth: Error response from daemon: pull access denied for nosuch, repository does not exist\n\n' +
    "Run 'berth run --help' for more information\n");
  const pull = d.requests.find((q) => q.path === '/images/create');
  assert.equal(pull?.query.toString(), 'fromImage=docker.io%2Flibrary%2Fnosuch&tag=latest');
  const never = await run(d, ['run', '--pull', 'never', 'nosuch']);
  assert.equal(never.code, 125);
  assert.equal(never.stderr, "berth: Error response from daemon: No such image: nosuch:latest\n\nRun 'berth run --help' for more information\n");
});

test('run: start failures map to 127 (not found) and 126 (cannot invoke)', async (t) => {
  let message = '';
  const d = await daemon(t, (d) => {
    d.on('POST', /^\/containers\/create$/, () => ({ status: 201, json: { Id: CID, Warnings: [] } }));
    d.on('POST', /\/start$/, () => apiError(400, message));
  });
  message = 'failed to create task: exec: "nope": executable file not found in $PATH';
  const r = await run(d, ['run', '-d', 'busybox', 'nope']);
  assert.equal(r.code, 127);
  assert.equal(r.stderr, `berth: Error response from daemon: ${message}\n\nRun 'berth run --help' for more information\n`);
  message = 'exec /etc: permission denied';
  assert.equal((await run(d, ['run', '-d', 'busybox', '/etc'])).code, 126);
  message = 'something else';
  assert.equal((await run(d, ['run', '-d', 'busybox'])).code, 125);
});

test('rm continues past errors and exits 1 at the end; -f ignores missing containers', async (t) => {
  const d = await daemon(t, (d) => d.on('DELETE', /^\/containers\//, (r) => (r.path.includes('nope')
    ? apiError(404, `No such container: ${r.path.split('/')[2]}`) : { status: 204 })));
  assert.deepEqual(await run(d, ['rm', 'a', 'nope1', 'b', 'nope2']), {
    code: 1, stdout: 'a\nb\n',
    stderr: 'Error response from daemon: No such container: nope1\nError response from daemon: No such container: nope2\n',
  });
  assert.deepEqual(await run(d, ['rm', '-f', 'a', 'nope']), { code: 0, stdout: 'a\n', stderr: 'Error response from daemon: No such container: nope\n' });
  assert.equal(d.requests.at(-1)?.query.toString(), 'force=1');
});

test('logs demultiplexes stdout and stderr; --since is converted', async (t) => {
  const d = await daemon(t, (d) => {
    d.on('GET', /^\/containers\/web\/json$/, () => ({ json: fx.INSPECT }));
    d.on('GET', /\/logs$/, () => ({ headers: { 'Content-Type': 'application/vnd.docker.multiplexed-stream' }, body: Buffer.concat([encodeFrame(1, 'out\n'), encodeFrame(2, 'err\n')]) }));
  });
  assert.deepEqual(await run(d, ['logs', '--since', '10m', '-n', '5', 'web']), { code: 0, stdout: 'out\n', stderr: 'err\n' });
  const q = d.requests.at(-1)!.query;
  assert.equal(q.get('since'), String(NOW_S - 600));
  assert.equal(q.get('tail'), '5');
  assert.equal(q.get('stdout'), '1');
});

test('flag and argument errors', async () => {
  assert.deepEqual(await berth(['run', '--foo', 'busybox']), {
    code: 125, stdout: '',
    stderr: "unknown flag: --foo\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n",
  });
  assert.deepEqual(await berth(['logs']), {
    code: 1, stdout: '',
    stderr: "berth: 'berth logs' requires 1 argument\n\nUsage:  berth logs [OPTIONS] CONTAINER\n\nRun 'berth logs --help' for more information\n",
  });
  assert.equal((await berth(['ps', 'x'])).stderr, "berth: 'berth ps' accepts no arguments\n\nUsage:  berth ps [OPTIONS]\n\nRun 'berth ps --help' for more information\n");
  assert.equal((await berth(['bogus'])).code, 1);
  const help = await berth(['ps', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^\nUsage: {2}berth ps \[OPTIONS\]\n\nList containers\n\nOptions:\n {2}-a, --all +Show all containers/);
});

test('a daemon that is not there', async () => {
  const r = await berth(['ps'], { env: { BERTH_HOST: 'unix:///nonexistent/berth.sock' } });
  assert.deepEqual(r, { code: 1, stdout: '', stderr: 'Cannot connect to the berth daemon at unix:///nonexistent/berth.sock. Is the berth daemon running?\n' });
  const run125 = await berth(['run', 'busybox'], { env: { DOCKER_HOST: 'unix:///nonexistent/berth.sock' } });
  assert.equal(run125.code, 125);
  assert.equal(run125.stderr, "berth: Cannot connect to the berth daemon at unix:///nonexistent/berth.sock. Is the berth daemon running?\n\nRun 'berth run --help' for more information\n");
});

test('export refuses to write a tar to a terminal', async () => {
  const r = await berth(['export', 'web'], { stdoutTTY: true, env: { BERTH_HOST: 'unix:///nonexistent/berth.sock' } });
  assert.deepEqual(r, { code: 1, stdout: '', stderr: 'cowardly refusing to save to a terminal. Use the -o flag or redirect\n' });
});
