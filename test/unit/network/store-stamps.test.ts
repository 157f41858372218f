// The network store's per-container stamps: `ps` keeps each container's
// network view until its stamp moves, so every change that alters what
// settings() shows for a container must move that container's stamp, and a
// stamp must never come back for a different state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { openDatabase } from '../../../src/stores/metadata.ts';
import { NetworkStore } from '../../../src/network/store.ts';
import { emptyEndpointConfig } from '../../../src/network/endpoint-config.ts';
import type { NetworkRecord } from '../../../src/core/network.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const N = 'c'.repeat(64);

function network(name: string): NetworkRecord {
  return {
    id: N, name, driver: 'bridge', created: '2024-01-01T00:00:00Z', internal: false, attachable: false, ipv6: false,
    labels: {}, options: {}, ipam: { driver: 'default', options: null, config: [{ subnet: '10.9.0.0/24', gateway: '10.9.0.1' }] },
    device: 'bt-x', mtu: 1500, icc: true, isDefault: false,
  } as NetworkRecord;
}

test('a container\'s stamp moves with its endpoints, leases, ports and any network record, and never repeats', (t) => {
  const dir = mkdtempSync(`${tmpdir()}/berth-stamps-`);
  const db = openDatabase(`${dir}/m.db`);
  t.after(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });
  const store = new NetworkStore(db);
  store.putNetwork(network('n1'));
  const seen = new Set<string>();
  const moved = (what: string, before: string) => {
    const now = store.containerStamp(A);
    assert.notEqual(now, before, `${what} moves the stamp`);
    assert.ok(!seen.has(now), `${what}: a stamp never comes back`);
    seen.add(now);
    return now;
  };
  let s = store.containerStamp(A);
  seen.add(s);
  store.addEndpoint(A, N, emptyEndpointConfig());
  s = moved('addEndpoint', s);
  // Another container's changes leave A's stamp alone.
  store.addEndpoint(B, N, emptyEndpointConfig());
  store.lease({ containerId: B, networkId: N, endpointId: 'e', ip: '10.9.0.3', mac: 'm', hostIf: 'v' });
  assert.equal(store.containerStamp(A), s);
  store.lease({ containerId: A, networkId: N, endpointId: 'e', ip: '10.9.0.2', mac: 'm', hostIf: 'v' });
  s = moved('lease', s);
  store.addPorts(A, [{ proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPort: 8080 }]);
  s = moved('addPorts', s);
  store.removePortsOf(A);
  s = moved('removePortsOf', s);
  store.release(A, N);
  s = moved('release', s);
  store.putNetwork({ ...network('n1'), labels: { x: 'y' } });
  s = moved('putNetwork', s);
  store.removeEndpoint(A, N);
  s = moved('removeEndpoint', s);
  store.addEndpoint(A, N, emptyEndpointConfig());
  s = moved('addEndpoint again', s);
  store.removeEndpointsOf(A);
  s = moved('removeEndpointsOf', s);
  // After that, another container's removal moves it again (it has no stamp of its own), never back to an old one.
  store.removeEndpointsOf(B);
  s = moved('a later removal', s);
  store.deleteNetwork(N);
  moved('deleteNetwork', s);
});
