// conmon's attach socket: <socket-dir>/<id>/attach, SOCK_SEQPACKET.
//
// <socket-dir>/<id> is a symlink conmon makes to the bundle, where the
// socket really lives; it keeps the path under the 108 bytes a unix socket
// address holds. Should it still be too long, we connect through
// /proc/self/fd/<dirfd>/attach as conmon itself binds it.
//
// Wire format (conmon's conn_sock.c / ctr_stdio.c):
//   conmon -> us   one packet per read of the container's output; byte 0
//                  is the stream (2 stdout, 3 stderr; a tty is all 2)
//   us -> conmon   raw bytes for the container's stdin; conmon reads at
//                  most 32767 bytes per packet, so bigger writes are split,
//                  and a zero-length packet would read as EOF, so none is sent
//   shutdown(WR)   conmon closes the container's stdin (unless it runs
//                  with --leave-stdin-open) and keeps sending output
//   close by conmon  after the container exited and its output was
//                  drained: everything was delivered, then EOF
// Output is not buffered for late clients: attach before `runc start`.

import fs from 'node:fs';
import path from 'node:path';
import { SeqpacketSocket } from 'node-unix-socket';
import type { AttachSink, OutputStream, RuntimeAttach } from '../core/runtime.ts';

const STDOUT_PIPE = 2;
const STDERR_PIPE = 3;
const MAX_PACKET = 32 * 1024 - 1;
const SUN_PATH_MAX = 107;

/** Connects to an attach socket and streams its packets to `sink`. */
export function connectAttach(socketPath: string, sink: AttachSink): Promise<RuntimeAttach> {
  return new Promise((resolve, reject) => {
    let dirFd: number | null = null;
    let target = socketPath;
    if (Buffer.byteLength(socketPath) > SUN_PATH_MAX) {
      dirFd = fs.openSync(path.dirname(socketPath), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      target = `/proc/self/fd/${dirFd}/${path.basename(socketPath)}`;
    }
    const releaseDir = () => {
      if (dirFd !== null) fs.closeSync(dirFd);
      dirFd = null;
    };

    const sock = new SeqpacketSocket();
    let connected = false;
    let finished = false;
    let stdinClosed = false;
    const end = (err?: Error) => {
      if (finished) return;
      finished = true;
      sock.destroy();
      sink.end(err);
    };

    sock.on('data', (packet: Buffer) => {
      if (finished || packet.length < 1) return;
      const kind = packet[0];
      const stream: OutputStream | null = kind === STDOUT_PIPE ? 'stdout' : kind === STDERR_PIPE ? 'stderr' : null;
      if (stream && packet.length > 1) sink.data(stream, packet.subarray(1));
    });
    sock.on('end', () => end());
    sock.on('error', (err: Error) => {
      if (!connected) {
        releaseDir();
        finished = true;
        reject(err);
      } else end(err);
    });

    const handle: RuntimeAttach = {
      write(chunk: Buffer) {
        if (finished || stdinClosed) return;
        for (let off = 0; off < chunk.length; off += MAX_PACKET) {
          sock.write(chunk.subarray(off, Math.min(off + MAX_PACKET, chunk.length)));
        }
      },
      closeStdin() {
        if (finished || stdinClosed) return;
        stdinClosed = true;
        sock.end();
      },
      detach() {
        finished = true;
        sock.destroy();
      },
    };

    try {
      sock.connect(target, () => {
        connected = true;
        releaseDir();
        resolve(handle);
      });
    } catch (err) {
      releaseDir();
      finished = true;
      sock.destroy();
      reject(err as Error);
    }
  });
}
