// The embedded DNS server on its own (no daemon): names it serves (UDP and TCP), a
// forward that outlives its network (the network's socket closes while the
// upstream is silent: the late SERVFAIL must not throw out of a timer, which
// took berthd down), and a resolver that throws. Loopback only: the server
// on 127.0.0.77:53, a silent "upstream" on 127.0.0.78:53. Needs root (port 53).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';
import { execFileSync } from 'node:child_process';
import { EmbeddedDns, type DnsResolver } from '../../../src/network/dns.ts';
import { inNamespace } from '../../../src/sys/netlink.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';

const log = { warn() {}, info() {}, debug() {}, error() {}, child() { return log; } } as never;

function query(name: string, id = 7): Promise<packet.Packet | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); resolve(null); }, 1500);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(packet.decode(m)); });
    s.send(packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), 53, '127.0.0.77');
  });
}

/** Several queries in one TCP write, each with its two-byte length; the answers in order. */
function tcpQueries(names: string[]): Promise<packet.Packet[]> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.77', port: 53 });
    const out: packet.Packet[] = [];
    let buf = Buffer.alloc(0);
    c.on('connect', () => c.write(Buffer.concat(names.map((name, i) => {
      const q = packet.encode({ type: 'query', id: 100 + i, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      return Buffer.concat([len, q]);
    }))));
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(packet.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === names.length) { c.end(); resolve(out); }
    });
    c.on('error', reject);
    c.setTimeout(2000, () => { c.destroy(); reject(new Error('tcp timeout')); });
  });
}

test('answers its names; a forward still out when the network goes does not throw; a failing resolver is survived', { skip: skipUnlessRoot() }, async () => {
  const silent = dgram.createSocket('udp4');
  let forwarded = 0;
  silent.on('message', () => { forwarded++; });
  await new Promise<void>((r) => silent.bind(53, '127.0.0.78', r));
  let broken = false;
  const resolver: DnsResolver = {
    lookup: (_n, name) => { if (broken) throw new Error('store gone'); return name === 'web' ? ['10.9.0.2'] : null; },
    reverse: () => null,
    upstreams: () => ({ servers: ['127.0.0.78'], namespace: null }),
  };
  const dns = new EmbeddedDns(resolver, log);
  try {
    dns.serve('net1', '127.0.0.77');
    await new Promise((r) => setTimeout(r, 50));
    const a = await query('web');
    assert.deepEqual(a?.answers?.map((x) => x.type === 'A' && x.data), ['10.9.0.2']);
    // Over TCP, two queries in one write (RFC 7766 framing), answered in order.
    const overTcp = await tcpQueries(['web', 'WEB']);
    assert.deepEqual(overTcp.map((p) => [p.id, p.answers?.map((x) => x.type === 'A' && x.data)]), [[100, ['10.9.0.2']], [101, ['10.9.0.2']]]);
    // Unknown: forwarded to the silent upstream; the network goes before the forward times out.
    const pending = query('elsewhere.example', 8);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(forwarded, 1);
    dns.stop('net1');
    assert.equal(await pending, null);
    await new Promise((r) => setTimeout(r, 4200)); // past the forward timeout: its SERVFAIL finds the socket closed
    dns.serve('net1', '127.0.0.77');
    await new Promise((r) => setTimeout(r, 50));
    broken = true;
    assert.equal(await query('web', 9), null);
    broken = false;
    assert.deepEqual((await query('web', 10))?.answers?.map((x) => x.type === 'A' && x.data), ['10.9.0.2']);
  } finally {
    dns.stopAll();
    silent.close();
  }
});

// dockerd 20.10 forwards to a container's own --dns 127.x inside the
// container (a private dockerd, --dns 127.0.0.9 on a user network: nothing
// reached the host's 127.0.0.9:53); the host's resolv.conf servers stay on
// the host's loopback.
test('a loopback --dns is the container\'s own loopback: the forward goes there, not to the host', { skip: skipUnlessRoot() }, async () => {
  const name = `bt-dns-${process.pid}`;
  execFileSync('ip', ['netns', 'add', name]);
  const hostSide = dgram.createSocket('udp4');
  const inside = dgram.createSocket({ type: 'udp4', lookup: (a, _o, cb) => (cb as (e: null, a: string, f: number) => void)(null, a, 4) });
  const dns = new EmbeddedDns({
    lookup: () => null, reverse: () => null,
    upstreams: () => ({ servers: ['127.0.0.78'], namespace: `/run/netns/${name}` }),
  }, log);
  try {
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    const seen: string[] = [];
    hostSide.on('message', () => seen.push('host'));
    await new Promise<void>((r) => hostSide.bind(53, '127.0.0.78', r));
    // The container's resolver: answers with the query's id, from inside the namespace.
    inside.on('message', (m, r) => {
      seen.push('container');
      const q = packet.decode(m);
      inside.send(packet.encode({ id: q.id, type: 'response', flags: packet.RECURSION_DESIRED, questions: q.questions, answers: [{ type: 'A', name: q.questions![0]!.name, data: '192.0.2.55' }] }), r.port, r.address);
    });
    inNamespace(`/run/netns/${name}`, () => inside.bind({ address: '127.0.0.78', port: 53, exclusive: true }));
    dns.serve('net1', '127.0.0.77');
    await new Promise((r) => setTimeout(r, 50));
    const a = await query('upstream.example', 12);
    assert.deepEqual(a?.answers?.map((x) => x.type === 'A' && x.data), ['192.0.2.55']);
    assert.deepEqual(seen, ['container']);
  } finally {
    dns.stopAll();
    hostSide.close();
    inside.close();
    execFileSync('ip', ['netns', 'del', name]);
  }
});
