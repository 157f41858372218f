// A stand-in engine that answers the docker CLI's `run --rm` requests at
// once and runs nothing: ping, create, attach (hijacked, ended at start),
// wait?condition=removed (answered at start) and start. The wall time of
// `docker run --rm ... true` against it is the CLI's own part of a run
// (process start, its five requests, the attach stream): the floor a real
// engine's run sits on besides the OCI runtime.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StubEngine {
  /** Environment for the docker CLI (DOCKER_HOST on the stub's socket). */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

const API = '1.50';

export async function startStubEngine(): Promise<StubEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'stub-engine-'));
  const socket = join(dir, 'docker.sock');
  /** Per container: what its start releases (the attach stream's end, the wait's answer). */
  const onStart = new Map<string, Array<() => void>>();
  const release = (id: string, fn: () => void) => {
    const list = onStart.get(id) ?? [];
    list.push(fn);
    onStart.set(id, list);
  };
  const server = http.createServer((req, res) => {
    res.setHeader('Api-Version', API);
    res.setHeader('Ostype', 'linux');
    res.setHeader('Docker-Experimental', 'false');
    const url = new URL(req.url ?? '/', 'http://stub');
    const path = url.pathname.replace(/^\/v[\d.]+/, '');
    req.resume();
    if (path === '/_ping') {
      res.end(req.method === 'HEAD' ? undefined : 'OK');
    } else if (req.method === 'POST' && path === '/containers/create') {
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ Id: randomBytes(32).toString('hex'), Warnings: [] }));
    } else if (req.method === 'POST' && /^\/containers\/\w+\/wait$/.test(path)) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      release(path.split('/')[2]!, () => res.end(JSON.stringify({ StatusCode: 0, Error: null })));
    } else if (req.method === 'POST' && /^\/containers\/\w+\/start$/.test(path)) {
      const id = path.split('/')[2]!;
      res.writeHead(204).end();
      for (const fn of onStart.get(id) ?? []) fn();
      onStart.delete(id);
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: `stub engine: ${req.method} ${path}` }));
    }
  });
  // The attach request asks for an upgrade: answered by hand, the stream ends when the container "exits".
  server.on('upgrade', (req: http.IncomingMessage, sock: net.Socket) => {
    const path = new URL(req.url ?? '/', 'http://stub').pathname.replace(/^\/v[\d.]+/, '');
    sock.on('error', () => {});
    sock.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    release(path.split('/')[2]!, () => sock.end());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socket, resolve));
  return {
    env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: dir },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
