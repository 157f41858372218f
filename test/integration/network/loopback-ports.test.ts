// Published ports for a loopback client go through the kernel (nat OUTPUT
// DNAT, route_localnet on berth's bridge, MASQUERADE to the bridge's
// address), not through berthd's relay: the container sees the client's
// own source port, which a relay (a new connection from berthd) cannot
// keep. With --iptables=false the relay serves the same port instead.
// A container cannot use route_localnet to reach the host's loopback
// (raw PREROUTING drops 127.0.0.0/8 arriving from a bridge).
// Traffic goes only to loopback and to this daemon's containers.

import { describe, after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DOCKER_CLI, daemonNetworkLeftovers, daemonNetworks, run, skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';

// busybox httpd runs CGI scripts with REMOTE_ADDR and REMOTE_PORT set: the peer it saw.
const PEER = ['sh', '-c', [
  'mkdir -p /www/cgi-bin',
  'printf \'#!/bin/sh\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n"\\necho "$REMOTE_ADDR $REMOTE_PORT"\\n\' > /www/cgi-bin/peer',
  'chmod +x /www/cgi-bin/peer',
  'exec httpd -f -p 80 -h /www',
].join(' && ')];

function peer(port: number, localPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/cgi-bin/peer', localPort, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function peerWhenUp(port: number, localPort: number): Promise<string> {
  for (let i = 0; ; i++) {
    try { return await peer(port, localPort + i); } catch (err) { if (i > 40) throw err; }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('published ports for loopback clients', { skip: skipUnlessRoot() }, () => {
  const daemons: PrivateDaemon[] = [];
  after(async () => { for (const d of daemons) await d.cleanup(); });

  async function daemon(args: string[] = []) {
    const d = await startBerthd({ args });
    daemons.push(d);
    const ok = async (...a: string[]) => {
      const r = await run(DOCKER_CLI, a, { env: d.env, timeout: 60_000 });
      assert.equal(r.code, 0, `docker ${a.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    return { d, ok, bridge: daemonNetworks.get(d)!.bridge, gateway: daemonNetworks.get(d)!.bip.replace(/\/\d+$/, '') };
  }

  test('through the kernel: the client\'s source port arrives, from the bridge\'s address; the rules go with the container', async () => {
    const { ok, bridge, gateway } = await daemon();
    assert.equal(readFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, 'utf8').trim(), '1');
    const raw = execFileSync('iptables', ['-w', '-t', 'raw', '-S', `BERTH-RAW-${bridge}`], { encoding: 'utf8' });
    assert.match(raw, new RegExp(`-A BERTH-RAW-${bridge} -d 127\\.0\\.0\\.0/8 -i ${bridge} -j DROP`));
    const id = await ok('run', '-d', '-p', '127.0.0.1::80', '-p', '80', 'busybox', ...PEER);
    const ports = (await ok('port', id, '80/tcp')).split('\n').filter((l) => !l.startsWith('[::]:')).map((l) => Number(/:(\d+)$/.exec(l)![1]));
    assert.equal(ports.length, 2);
    const localPort = 40000 + Math.floor(Math.random() * 10000);
    // Once up, a fixed client port comes through unchanged on both bindings (127.0.0.1 and 0.0.0.0).
    const first = await peerWhenUp(ports[0]!, localPort);
    assert.match(first, new RegExp(`^(::ffff:)?\\[?(::ffff:)?${gateway.replace(/\./g, '\\.')}\\]? \\d+$`));
    const [, seenPort] = /(\d+)$/.exec(await peer(ports[0]!, localPort + 100))!;
    assert.equal(Number(seenPort), localPort + 100);
    const [, seenPort2] = /(\d+)$/.exec(await peer(ports[1]!, localPort + 101))!;
    assert.equal(Number(seenPort2), localPort + 101);
    await ok('rm', '-f', id);
    assert.deepEqual(daemonNetworkLeftovers(bridge).rules.filter((r) => r.includes('DNAT --to')), []);
  });

  test('after kill -9 and a restart, the same bindings (0.0.0.0, [::], [::1]) answer again', async () => {
    const { d, ok } = await daemon();
    const id = await ok('run', '-d', '-p', '80', '-p', '[::1]::80', 'busybox', ...PEER);
    const before = (await ok('port', id)).split('\n').sort();
    const port = Number(/0\.0\.0\.0:(\d+)/.exec(before.join('\n'))![1]);
    const p6 = Number(/\[::1\]:(\d+)/.exec(before.join('\n'))![1]);
    assert.ok(before.includes(`80/tcp -> [::]:${port}`), before.join('\n'));
    const localPort = 40000 + Math.floor(Math.random() * 10000);
    await peerWhenUp(port, localPort);
    await d.kill9();
    await d.start();
    assert.deepEqual((await ok('port', id)).split('\n').sort(), before);
    await peerWhenUp(port, localPort + 50);
    for (const p of [port, p6]) {
      const body = await new Promise<string>((resolve, reject) => {
        http.get({ host: '::1', port: p, path: '/cgi-bin/peer', agent: false, timeout: 5000 }, (res) => {
          let b = '';
          res.on('data', (c) => { b += c; });
          res.on('end', () => resolve(b.trim()));
        }).on('error', reject);
      });
      assert.match(body, /^\S+ \d+$/);
    }
    await ok('rm', '-f', id);
  });

  test('--iptables=false: berthd\'s relay serves the port (a connection of its own)', async () => {
    const { ok, bridge } = await daemon(['--iptables=false']);
    assert.deepEqual(daemonNetworkLeftovers(bridge).rules, []);
    const id = await ok('run', '-d', '-p', '127.0.0.1::80', 'busybox', ...PEER);
    const port = Number(/:(\d+)$/.exec(await ok('port', id, '80/tcp'))![1]);
    const localPort = 40000 + Math.floor(Math.random() * 10000);
    await peerWhenUp(port, localPort);
    const [, seenPort] = /(\d+)$/.exec(await peer(port, localPort + 100))!;
    assert.notEqual(Number(seenPort), localPort + 100);
    await ok('rm', '-f', id);
  });
});
