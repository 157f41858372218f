// Networks and endpoints in the metadata database. An endpoint row is a
// container's membership of a network (from create or connect); its ip,
// mac and host interface are the lease, set while the container runs and
// cleared when it stops. UNIQUE (network_id, ip) means two running
// containers can never hold one address, even across a crash.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Database } from '../stores/metadata/database.ts';
import type { EndpointConfig, EndpointRecord, NetworkRecord } from '../core/network.ts';
import { conflict } from '../core/errors.ts';

const MIGRATIONS = [
  (db: DatabaseSync) => db.exec(`
    CREATE TABLE networks (
      id     TEXT PRIMARY KEY,
      name   TEXT NOT NULL UNIQUE,
      record TEXT NOT NULL
    );
    CREATE TABLE endpoints (
      container_id TEXT NOT NULL,
      network_id   TEXT NOT NULL REFERENCES networks(id),
      seq          INTEGER NOT NULL,
      config       TEXT NOT NULL,
      endpoint_id  TEXT NOT NULL DEFAULT '',
      ip           TEXT,
      mac          TEXT NOT NULL DEFAULT '',
      host_if      TEXT NOT NULL DEFAULT '',
      PRIMARY KEY (container_id, network_id),
      UNIQUE (network_id, ip)
    );
    CREATE TABLE port_bindings (
      container_id   TEXT NOT NULL,
      proto          TEXT NOT NULL,
      container_port INTEGER NOT NULL,
      host_ip        TEXT NOT NULL,
      host_port      INTEGER NOT NULL,
      PRIMARY KEY (container_id, proto, container_port, host_ip, host_port)
    );
  `),
  // Dual-stack networks: a running endpoint's IPv6 address, one holder per address too.
  (db: DatabaseSync) => db.exec(`
    ALTER TABLE endpoints ADD COLUMN ip6 TEXT;
    CREATE UNIQUE INDEX endpoints_network_ip6 ON endpoints (network_id, ip6);
  `),
];

const SQLITE_CONSTRAINT_UNIQUE = 2067;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;

interface EndpointRow { container_id: string; network_id: string; config: string; endpoint_id: string; ip: string | null; ip6: string | null; mac: string; host_if: string }

function toEndpoint(r: EndpointRow): EndpointRecord {
  return {
    containerId: r.container_id, networkId: r.network_id, config: JSON.parse(r.config) as EndpointConfig,
    endpointId: r.endpoint_id, ip: r.ip ?? '', ip6: r.ip6 ?? '', mac: r.mac, hostIf: r.host_if,
  };
}

export class NetworkStore {
  readonly #db: Database;
  readonly #s: Record<string, StatementSync>;

  constructor(db: Database) {
    db.migrate('networks', MIGRATIONS);
    this.#db = db;
    const q = (sql: string) => db.sqlite.prepare(sql);
    this.#s = {
      putNet: q(`INSERT INTO networks (id, name, record) VALUES (?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET name = excluded.name, record = excluded.record`),
      getNet: q('SELECT record FROM networks WHERE id = ?'),
      netByName: q('SELECT record FROM networks WHERE name = ?'),
      netByPrefix: q("SELECT record FROM networks WHERE id LIKE ? || '%' LIMIT 2"),
      listNets: q('SELECT record FROM networks ORDER BY rowid'),
      delNet: q('DELETE FROM networks WHERE id = ?'),
      addEp: q(`INSERT INTO endpoints (container_id, network_id, seq, config)
        VALUES (?, ?, (SELECT COALESCE(MAX(seq), -1) + 1 FROM endpoints WHERE container_id = ?), ?)`),
      epsOfContainer: q('SELECT * FROM endpoints WHERE container_id = ? ORDER BY seq'),
      epsOfNetwork: q('SELECT * FROM endpoints WHERE network_id = ? ORDER BY rowid'),
      allEps: q('SELECT * FROM endpoints'),
      lease: q('UPDATE endpoints SET endpoint_id = ?, ip = ?, ip6 = ?, mac = ?, host_if = ? WHERE container_id = ? AND network_id = ?'),
      release: q("UPDATE endpoints SET endpoint_id = '', ip = NULL, ip6 = NULL, mac = '', host_if = '' WHERE container_id = ? AND network_id = ?"),
      delEp: q('DELETE FROM endpoints WHERE container_id = ? AND network_id = ?'),
      delEpsOfContainer: q('DELETE FROM endpoints WHERE container_id = ?'),
      addPort: q('INSERT OR IGNORE INTO port_bindings VALUES (?, ?, ?, ?, ?)'),
      portsOf: q('SELECT * FROM port_bindings WHERE container_id = ? ORDER BY rowid'),
      allPorts: q('SELECT * FROM port_bindings ORDER BY rowid'),
      delPorts: q('DELETE FROM port_bindings WHERE container_id = ?'),
      ipsOfNetwork: q('SELECT ip FROM endpoints WHERE network_id = ? AND ip IS NOT NULL'),
      ip6sOfNetwork: q('SELECT ip6 FROM endpoints WHERE network_id = ? AND ip6 IS NOT NULL'),
    };
  }

  transaction<T>(fn: () => T): T { return this.#db.transaction(fn); }

  putNetwork(n: NetworkRecord): void {
    this.#netStamp = ++this.#clock;
    try {
      this.#s.putNet!.run(n.id, n.name, JSON.stringify(n));
    } catch (err) {
      if ((err as { errcode?: number }).errcode === SQLITE_CONSTRAINT_UNIQUE) throw conflict(`network with name ${n.name} already exists`);
      throw err;
    }
  }

  getNetwork(id: string): NetworkRecord | undefined { return this.#one(this.#s.getNet!, id); }
  networkByName(name: string): NetworkRecord | undefined { return this.#one(this.#s.netByName!, name); }
  networksByIdPrefix(prefix: string): NetworkRecord[] {
    return (this.#s.netByPrefix!.all(prefix) as Array<{ record: string }>).map((r) => JSON.parse(r.record) as NetworkRecord);
  }
  listNetworks(): NetworkRecord[] {
    return (this.#s.listNets!.all() as Array<{ record: string }>).map((r) => JSON.parse(r.record) as NetworkRecord);
  }
  deleteNetwork(id: string): void { this.#gen++; this.#netStamp = ++this.#clock; this.#s.delNet!.run(id); }

  #gen = 0;
  /** Bumped by every change to endpoints and leases: readers may cache until it moves (the embedded DNS does). */
  get endpointGeneration(): number { return this.#gen; }

  // Per-container change stamps, so that a reader can keep one container's
  // network view until that container's endpoints or ports (or any network
  // record) change. Stamps come from one clock that only grows, so a stamp
  // never comes back for a different state; a container whose endpoints are
  // all removed takes the removal's stamp.
  #clock = 0;
  #netStamp = 0;
  #lastRemoval = 0;
  readonly #changed = new Map<string, number>();
  #touch(containerId: string): void { this.#changed.set(containerId, ++this.#clock); }
  /** Changes when the container's endpoints, leases or ports change, or any network record does. */
  containerStamp(containerId: string): string {
    return `${this.#netStamp}:${this.#changed.get(containerId) ?? this.#lastRemoval}`;
  }

  #one(st: StatementSync, key: string): NetworkRecord | undefined {
    const row = st.get(key) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as NetworkRecord) : undefined;
  }

  addEndpoint(containerId: string, networkId: string, config: EndpointConfig): void {
    this.#gen++;
    this.#touch(containerId);
    try {
      this.#s.addEp!.run(containerId, networkId, containerId, JSON.stringify(config));
    } catch (err) {
      if ((err as { errcode?: number }).errcode === SQLITE_CONSTRAINT_PRIMARYKEY) {
        throw conflict(`endpoint with name ${containerId.slice(0, 12)} already exists in network ${networkId.slice(0, 12)}`);
      }
      throw err;
    }
  }

  endpointsOf(containerId: string): EndpointRecord[] { return (this.#s.epsOfContainer!.all(containerId) as unknown as EndpointRow[]).map(toEndpoint); }
  endpointsOn(networkId: string): EndpointRecord[] { return (this.#s.epsOfNetwork!.all(networkId) as unknown as EndpointRow[]).map(toEndpoint); }
  allEndpoints(): EndpointRecord[] { return (this.#s.allEps!.all() as unknown as EndpointRow[]).map(toEndpoint); }

  /** Records a running endpoint's address; conflict if another container holds it. */
  lease(ep: { containerId: string; networkId: string; endpointId: string; ip: string; ip6?: string; mac: string; hostIf: string }): void {
    this.#gen++;
    this.#touch(ep.containerId);
    try {
      this.#s.lease!.run(ep.endpointId, ep.ip, ep.ip6 || null, ep.mac, ep.hostIf, ep.containerId, ep.networkId);
    } catch (err) {
      if ((err as { errcode?: number }).errcode === SQLITE_CONSTRAINT_UNIQUE) throw conflict('Address already in use');
      throw err;
    }
  }

  release(containerId: string, networkId: string): void { this.#gen++; this.#touch(containerId); this.#s.release!.run(containerId, networkId); }
  removeEndpoint(containerId: string, networkId: string): void { this.#gen++; this.#touch(containerId); this.#s.delEp!.run(containerId, networkId); }
  removeEndpointsOf(containerId: string): void {
    this.#gen++;
    this.#changed.delete(containerId);
    this.#lastRemoval = ++this.#clock;
    this.#s.delEpsOfContainer!.run(containerId);
  }

  leasedIps(networkId: string): string[] { return (this.#s.ipsOfNetwork!.all(networkId) as Array<{ ip: string }>).map((r) => r.ip); }
  leasedIp6s(networkId: string): string[] { return (this.#s.ip6sOfNetwork!.all(networkId) as Array<{ ip6: string }>).map((r) => r.ip6); }

  addPorts(containerId: string, ports: ActivePort[]): void {
    this.#touch(containerId);
    for (const p of ports) this.#s.addPort!.run(containerId, p.proto, p.containerPort, p.hostIp, p.hostPort);
  }
  portsOf(containerId: string): ActivePort[] { return (this.#s.portsOf!.all(containerId) as unknown as PortRow[]).map(toPort); }
  allPorts(): Array<ActivePort & { containerId: string }> {
    return (this.#s.allPorts!.all() as unknown as PortRow[]).map((r) => ({ ...toPort(r), containerId: r.container_id }));
  }
  removePortsOf(containerId: string): void { this.#touch(containerId); this.#s.delPorts!.run(containerId); }
}

/** A published port while its container runs: the host port actually bound. */
export type PortProto = 'tcp' | 'udp' | 'sctp';
export interface ActivePort { proto: PortProto; containerPort: number; hostIp: string; hostPort: number }
interface PortRow { container_id: string; proto: string; container_port: number; host_ip: string; host_port: number }
const toPort = (r: PortRow): ActivePort => ({ proto: r.proto as PortProto, containerPort: r.container_port, hostIp: r.host_ip, hostPort: r.host_port });
