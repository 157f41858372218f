import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ApiError, ConnectionError, EngineClient, HijackedConnection, encodeFrame } from '../../../src/client/index.ts';
import { FakeDaemon, apiError } from '../cli/fake-daemon.ts';

async function withDaemon(t: { after(fn: () => Promise<void> | void): void }, setup?: (d: FakeDaemon) => void): Promise<FakeDaemon> {
  const d = new FakeDaemon();
  setup?.(d);
  await d.start();
  t.after(() => d.stop());
  return d;
}

test('negotiates min(client, daemon) and prefixes every path with it', async (t) => {
  const d = await withDaemon(t, (d) => d.on('GET', /^\/info$/, () => ({ json: { ID: 'x' } })));
  for (const [server, expected] of [['1.40', '1.40'], ['1.99', '1.56'], ['', '1.24']]) {
    d.apiVersion = server;
    const c = new EngineClient({ host: d.host });
    t.after(() => c.close());
    assert.equal(await c.apiVersion(), expected);
    await c.system.info();
    assert.equal(d.requests.at(-1)?.version, expected);
  }
  const fixed = new EngineClient({ host: d.host, version: '1.41' });
  t.after(() => fixed.close());
  const before = d.requests.length;
  await fixed.system.info();
  assert.equal(d.requests.length, before + 1, 'no ping with a fixed version');
  assert.equal(d.requests.at(-1)?.version, '1.41');
});

test('the first GET goes out at the client version with no ping; an older daemon gets the ping and the request again', async (t) => {
  const d = await withDaemon(t, (d) => {
    d.on('GET', /^\/containers\/json$/, () => ({ json: [] }));
    d.on('POST', /^\/containers\/prune$/, () => ({ json: { ContainersDeleted: null, SpaceReclaimed: 0 } }));
  });
  const sent = () => d.requests.map((r) => `${r.method} ${r.version ? `/v${r.version}` : ''}${r.path}`);
  const cases: [string, string, string[], number][] = [
    ['1.56', '1.56', ['GET /v1.56/containers/json'], 0],
    ['1.99', '1.56', ['GET /v1.56/containers/json'], 0],
    ['1.47', '1.47', ['HEAD /_ping', 'GET /v1.47/containers/json'], 1],
    // No Api-Version header: the daemon answered, but at a version negotiation would not pick.
    ['', '1.24', ['GET /v1.56/containers/json', 'HEAD /_ping', 'GET /v1.24/containers/json'], 0],
  ];
  for (const [server, expected, requests, rejected] of cases) {
    d.apiVersion = server;
    d.requests.length = 0;
    d.rejected = 0;
    const c = new EngineClient({ host: d.host });
    t.after(() => c.close());
    assert.deepEqual(await c.containers.list(), []);
    assert.equal(await c.apiVersion(), expected, `daemon at ${server || 'no version'}`);
    await c.containers.list();
    assert.deepEqual(sent(), [...requests, `GET /v${expected}/containers/json`], `daemon at ${server || 'no version'}`);
    assert.equal(d.rejected, rejected);
  }
  // A first request with side effects is never sent at a version the daemon may refuse.
  d.apiVersion = '1.47';
  d.requests.length = 0;
  d.rejected = 0;
  const c = new EngineClient({ host: d.host });
  t.after(() => c.close());
  await c.containers.prune();
  assert.deepEqual(sent(), ['HEAD /_ping', 'POST /v1.47/containers/prune']);
  assert.equal(d.rejected, 0);
});

test("errors carry the status and the daemon's message", async (t) => {
  const d = await withDaemon(t, (d) => {
    d.on('GET', /^\/containers\/nope\/json$/, () => apiError(404, 'No such container: nope'));
    d.on('GET', /^\/containers\/text\/json$/, () => ({ status: 500, body: 'plain failure\n' }));
    d.on('GET', /^\/containers\/empty\/json$/, () => ({ status: 503 }));
  });
  const c = new EngineClient({ host: d.host });
  t.after(() => c.close());
  await assert.rejects(c.containers.inspect('nope'), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.statusCode, 404);
    assert.equal(err.daemonMessage, 'No such container: nope');
    assert.equal(err.message, 'Error response from daemon: No such container: nope');
    return true;
  });
  await assert.rejects(c.containers.inspect('text'), /^ApiError: Error response from daemon: plain failure$/);
  await assert.rejects(c.containers.inspect('empty'), /request returned 503 Service Unavailable for API route and version \/v1.47\/containers\/empty\/json/);
});

test('a missing socket is a ConnectionError naming the host', async () => {
  const c = new EngineClient({ host: 'unix:///nonexistent/berth.sock' });
  await assert.rejects(c.containers.list(), (err: unknown) => {
    assert.ok(err instanceof ConnectionError);
    assert.equal(err.message, 'Cannot connect to the berth daemon at unix:///nonexistent/berth.sock. Is the berth daemon running?');
    return true;
  });
  c.close();
});

test('encodes queries like the docker client', async (t) => {
  const d = await withDaemon(t, (d) => {
    d.on('GET', /^\/containers\/json$/, () => ({ json: [] }));
    d.on('POST', /^\/images\/create$/, () => ({ json: { status: 'sha256:abc' } }));
    d.on('POST', /\/stop$/, () => ({ status: 204 }));
  });
  const c = new EngineClient({ host: d.host });
  t.after(() => c.close());
  await c.containers.list({ all: true, limit: -1, size: false, filters: '{"status":{"running":true}}' });
  assert.equal(d.requests.at(-1)?.query.toString(), 'all=1&filters=%7B%22status%22%3A%7B%22running%22%3Atrue%7D%7D');
  const res = await c.images.import({ fromSrc: 'http://x/y.tar', repo: 'a:b', changes: ['CMD ["sh"]', 'ENV A=1'] });
  res.resume();
  assert.deepEqual(d.requests.at(-1)?.query.getAll('changes'), ['CMD ["sh"]', 'ENV A=1']);
  await c.containers.stop('web', { timeout: 0, signal: 'SIGINT' });
  assert.equal(d.requests.at(-1)?.query.toString(), 't=0&signal=SIGINT');
});

test('wait resolves once headers arrive; the result follows at exit', async (t) => {
  let release!: () => void;
  const d = await withDaemon(t, (d) => d.on('POST', /\/wait$/, async (_r, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    await new Promise<void>((r) => { release = r; });
    res.end('{"StatusCode":42}\n');
  }));
  const c = new EngineClient({ host: d.host });
  t.after(() => c.close());
  const waiter = await c.containers.wait('x', 'next-exit');
  assert.equal(d.requests.at(-1)?.query.get('condition'), 'next-exit');
  let settled = false;
  void waiter.result.then(() => { settled = true; });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false);
  release();
  assert.deepEqual(await waiter.result, { StatusCode: 42 });
});

test('hijacked attach: demuxed output, stdin forwarded, half-closed at stdin EOF', async (t) => {
  let received = '';
  let sawEnd = false;
  const d = await withDaemon(t, (d) => d.onUpgrade(/\/attach$/, (_r, sock) => {
    // The first frame travels in the same packet as the 101 response.
    sock.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    sock.write(encodeFrame(1, 'ready\n'));
    sock.on('data', (c: Buffer) => { received += c.toString(); });
    sock.on('end', () => {
      sawEnd = true;
      // The write side is still open after the client's half-close.
      sock.write(encodeFrame(2, `got ${received}`));
      sock.end();
    });
  }));
  const c = new EngineClient({ host: d.host });
  t.after(() => c.close());
  const conn = new HijackedConnection(await c.containers.attach('x', { stream: true, stdin: true, stdout: true, stderr: true }));
  assert.equal(d.requests.at(-1)?.headers.upgrade, 'tcp');
  assert.equal(d.requests.at(-1)?.query.toString(), 'stream=1&stdin=1&stdout=1&stderr=1');
  const out = new PassThrough();
  const err = new PassThrough();
  const outText: string[] = [];
  const errText: string[] = [];
  out.on('data', (b: Buffer) => outText.push(b.toString()));
  err.on('data', (b: Buffer) => errText.push(b.toString()));
  const output = conn.pipeOutput(false, out, err);
  const stdin = new PassThrough();
  const input = conn.pipeInput(stdin);
  stdin.write('abc');
  stdin.end('def');
  await input.done;
  await output;
  conn.close();
  assert.equal(sawEnd, true);
  assert.equal(outText.join(''), 'ready\n');
  assert.equal(errText.join(''), 'got abcdef');
});

test('output sent before anyone reads is kept until the stream is piped', async (t) => {
  const d = await withDaemon(t, (d) => d.onUpgrade(/\/attach$/, (_r, sock) => {
    sock.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    sock.end(Buffer.concat([encodeFrame(1, 'early\n'), encodeFrame(2, 'bird\n')]));
  }));
  const c = new EngineClient({ host: d.host });
  t.after(() => c.close());
  const conn = new HijackedConnection(await c.containers.attach('x', { stream: true, stdout: true, stderr: true }));
  // The run flow sends wait and start before it reads: the daemon may be done by then.
  await new Promise((r) => setTimeout(r, 100));
  const out = new PassThrough();
  const err = new PassThrough();
  const text: string[] = [];
  out.on('data', (b: Buffer) => text.push(`out:${b}`));
  err.on('data', (b: Buffer) => text.push(`err:${b}`));
  await conn.pipeOutput(false, out, err);
  conn.close();
  assert.deepEqual(text, ['out:early\n', 'err:bird\n']);
});

test('a stream that ended before anyone read it still completes (a container with no output)', async (t) => {
  const d = await withDaemon(t, (d) => d.onUpgrade(/\/attach$/, (_r, sock) => {
    sock.end('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  }));
  const c = new EngineClient({ host: d.host });
  t.after(() => c.close());
  for (const tty of [false, true]) {
    const conn = new HijackedConnection(await c.containers.attach('x', { stream: true, stdout: true }));
    await new Promise((r) => setTimeout(r, 50));
    await conn.pipeOutput(tty, new PassThrough(), new PassThrough());
    conn.close();
  }
});

test('attach to a missing container is an ApiError, not a hang', async (t) => {
  const d = await withDaemon(t);
  const c = new EngineClient({ host: d.host });
  t.after(() => c.close());
  await assert.rejects(c.containers.attach('nope', { stream: true, stdout: true }), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.statusCode, 404);
    return true;
  });
});

test('commit: --pause=false goes out as pause=0 (docker client\'s form); the default sends no pause', async (t) => {
  const d = await withDaemon(t, (d) => d.on('POST', /^\/commit$/, () => ({ status: 201, json: { Id: 'sha256:1' } })));
  const c = new EngineClient({ host: d.host, version: '1.41' });
  t.after(() => c.close());
  await c.build.commit('ctr', { pause: false });
  assert.equal(d.requests.at(-1)?.query.get('pause'), '0');
  await c.build.commit('ctr', {});
  assert.equal(d.requests.at(-1)?.query.get('pause'), null);
});
