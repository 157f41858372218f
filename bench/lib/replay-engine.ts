// A stand-in engine that replays a real daemon's answers byte for byte.
// First it records: every request a client sends to its socket is passed to
// the daemon and the answer (status line, headers, body) is kept as one
// buffer under "METHOD target". Then it replays: each request's recorded
// buffer is written back as it is, with no routing, JSON or other work, so
// a client's wall time against it is the client's own part of the exchange
// (its process, its decoding and formatting), the floor any engine giving
// that same answer sits on.
//
// Answers are kept with a Content-Length (a chunked body is de-chunked when
// recorded); the clients here send GET and HEAD without bodies.

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ReplayEngine {
  /** baseEnv with DOCKER_HOST and BERTH_HOST on the stand-in's socket. */
  env: NodeJS.ProcessEnv;
  socket: string;
  /** Recorded answers by "METHOD target". */
  answers: ReadonlyMap<string, Buffer>;
  /** Requests replay found no recording for (answered 404). */
  misses: string[];
  /** Stop passing requests to the daemon: answer from the recording only. */
  replay(): void;
  close(): Promise<void>;
}

/** One recorded answer as the bytes to write back. */
function serialize(res: http.IncomingMessage, body: Buffer, head: boolean): Buffer {
  const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`];
  let length = false;
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i]!;
    if (/^transfer-encoding$/i.test(name)) continue;
    if (/^content-length$/i.test(name)) length = true;
    lines.push(`${name}: ${res.rawHeaders[i + 1]}`);
  }
  if (!length && !head) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head ? Buffer.alloc(0) : body]);
}

function forward(agent: http.Agent, upstream: string, method: string, target: string, headers: http.OutgoingHttpHeaders): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: upstream, method, path: target, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(serialize(res, Buffer.concat(chunks), method === 'HEAD')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const NOT_RECORDED = (key: string) => {
  const body = JSON.stringify({ message: `replay engine: nothing recorded for ${key}` });
  return Buffer.from(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
};

/** `baseEnv`: the clients' environment (e.g. the daemon's own env, for the same client config). */
export async function startReplayEngine(upstream: string, baseEnv: NodeJS.ProcessEnv): Promise<ReplayEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'replay-engine-'));
  const socket = join(dir, 'docker.sock');
  const answers = new Map<string, Buffer>();
  const misses: string[] = [];
  let recording = true;
  // Kept alive, so that the recorded headers are those of a kept-alive connection, as the CLI's are.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf: Buffer = Buffer.alloc(0);
    // Recording answers in order; replay writes at once.
    let queue = Promise.resolve();
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.toString('latin1', 0, end).split('\r\n');
        buf = buf.subarray(end + 4);
        const [method = '', target = ''] = head[0]!.split(' ');
        const key = `${method} ${target}`;
        const close = head.some((l) => /^connection:\s*close$/i.test(l));
        if (!recording) {
          const answer = answers.get(key);
          if (!answer) misses.push(key);
          if (close) sock.end(answer ?? NOT_RECORDED(key));
          else sock.write(answer ?? NOT_RECORDED(key));
          continue;
        }
        const headers: http.OutgoingHttpHeaders = {};
        for (const line of head.slice(1)) {
          const i = line.indexOf(':');
          if (i > 0 && !/^(connection|host)$/i.test(line.slice(0, i))) headers[line.slice(0, i)] = line.slice(i + 1).trim();
        }
        queue = queue.then(async () => {
          const answer = await forward(agent, upstream, method, target, headers);
          answers.set(key, answer);
          if (close) sock.end(answer);
          else sock.write(answer);
        }).catch((e: Error) => { sock.destroy(e); });
      }
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socket, resolve));
  return {
    env: { ...baseEnv, DOCKER_HOST: `unix://${socket}`, BERTH_HOST: `unix://${socket}` },
    socket,
    answers,
    misses,
    replay() { recording = false; agent.destroy(); },
    async close() {
      agent.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
