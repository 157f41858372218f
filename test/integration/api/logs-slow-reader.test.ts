// A reader that stops reading never holds up the container's output:
// conmon writes the log file and berthd only reads it, so a `logs -f`
// client whose socket is paused (kernel buffers full) leaves the writer
// free. A container writes 64 MiB as fast as it can while such a client
// is attached; it must finish, its log must hold everything, and the
// daemon must still answer. Then the paused client goes away and the
// daemon lets go of the request.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { statSync } from 'node:fs';
import { type PrivateDaemon, skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { apiRequest, ping } from '../../helpers/api.ts';

const SIZE = 64 * 2 ** 20;

describe('logs -f with a reader that never reads', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  before(async () => { d = await startBerthd(); });
  after(async () => { await d?.cleanup(); });

  test('the container still finishes, and its log holds all it wrote', async () => {
    const create = await apiRequest(d.socket, 'POST', '/containers/create?name=fast', {
      body: { Image: 'busybox', Cmd: ['sh', '-c', `sleep 1; yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde | head -c ${SIZE}`], HostConfig: { NetworkMode: 'none' } },
    });
    assert.equal(create.status, 201, create.body);
    const id = JSON.parse(create.body).Id as string;
    assert.equal((await apiRequest(d.socket, 'POST', `/containers/${id}/start`)).status, 204);

    // A follower that sends its request and then never reads a byte.
    const sock = net.connect(d.socket);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`GET /v1.41/containers/${id}/logs?follow=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: berth\r\n\r\n`);
    sock.pause();
    try {
      const wait = await apiRequest(d.socket, 'POST', `/containers/${id}/wait`, { timeout: 300_000 });
      assert.equal(wait.status, 200, wait.body);
      assert.equal(JSON.parse(wait.body).StatusCode, 0);
      // The paused client got at most what the kernel buffers hold: it was really stalled.
      assert.ok(sock.readableLength < SIZE / 2, `the paused client holds ${sock.readableLength} bytes`);
      const inspect = JSON.parse((await apiRequest(d.socket, 'GET', `/containers/${id}/json`)).body) as { LogPath: string };
      assert.ok(statSync(inspect.LogPath).size > SIZE, 'every line is in the log');
      assert.ok(await ping(d.socket), 'the daemon still answers');
    } finally {
      sock.destroy();
    }
    assert.equal((await apiRequest(d.socket, 'DELETE', `/containers/${id}?force=1`, { timeout: 60_000 })).status, 204);
  });
});
