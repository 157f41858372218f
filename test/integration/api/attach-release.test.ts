// A client that leaves an attach releases both sides at once: its socket in
// berthd and berthd's connection to conmon's attach socket. Counted as
// berthd's open descriptors (/proc/<pid>/fd), against a private berthd and
// a container that neither writes nor exits.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { type PrivateDaemon, skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { apiRequest } from '../../helpers/api.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fds(d: PrivateDaemon): number {
  return readdirSync(`/proc/${d.pid}/fd`).length;
}

/** Waits for berthd's descriptors to come back to `baseline`; the count it settled at. */
async function settle(d: PrivateDaemon, baseline: number, ms = 3000): Promise<number> {
  const deadline = Date.now() + ms;
  let n = fds(d);
  while (n > baseline && Date.now() < deadline) {
    await sleep(50);
    n = fds(d);
  }
  return n;
}

async function createContainer(d: PrivateDaemon, start: boolean, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await apiRequest(d.socket, 'POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['sleep', '1000'], ...extra } });
  assert.equal(r.status, 201, r.body);
  const id = JSON.parse(r.body).Id as string;
  if (start) assert.equal((await apiRequest(d.socket, 'POST', `/containers/${id}/start`)).status, 204);
  return id;
}

/** An upgraded attach as the docker CLI sends it; resolves once the 101 is in. */
function upgradedAttach(d: PrivateDaemon, id: string, stdin = false): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(d.socket, () => {
      s.write(`POST /v1.41/containers/${id}/attach?stream=1&stdout=1&stderr=1${stdin ? '&stdin=1' : ''} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    });
    let got = '';
    s.on('data', (b: Buffer) => {
      got += b.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        s.removeAllListeners('data');
        if (got.startsWith('HTTP/1.1 101')) resolve(s); else reject(new Error(got));
      }
    });
    s.on('error', reject);
  });
}

describe('attach releases what a departed client held', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  let running: string;
  let baseline: number;

  before(async () => {
    d = await startBerthd();
    running = await createContainer(d, true);
    // One attach and release first, so lazily opened descriptors (libc, sockets) are in the baseline.
    (await upgradedAttach(d, running)).destroy();
    await sleep(300);
    baseline = fds(d);
  });
  after(async () => { await d?.cleanup(); });

  test('an upgraded attach to a container without stdin, closed by the client', async () => {
    const conns = await Promise.all([1, 2, 3].map(() => upgradedAttach(d, running)));
    assert.ok(fds(d) >= baseline + 6, `3 attaches hold a client socket and a conmon socket each (${fds(d)} vs ${baseline})`);
    for (const c of conns) c.destroy();
    assert.equal(await settle(d, baseline, 500), baseline);
  });

  test('the docker CLI half-closes first (it has no stdin); closing later still releases both sides', async () => {
    const c = await upgradedAttach(d, running);
    c.end();
    await sleep(300);
    assert.ok(fds(d) >= baseline + 2, 'a half-closed attach is still served');
    c.destroy();
    assert.equal(await settle(d, baseline, 2500), baseline);
  });

  test('an attach without Upgrade, closed before the answer', async () => {
    for (let i = 0; i < 5; i++) {
      const s = net.connect(d.socket, () => {
        s.end(`POST /v1.41/containers/${running}/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
        s.destroy();
      });
      s.on('error', () => {});
    }
    await sleep(300);
    assert.equal(await settle(d, baseline), baseline);
  });

  test('an upgraded attach to a created container, closed before its start', async () => {
    const created = await createContainer(d, false);
    await sleep(100);
    const base = fds(d);
    const c = await upgradedAttach(d, created);
    assert.equal(fds(d), base + 1);
    c.destroy();
    assert.equal(await settle(d, base, 500), base);
    // The container starts later with nobody attached, and nothing is left of the session.
    assert.equal((await apiRequest(d.socket, 'POST', `/containers/${created}/start`)).status, 204);
    assert.equal((await apiRequest(d.socket, 'DELETE', `/containers/${created}?force=1`)).status, 204);
    assert.equal(await settle(d, base), base);
  });

  test('docker run -i before the start: stdin attached (StdinOnce), input ended, then the client gone', async () => {
    const created = await createContainer(d, false, { Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true });
    await sleep(100);
    const base = fds(d);
    const c = await upgradedAttach(d, created, true);
    c.end(); // stdin at EOF: the container's stdin is to be closed, the output still awaited
    await sleep(300);
    assert.equal(fds(d), base + 1, 'a half-closed attach is still served');
    c.destroy();
    assert.equal(await settle(d, base, 2500), base);
    assert.equal((await apiRequest(d.socket, 'POST', `/containers/${created}/start`)).status, 204);
    assert.equal((await apiRequest(d.socket, 'DELETE', `/containers/${created}?force=1`)).status, 204);
    assert.equal(await settle(d, base), base);
  });
});
