// Sequential A queries against one DNS server, one at a time, each timed
// from send to answer. Run inside a container's network namespace (nsenter
// --net=...) by bench/network-traffic.ts and bench/network-scale.ts:
//
//   node bench/lib/dns-client.ts SERVER COUNT NAME [NAME...]
//
// Names are asked round-robin. Prints one JSON line:
// { ms: [per-query ms], answers: { name: [addresses] }, failures }.

import dgram from 'node:dgram';
import * as packet from 'dns-packet';

const [server, countArg, ...names] = process.argv.slice(2);
const count = Number(countArg);
if (!server || !count || names.length === 0) throw new Error('usage: dns-client.ts SERVER COUNT NAME...');

const sock = dgram.createSocket('udp4');
const ms: number[] = [];
const answers: Record<string, string[]> = {};
let failures = 0;

function ask(id: number, name: string): Promise<string[] | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { sock.off('message', onMessage); resolve(null); }, 2000);
    const onMessage = (msg: Buffer) => {
      const p = packet.decode(msg);
      if (p.id !== id) return;
      clearTimeout(timer);
      sock.off('message', onMessage);
      resolve((p.answers ?? []).flatMap((a) => (a.type === 'A' ? [String(a.data)] : [])));
    };
    sock.on('message', onMessage);
    sock.send(packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), 53, server);
  });
}

for (let i = 0; i < count; i++) {
  const name = names[i % names.length]!;
  const t0 = performance.now();
  const got = await ask((i % 65535) + 1, name);
  const dt = performance.now() - t0;
  if (!got || got.length === 0) failures++;
  else { ms.push(dt); answers[name] = got; }
}
sock.close();
console.log(JSON.stringify({ ms, answers, failures }));
