// The floor for a Node CLI that asks the daemon one thing (bench/cli-start.ts):
// node reads this small script, makes one HTTP request on the daemon's unix
// socket (DOCKER_HOST) with node:net, and prints the answer's body. Anything
// `berth version` or `berth ps` costs beyond this is berth's own.
//
//   DOCKER_HOST=unix:///path/to.sock node bench/cli-floor.cjs /containers/json
/* global process, Buffer */
'use strict';
const net = process.getBuiltinModule('node:net');
const socketPath = (process.env.DOCKER_HOST || 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
const chunks = [];
const sock = net.connect(socketPath);
sock.on('data', (d) => chunks.push(d));
sock.on('end', () => {
  const res = Buffer.concat(chunks);
  process.stdout.write(res.subarray(res.indexOf('\r\n\r\n') + 4));
});
sock.write(`GET /v1.56${process.argv[2] || '/version'} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
