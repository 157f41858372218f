// The floor of a whole-log read: the bytes a daemon's answer carries (log
// text of `line`-byte lines in multiplexed frames of `frame` bytes, as one
// chunked HTTP answer) sent from memory by a minimal node:http server on a
// unix socket, in a process of its own like the daemon, to the same client
// (log-drain.ts). What is left between a daemon and this is the daemon's
// own work: reading the file and taking each line's prefix off.
//
//   node bench/lib/frame-server.ts <socket> <payload bytes> <frame bytes> <line bytes>
//   (prints "ready" once listening; every GET gets the whole answer, but for
//   /_ping and a container's inspect, answered as the docker CLI's `logs` needs)

import http from 'node:http';
import { unlinkSync } from 'node:fs';

const [socket, totalArg, frameArg, lineArg] = process.argv.slice(2);
const total = Number(totalArg);
const frame = Number(frameArg);
const line = Number(lineArg);
const text = `${'the quick brown fox jumps over the lazy dog 0123456789 '.repeat(80).slice(0, line - 1)}\n`;
// A few frames, each written as it is (one write per frame, as the daemon writes one per run of lines).
const frames = [0, 1, 2, 3].map(() => {
  const b = Buffer.alloc(8 + frame);
  b.writeUInt32BE(1 << 24, 0);
  b.writeUInt32BE(frame, 4);
  b.write(text.repeat(Math.ceil(frame / line)).slice(0, frame), 8, 'latin1');
  return b;
});

try {
  unlinkSync(socket!);
} catch { /* not there */ }
http.createServer(async (req, res) => {
  // The docker CLI asks whether the container has a TTY before its `logs` request.
  if (/\/containers\/[^/]+\/json/.test(req.url ?? '')) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ Id: 'floor', Config: { Tty: false }, State: { Running: false } }));
    return;
  }
  if (req.url === '/_ping' || req.url?.endsWith('/version')) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Api-Version': '1.41' });
    res.end(req.url === '/_ping' ? 'OK' : JSON.stringify({ ApiVersion: '1.41', Version: 'floor' }));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
  for (let sent = 0, i = 0; sent < total; i++) {
    let b = frames[i % frames.length]!;
    if (total - sent < frame) {
      b = Buffer.from(b.subarray(0, 8 + total - sent));
      b.writeUInt32BE(total - sent, 4);
    }
    sent += b.length - 8;
    if (!res.write(b)) await new Promise((r) => res.once('drain', r));
  }
  res.end();
}).listen(socket, () => console.log('ready'));
