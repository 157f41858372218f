// The floor for a Node CLI that asks the daemon one thing (bench/cli-start.ts):
// node reads this small script, makes one HTTP request on the daemon's unix
// socket (DOCKER_HOST) and prints the answer's body. Anything `berth version`
// or `berth ps` costs beyond this is berth's own.
//
//   DOCKER_HOST=unix:///path/to.sock node bench/cli-floor.cjs /containers/json [pipe]
//
// By default with node:net and process.stdout, as any Node CLI does; with
// `pipe`, the way berth does it (src/client/pipe-socket.ts, src/cli/io.ts):
// libuv's pipe handle through process.binding and a write to fd 1, so that
// neither node:net nor node:stream is loaded.
/* global process, Buffer */
'use strict';
const socketPath = (process.env.DOCKER_HOST || 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
const request = `GET /v1.56${process.argv[2] || '/version'} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
const chunks = [];
const body = () => {
  const res = Buffer.concat(chunks);
  return res.subarray(res.indexOf('\r\n\r\n') + 4);
};

if (process.argv[3] === 'pipe') {
  const { Pipe, PipeConnectWrap, constants } = process.binding('pipe_wrap');
  const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset } = process.binding('stream_wrap');
  const handle = new Pipe(constants.SOCKET);
  handle.onread = (arrayBuffer) => {
    const n = streamBaseState[kReadBytesOrError];
    if (n > 0) chunks.push(Buffer.from(arrayBuffer, streamBaseState[kArrayBufferOffset], n));
    if (n >= 0) return;
    handle.close();
    process.getBuiltinModule('node:fs').writeSync(1, body());
  };
  const req = new PipeConnectWrap();
  req.oncomplete = (status) => {
    if (status < 0) throw new Error(`connect: ${status}`);
    const w = new WriteWrap();
    w.handle = handle;
    w.oncomplete = () => {};
    handle.writeLatin1String(w, request);
    handle.readStart();
  };
  const err = handle.connect(req, socketPath);
  if (err) throw new Error(`connect: ${err}`);
} else {
  const net = process.getBuiltinModule('node:net');
  const sock = net.connect(socketPath);
  sock.on('data', (d) => chunks.push(d));
  sock.on('end', () => process.stdout.write(body()));
  sock.write(request);
}
