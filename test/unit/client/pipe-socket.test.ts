// The CLI's unix-socket connection on libuv's pipe handle
// (src/client/pipe-socket.ts), against node:net's behaviour: the same events
// in the same order, the same errors, writes queued until connected.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Connection, PipeSocket } from '../../../src/client/pipe-socket.ts';

async function server(t: { after(fn: () => unknown): void }, onConn: (s: Socket) => void): Promise<{ path: string; server: Server; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-pipe-'));
  const path = join(dir, 's.sock');
  const srv = createServer(onConn);
  const open = new Set<Socket>();
  srv.on('connection', (s) => { open.add(s); s.on('close', () => open.delete(s)); });
  await new Promise<void>((resolve) => srv.listen(path, resolve));
  t.after(async () => {
    for (const s of open) s.destroy();
    await new Promise((resolve) => srv.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, server: srv, dir };
}

/** Everything a connection emits, in order, until 'close'. */
function record(c: Connection): Promise<string[]> {
  const events: string[] = [];
  return new Promise((resolve) => {
    c.on('data', (d: Buffer) => events.push(`data:${d.toString()}`));
    c.on('end', () => events.push('end'));
    c.on('error', (e: NodeJS.ErrnoException) => events.push(`error:${e.code}:${e.syscall}:${e.message}`));
    c.on('close', () => { events.push('close'); resolve(events); });
  });
}

test('Node has the pipe handle the CLI uses (else the CLI silently takes node:net)', () => {
  const c = PipeSocket.connect('/nonexistent/berth-pipe.sock');
  assert.ok(c instanceof PipeSocket);
  c.on('error', () => {});
});

test('a write before the connection is made is sent once it is; data, end and close as net emits them', async (t) => {
  const { path } = await server(t, (s) => {
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
      if (got === 'ping-1ping-2') s.end(`pong:${got}`);
    });
  });
  const c = PipeSocket.connect(path)!;
  const events = record(c);
  c.write(Buffer.from('ping-1'));
  c.write(Buffer.from('ping-2'));
  const seen = await events;
  assert.equal(seen.filter((e) => e.startsWith('data:')).map((e) => e.slice(5)).join(''), 'pong:ping-1ping-2');
  assert.deepEqual(seen.filter((e) => !e.startsWith('data:')), ['end', 'close']);
});

test('a big answer arrives whole, in order', async (t) => {
  const body = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;
  const { path } = await server(t, (s) => s.end(body));
  const c = PipeSocket.connect(path)!;
  const chunks: Buffer[] = [];
  c.on('data', (d: Buffer) => chunks.push(d));
  await new Promise<void>((resolve) => c.on('close', () => resolve()));
  assert.ok(Buffer.concat(chunks).equals(body));
});

test('connection errors are net\'s: ENOENT, ECONNREFUSED (a socket nobody listens on), ENOTSOCK', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-pipe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A socket file left by a server that is gone.
  const { path: stale, server: srv } = await server(t, () => {});
  await new Promise((resolve) => srv.close(resolve));
  writeFileSync(join(dir, 'file'), '');
  for (const path of [join(dir, 'missing.sock'), join(dir, 'file')]) {
    const ours = await record(PipeSocket.connect(path)!);
    const nets = await record(connect(path));
    assert.deepEqual(ours, nets, path);
    assert.match(ours[0], /^error:(ENOENT|ECONNREFUSED|ENOTSOCK):connect:connect \w+ \//);
  }
  // net unlinks nothing: the stale socket path is refused by both.
  const ours = await record(PipeSocket.connect(stale)!);
  assert.match(ours[0], /^error:(ENOENT|ECONNREFUSED):connect:/);
  assert.equal(ours.at(-1), 'close');
});

test('destroy() closes once; an unref\'d idle connection does not hold the process', async (t) => {
  const { path } = await server(t, () => {});
  const c = PipeSocket.connect(path)!;
  await new Promise((resolve) => setTimeout(resolve, 20));
  c.unref();
  c.ref();
  let closes = 0;
  const closed = new Promise<void>((resolve) => c.on('close', () => { closes++; resolve(); }));
  c.destroy();
  c.destroy();
  assert.equal(c.write(Buffer.from('x')), false);
  await closed;
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(closes, 1);
});

test('a server that closes mid-answer: the data, then end and close, as net sees it', async (t) => {
  const { path } = await server(t, (s) => {
    s.write('partial');
    setTimeout(() => s.destroy(), 10);
  });
  const ours = await record(PipeSocket.connect(path)!);
  const nets = await record(connect(path));
  assert.deepEqual(ours, ['data:partial', 'end', 'close']);
  assert.deepEqual(ours, nets);
});
