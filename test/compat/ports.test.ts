// Published ports through the real docker CLI: the -p forms (host IP, udp,
// ranges, random ports), -P with an image's EXPOSE, docker port and the
// inspect/ps shapes, port conflicts, and IPv6 bindings. dockerd 20.10 runs
// here with its userland proxy (it answers loopback clients itself, without
// iptables): a binding without a host IP is published on 0.0.0.0 and on
// [::] with the same port, and [::1] reaches a container without IPv6 over
// its IPv4 address. Traffic goes only to 127.0.0.1 and ::1; host ports are
// taken at random from 20000-39999 (the kernel's own picks start above).
// sctp: this machine's kernel has no SCTP sockets (CONFIG_IP_SCTP unset), and
// both engines fail the start with docker-proxy's words.

import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { daemonNetworkLeftovers } from '../helpers/daemon.ts';
import { type CompatTarget, compatSuite, lines, sleep } from './target.ts';

const P = 20000 + Math.floor(Math.random() * 19000);
const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www'];

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The first answer once httpd is up (it starts after the container does). */
async function getWhenUp(host: string, port: number): Promise<string> {
  for (let i = 0; ; i++) {
    try { return await get(host, port); } catch (err) { if (i > 50) throw err; }
    await sleep(100);
  }
}

/** Whether this kernel makes SCTP sockets (python3's socket module asks it straight). */
const kernelHasSctp = () => spawnSync('python3', ['-c', 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)']).status === 0;

const portLines = async (tgt: CompatTarget, ...a: string[]) => lines((await tgt.ok(['port', ...a])).stdout).sort();
const sortedBindings = (m: Record<string, Array<{ HostIp: string; HostPort: string }> | null>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v && [...v].sort((a, b) => (`${a.HostIp}/${a.HostPort}` < `${b.HostIp}/${b.HostPort}` ? -1 : 1))]));

compatSuite('ports', (s) => {
  s.test('-p forms: host IP, udp, ranges, random; docker port, inspect and ps', async (tgt) => {
    await tgt.ok(['network', 'create', 'pn']);
    const id = (await tgt.ok(['run', '-d', '--name', 'pa', '--network', 'pn', '-p', `127.0.0.1:${P}:80`, '-p', `${P + 1}:81/udp`,
      '-p', `${P + 2}-${P + 3}:82-83`, '-p', '84', '-p', `127.0.0.1:${P + 5}-${P + 7}:85`, 'busybox', ...HTTPD])).stdout.trim();
    const all = await portLines(tgt, 'pa');
    const random = Number(/^84\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(all.find((l) => l.startsWith('84/tcp -> 0'))!)![1]);
    assert.ok(random >= 1024, all.join('\n'));
    assert.deepEqual(all, [
      `80/tcp -> 127.0.0.1:${P}`,
      `81/udp -> 0.0.0.0:${P + 1}`, `81/udp -> [::]:${P + 1}`,
      `82/tcp -> 0.0.0.0:${P + 2}`, `82/tcp -> [::]:${P + 2}`,
      `83/tcp -> 0.0.0.0:${P + 3}`, `83/tcp -> [::]:${P + 3}`,
      `84/tcp -> 0.0.0.0:${random}`, `84/tcp -> [::]:${random}`,
      `85/tcp -> 127.0.0.1:${P + 5}`,
    ]);
    assert.deepEqual(await portLines(tgt, 'pa', '80'), [`127.0.0.1:${P}`]);
    assert.deepEqual(await portLines(tgt, 'pa', '81/udp'), [`0.0.0.0:${P + 1}`, `[::]:${P + 1}`]);
    const none = await tgt.fails(['port', 'pa', '99'], 1);
    assert.match(none.stderr, /No public port '99' published for pa/);

    const [ports, bindings] = lines((await tgt.ok(['inspect', '-f', '{{json .NetworkSettings.Ports}}\n{{json .HostConfig.PortBindings}}', id])).stdout);
    assert.deepEqual(sortedBindings(JSON.parse(ports!)), {
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(P) }],
      '81/udp': [{ HostIp: '0.0.0.0', HostPort: String(P + 1) }, { HostIp: '::', HostPort: String(P + 1) }],
      '82/tcp': [{ HostIp: '0.0.0.0', HostPort: String(P + 2) }, { HostIp: '::', HostPort: String(P + 2) }],
      '83/tcp': [{ HostIp: '0.0.0.0', HostPort: String(P + 3) }, { HostIp: '::', HostPort: String(P + 3) }],
      '84/tcp': [{ HostIp: '0.0.0.0', HostPort: String(random) }, { HostIp: '::', HostPort: String(random) }],
      '85/tcp': [{ HostIp: '127.0.0.1', HostPort: String(P + 5) }],
    });
    // What was asked stays as asked (the range, the empty host IP).
    assert.deepEqual(JSON.parse(bindings!), {
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(P) }], '81/udp': [{ HostIp: '', HostPort: String(P + 1) }],
      '82/tcp': [{ HostIp: '', HostPort: String(P + 2) }], '83/tcp': [{ HostIp: '', HostPort: String(P + 3) }],
      '84/tcp': [{ HostIp: '', HostPort: '' }], '85/tcp': [{ HostIp: '127.0.0.1', HostPort: `${P + 5}-${P + 7}` }],
    });
    const ps = (await tgt.ok(['ps', '--format', '{{.Ports}}', '-f', 'name=pa'])).stdout.trim().split(', ').sort();
    assert.ok(ps.includes(`127.0.0.1:${P}->80/tcp`) && ps.includes(`[::]:${P + 1}->81/udp`), ps.join(', '));

    // httpd answers on the loopback binding, and on both families of an unspecified one.
    assert.equal(await getWhenUp('127.0.0.1', P), '200 hi');
    await tgt.ok(['run', '-d', '--name', 'pb', '--network', 'pn', '-p', `${P + 8}:80`, 'busybox', ...HTTPD]);
    assert.equal(await getWhenUp('127.0.0.1', P + 8), '200 hi');
    assert.equal(await getWhenUp('::1', P + 8), '200 hi');

    // A range whose first ports are taken: the next free one.
    await tgt.ok(['run', '-d', '--name', 'pk', '--network', 'pn', '-p', `${P + 2}-${P + 4}:80`, 'busybox', 'sleep', '100']);
    assert.deepEqual(await portLines(tgt, 'pk'), [`80/tcp -> 0.0.0.0:${P + 4}`, `80/tcp -> [::]:${P + 4}`]);
  });

  s.test('-P publishes the image\'s EXPOSE on random ports; none and host publish nothing', async (tgt) => {
    await tgt.ok(['network', 'create', 'pn']);
    await tgt.ok(['create', '--name', 'base', 'busybox']);
    await tgt.ok(['commit', '--change', 'EXPOSE 8080', '--change', 'EXPOSE 9090/udp', 'base', 'exposer:1']);
    await tgt.ok(['run', '-d', '--name', 'pd', '--network', 'pn', '-P', 'exposer:1', 'sleep', '100']);
    const all = await portLines(tgt, 'pd');
    assert.equal(all.length, 4, all.join('\n'));
    const tcp = all.filter((l) => l.startsWith('8080/tcp -> ')).map((l) => /:(\d+)$/.exec(l)![1]);
    const udp = all.filter((l) => l.startsWith('9090/udp -> ')).map((l) => /:(\d+)$/.exec(l)![1]);
    assert.deepEqual(all, [`8080/tcp -> 0.0.0.0:${tcp[0]}`, `8080/tcp -> [::]:${tcp[0]}`, `9090/udp -> 0.0.0.0:${udp[0]}`, `9090/udp -> [::]:${udp[0]}`]);
    // Without -P the exposed ports are listed unpublished.
    await tgt.ok(['run', '-d', '--name', 'pe', '--network', 'pn', 'exposer:1', 'sleep', '100']);
    assert.equal((await tgt.ok(['ps', '--format', '{{.Ports}}', '-f', 'name=pe'])).stdout.trim(), '8080/tcp, 9090/udp');
    await tgt.ok(['run', '-d', '--name', 'pl', '--network', 'none', '-p', `${P + 20}:80`, 'busybox', 'sleep', '100']);
    await tgt.ok(['run', '-d', '--name', 'pm', '--network', 'host', '-p', `${P + 21}:80`, 'busybox', 'sleep', '100']);
    for (const name of ['pl', 'pm']) {
      assert.equal((await tgt.ok(['ps', '--format', '{{.Ports}}', '-f', `name=${name}`])).stdout.trim(), '');
      assert.deepEqual(lines((await tgt.ok(['port', name])).stdout), []);
    }
  });

  s.test('conflicts and bad host addresses: dockerd\'s errors, the container left created; rm frees the port', async (tgt) => {
    await tgt.ok(['network', 'create', 'pn']);
    await tgt.ok(['run', '-d', '--name', 'pa', '--network', 'pn', '-p', `127.0.0.1:${P + 30}:80`, '-p', `${P + 31}:81/udp`, 'busybox', ...HTTPD]);
    const clash = await tgt.fails(['run', '-d', '--name', 'pb', '--network', 'pn', '-p', `127.0.0.1:${P + 30}:80`, 'busybox', 'sleep', '100'], 125);
    assert.match(clash.stderr, new RegExp(`Error response from daemon: driver failed programming external connectivity on endpoint pb \\([0-9a-f]{64}\\): Bind for 127\\.0\\.0\\.1:${P + 30} failed: port is already allocated`));
    await tgt.ok(['create', '--name', 'pc', '--network', 'pn', '-p', `${P + 31}:81/udp`, 'busybox', 'sleep', '100']);
    const udp = await tgt.fails(['start', 'pc'], 1);
    assert.match(udp.stderr, new RegExp(`endpoint pc \\([0-9a-f]{64}\\): Bind for 0\\.0\\.0\\.0:${P + 31} failed: port is already allocated`));
    const bad = await tgt.fails(['run', '-d', '--name', 'pg', '--network', 'pn', '-p', `192.0.2.1:${P + 32}:80`, 'busybox', 'sleep', '100'], 125);
    assert.match(bad.stderr, new RegExp(`endpoint pg \\([0-9a-f]{64}\\): Error starting userland proxy: listen tcp4 192\\.0\\.2\\.1:${P + 32}: bind: cannot assign requested address`));
    const states = lines((await tgt.ok(['ps', '-a', '--format', '{{.Names}} {{.State}}'])).stdout).sort();
    assert.deepEqual(states, ['pa running', 'pb created', 'pc created', 'pg created']);
    // The failed starts published nothing: the first container's ports still answer.
    assert.equal(await getWhenUp('127.0.0.1', P + 30), '200 hi');

    await tgt.ok(['rm', '-f', 'pa']);
    await tgt.ok(['start', 'pb']);
    assert.deepEqual(await portLines(tgt, 'pb'), [`80/tcp -> 127.0.0.1:${P + 30}`]);
    await tgt.ok(['start', 'pc']);
    await tgt.ok(['rm', '-f', 'pb', 'pc']);
    await assert.rejects(get('127.0.0.1', P + 30));
    if (tgt.name === 'berthd') {
      // berthd's DNAT rules go with the container (dockerd runs here without iptables).
      assert.deepEqual(daemonNetworkLeftovers(tgt.net!.bridge).rules.filter((r) => r.includes('DNAT --to')), []);
    }
  });

  s.test('sctp: -p and -P with /sctp; a kernel without SCTP fails the start as dockerd does, nothing published', async (tgt) => {
    await tgt.ok(['network', 'create', 'pn']);
    const args = ['--network', 'pn', '-p', `${P + 50}:9100/sctp`, '-p', `127.0.0.1:${P + 51}:80`, 'busybox', ...HTTPD];
    await tgt.ok(['create', '--name', 'base', 'busybox']);
    await tgt.ok(['commit', '--change', 'EXPOSE 9200/sctp', 'base', 'sctpexposer:1']);
    if (kernelHasSctp()) {
      await tgt.ok(['run', '-d', '--name', 'ps1', ...args]);
      assert.deepEqual(await portLines(tgt, 'ps1', '9100/sctp'), [`0.0.0.0:${P + 50}`, `[::]:${P + 50}`]);
      await tgt.ok(['run', '-d', '--name', 'ps2', '--network', 'pn', '-P', 'sctpexposer:1', 'sleep', '100']);
      assert.match((await portLines(tgt, 'ps2')).join('\n'), /^9200\/sctp -> 0\.0\.0\.0:\d+$/m);
      if (tgt.name === 'berthd') {
        assert.ok(daemonNetworkLeftovers(tgt.net!.bridge).rules.some((r) => r.includes(`-p sctp -m sctp --dport ${P + 50} -j DNAT`)));
      }
      return;
    }
    const r = await tgt.fails(['run', '-d', '--name', 'ps1', ...args], 125);
    assert.match(r.stderr, /Error response from daemon: driver failed programming external connectivity on endpoint ps1 \([0-9a-f]{64}\): Error starting userland proxy: protocol not supported/);
    await tgt.ok(['create', '--name', 'ps2', '--network', 'pn', '-P', 'sctpexposer:1', 'sleep', '100']);
    const p = await tgt.fails(['start', 'ps2'], 1);
    assert.match(p.stderr, /endpoint ps2 \([0-9a-f]{64}\): Error starting userland proxy: protocol not supported/);
    assert.deepEqual(lines((await tgt.ok(['ps', '-a', '--format', '{{.Names}} {{.State}}'])).stdout).sort(), ['base created', 'ps1 created', 'ps2 created']);
    assert.deepEqual(JSON.parse((await tgt.ok(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'ps1'])).stdout), {});
    // The tcp binding beside it was let go: another container takes it.
    await tgt.ok(['run', '-d', '--name', 'ps3', '--network', 'pn', '-p', `127.0.0.1:${P + 51}:80`, 'busybox', ...HTTPD]);
    assert.equal(await getWhenUp('127.0.0.1', P + 51), '200 hi');
    if (tgt.name === 'berthd') {
      assert.deepEqual(daemonNetworkLeftovers(tgt.net!.bridge).rules.filter((l) => / -p sctp /.test(l)), []);
    }
  });

  s.test('IPv6: [::1] to a container without IPv6 (over IPv4), and to a dual-stack one', async (tgt) => {
    const b = /^base=(10\.214\.\d+)\.0\/24/.exec(tgt.net!.pool)![1]!;
    await tgt.ok(['network', 'create', 'pn']);
    await tgt.ok(['network', 'create', '--ipv6', '--subnet', `${b}.64/27`, '--subnet', 'fd0e:71::/64', 'pn6']);
    await tgt.ok(['run', '-d', '--name', 'pe', '--network', 'pn', '-p', `[::1]:${P + 40}:80`, 'busybox', ...HTTPD]);
    assert.deepEqual(await portLines(tgt, 'pe'), [`80/tcp -> [::1]:${P + 40}`]);
    assert.equal(await getWhenUp('::1', P + 40), '200 hi');
    await assert.rejects(get('127.0.0.1', P + 40));
    await tgt.ok(['run', '-d', '--name', 'pf', '--network', 'pn6', '-p', `[::1]:${P + 41}:80`, '-p', `${P + 42}:80`, 'busybox', ...HTTPD]);
    assert.deepEqual(await portLines(tgt, 'pf'), [`80/tcp -> 0.0.0.0:${P + 42}`, `80/tcp -> [::1]:${P + 41}`, `80/tcp -> [::]:${P + 42}`]);
    assert.equal(await getWhenUp('::1', P + 41), '200 hi');
    assert.equal(await getWhenUp('::1', P + 42), '200 hi');
    assert.equal(await getWhenUp('127.0.0.1', P + 42), '200 hi');
    const ports = JSON.parse((await tgt.ok(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'pf'])).stdout);
    assert.deepEqual(sortedBindings(ports), { '80/tcp': [
      { HostIp: '0.0.0.0', HostPort: String(P + 42) }, { HostIp: '::', HostPort: String(P + 42) }, { HostIp: '::1', HostPort: String(P + 41) },
    ] });
  });
}, { network: true, dockerdArgs: ['--userland-proxy=true'] });
