// The audits the kill -9 loop runs after each restart, beyond the
// process/cgroup/mount audit of test/helpers/leftovers.ts:
//   - acknowledged effects (ackAudit): every call that answered success
//     still has its effect (AckModel, kill9-model.ts);
//   - storage (storageAudit): the metadata database passes quick_check;
//     every blob matches its digest; every image row has its config,
//     manifest and layer blobs and its layer snapshots; no layer or blob
//     that no image reaches and no pull's recorded lease holds (the boot's
//     collection removes those); no expired lease left, none but a pull's
//     recorded; no temporary ingest left;
//   - networks and volumes (resourceAudit): every network has its bridge
//     and forwarding rules and nothing else has; every volume has its
//     directory and nothing else has;
//   - exit codes (ExitMemory): a container that stayed exited kept its code.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { PrivateDaemon } from '../test/helpers/private-daemon.ts';
import type { AckModel } from './kill9-model.ts';
import { call } from './kill9-workload.ts';

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
const hex = (digest: string) => digest.replace(/^sha256:/, '');

function ls(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

async function json(d: PrivateDaemon, path: string): Promise<{ status: number; body: any }> {
  const r = await call(d.socket, 'GET', path);
  let body: unknown = null;
  try { body = JSON.parse(r.body); } catch { /* an error text */ }
  return { status: r.status, body };
}

/** Every acknowledged effect still there; found-absent objects are then dropped from the model. */
export async function ackAudit(d: PrivateDaemon, m: AckModel, registry?: string): Promise<string[]> {
  const problems = m.problems.splice(0);
  const active = join(d.dataRoot, 'snapshots/overlay/active');
  for (const [id, c] of [...m.containers]) {
    const i = await json(d, `/containers/${id}/json`);
    const e = c.expect;
    const what = `container ${short(id)} (acknowledged ${e.state})`;
    if (i.status === 404) {
      if (e.state !== 'absent' && e.state !== 'unknown') problems.push(`${what} is gone`);
      m.containers.delete(id);
      continue;
    }
    const s = i.body.State as { Status: string; ExitCode: number };
    if (e.state === 'absent') problems.push(`${what} is still listed (${s.Status})`);
    else if (e.state === 'created' && s.Status !== 'created') problems.push(`${what} is ${s.Status}`);
    else if (e.state === 'running' && s.Status !== 'running') problems.push(`${what} is ${s.Status} (exit ${s.ExitCode})`);
    else if (e.state === 'exited' && (s.Status !== 'exited' || s.ExitCode !== e.code)) problems.push(`${what} with code ${e.code} is ${s.Status} with code ${s.ExitCode}`);
    else if (e.state === 'short' && !(s.Status === 'running' || (s.Status === 'exited' && s.ExitCode === e.code))) {
      problems.push(`${what} exiting ${e.code} is ${s.Status} with code ${s.ExitCode}`);
    }
    const nets = Object.keys(i.body.NetworkSettings?.Networks ?? {});
    for (const n of c.networks) {
      if (m.networks.get(n) && !nets.includes(n)) problems.push(`${what} was connected to ${n} but is not any more (${nets.join(',')})`);
    }
    for (const f of c.execFiles) {
      if (!existsSync(join(active, id, 'diff', f))) problems.push(`${what}: /${f} written by an acknowledged exec is missing`);
    }
  }
  for (const [ref, want] of [...m.tags]) {
    if (want === undefined) continue;
    const i = await json(d, `/images/${encodeURIComponent(ref)}/json`);
    if (want === null) {
      if (i.status !== 404) problems.push(`image ${ref} (acknowledged removed) answers ${i.status}`);
      else m.tags.delete(ref);
    } else if (i.status !== 200) problems.push(`image ${ref} (acknowledged) answers ${i.status}`);
    else if (want !== '' && i.body.Id !== want) problems.push(`image ${ref} is ${short(i.body.Id)}, acknowledged as ${short(want)}`);
  }
  const vols = new Set(((await json(d, '/volumes')).body?.Volumes ?? []).map((v: { Name: string }) => v.Name));
  for (const [name, want] of [...m.volumes]) {
    if (want === true && !vols.has(name)) problems.push(`volume ${name} (acknowledged created) is gone`);
    if (want === null) {
      if (vols.has(name)) problems.push(`volume ${name} (acknowledged removed) is listed`);
      else m.volumes.delete(name);
    }
  }
  const nets = new Map<string, string>(((await json(d, '/networks')).body ?? []).map((n: { Name: string; Id: string }) => [n.Name, n.Id]));
  for (const [name, want] of [...m.networks]) {
    if (want && nets.get(name) !== want) problems.push(`network ${name} (acknowledged ${short(want)}) is ${nets.has(name) ? short(nets.get(name)!) : 'gone'}`);
    if (want === null) {
      if (nets.has(name)) problems.push(`network ${name} (acknowledged removed) is listed`);
      else m.networks.delete(name);
    }
  }
  if (registry) {
    for (const [ref, digest] of m.pushed) {
      const [repo, tag] = ref.split(':') as [string, string];
      const r = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
        method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
      });
      const got = r.headers.get('docker-content-digest');
      if (r.status !== 200 || got !== digest) problems.push(`pushed ${ref} (acknowledged ${short(digest)}) is ${r.status} ${got ?? ''} in the registry`);
    }
  }
  return problems;
}

/** With nothing in flight: every unknown becomes what the daemon says. */
export async function rebase(d: PrivateDaemon, m: AckModel): Promise<void> {
  for (const [id, c] of m.containers) {
    const i = await json(d, `/containers/${id}/json`);
    if (i.status === 404) { c.expect = { state: 'absent' }; continue; }
    const s = i.body.State as { Status: string; ExitCode: number };
    c.expect = s.Status === 'created' ? { state: 'created' }
      : s.Status === 'running' ? (c.long ? { state: 'running' } : { state: 'short', code: c.code })
        : s.Status === 'exited' ? { state: 'exited', code: s.ExitCode } : { state: 'unknown' };
    const nets = new Set(Object.keys(i.body.NetworkSettings?.Networks ?? {}));
    c.networks = new Set([...c.networks].filter((n) => nets.has(n)));
  }
  for (const ref of m.tags.keys()) {
    const i = await json(d, `/images/${encodeURIComponent(ref)}/json`);
    m.tags.set(ref, i.status === 200 ? i.body.Id as string : i.status === 404 ? null : undefined);
  }
  const vols = new Set(((await json(d, '/volumes')).body?.Volumes ?? []).map((v: { Name: string }) => v.Name));
  for (const name of m.volumes.keys()) m.volumes.set(name, vols.has(name) ? true : null);
  const nets = new Map<string, string>(((await json(d, '/networks')).body ?? []).map((n: { Name: string; Id: string }) => [n.Name, n.Id]));
  for (const name of m.networks.keys()) m.networks.set(name, nets.get(name) ?? null);
}

function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out.at(-1);
    out.push(prev ? `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}` : d);
  }
  return out;
}

export interface StorageFigures { blobs: number; blobBytes: number; images: number; layers: number }

/** The content store, snapshots and metadata, from disk (the daemon may run, nothing may be in flight). */
export function storageAudit(d: PrivateDaemon, figures?: StorageFigures): string[] {
  const problems: string[] = [];
  const blobDir = join(d.dataRoot, 'content/blobs/sha256');
  const blobs = new Set(ls(blobDir));
  let bytes = 0;
  for (const b of blobs) {
    const data = readFileSync(join(blobDir, b));
    bytes += data.length;
    const got = createHash('sha256').update(data).digest('hex');
    if (got !== b) problems.push(`blob ${b.slice(0, 12)} holds content of digest ${got.slice(0, 12)} (${data.length} bytes)`);
  }
  for (const f of ls(join(d.dataRoot, 'content/ingest'))) if (!f.startsWith('k-')) problems.push(`ingest file ${f} left`);
  let db: DatabaseSync | null = null;
  const rows: Array<{ id: string; manifest_digest: string; config: string; layers: string }> = [];
  // What a pull cut by the kill committed: its recorded lease keeps it for the next pull.
  const leased = new Set<string>();
  try {
    db = new DatabaseSync(join(d.dataRoot, 'berth.db'), { readOnly: true });
    const check = db.prepare('PRAGMA quick_check').all() as Array<{ quick_check: string }>;
    if (check.length !== 1 || check[0]!.quick_check !== 'ok') problems.push(`metadata database: ${check.map((c) => c.quick_check).join('; ')}`);
    rows.push(...db.prepare('SELECT id, manifest_digest, config, layers FROM images').all() as typeof rows);
    const hasLeases = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'leases'").get();
    if (hasLeases) {
      const now = Date.now();
      for (const l of db.prepare('SELECT l.id, l.label, l.expires_at, k.key FROM leases l LEFT JOIN lease_keys k ON k.lease_id = l.id').all() as Array<{ id: string; label: string; expires_at: number; key: string | null }>) {
        if (l.expires_at <= now) problems.push(`lease ${l.id} (${l.label}) expired ${new Date(l.expires_at).toISOString()} and is still recorded`);
        else if (!l.label.startsWith('pull ')) problems.push(`lease ${l.id} (${l.label || 'no label'}) outlived its process: only a pull's lease is recorded`);
        else if (l.key) leased.add(hex(l.key));
      }
    }
  } catch (e) {
    problems.push(`metadata database does not open: ${String(e).slice(0, 200)}`);
  } finally {
    db?.close();
  }
  const layerDir = join(d.dataRoot, 'snapshots/overlay/layers');
  const reachableChains = new Set<string>();
  const reachableBlobs = new Set<string>();
  for (const row of rows) {
    const layers = JSON.parse(row.layers) as Array<{ digest: string }>;
    const diffIds = (JSON.parse(row.config).rootfs?.diff_ids ?? []) as string[];
    const need = [row.id, row.manifest_digest, ...layers.map((l) => l.digest)];
    for (const b of need) {
      reachableBlobs.add(hex(b));
      if (!blobs.has(hex(b))) problems.push(`image ${short(row.id)}: blob ${short(b)} is missing`);
    }
    for (const c of chainIds(diffIds)) {
      reachableChains.add(hex(c));
      if (!existsSync(join(layerDir, hex(c), 'diff'))) problems.push(`image ${short(row.id)}: layer snapshot ${short(c)} is missing`);
    }
  }
  const onDisk = ls(layerDir);
  for (const c of onDisk) if (!reachableChains.has(c) && !leased.has(c)) problems.push(`layer snapshot ${c.slice(0, 12)} no image reaches`);
  for (const b of blobs) if (!reachableBlobs.has(b) && !leased.has(b)) problems.push(`blob ${b.slice(0, 12)} no image reaches (${blobKind(join(blobDir, b))})`);
  if (figures) Object.assign(figures, { blobs: blobs.size, blobBytes: bytes, images: rows.length, layers: onDisk.length });
  return problems;
}

/** What a stray blob is, for the report: its size, and whether it reads as a manifest or an image config. */
function blobKind(path: string): string {
  const data = readFileSync(path);
  let kind = 'data';
  try {
    const j = JSON.parse(data.toString('utf8')) as { mediaType?: string; rootfs?: unknown; created?: string };
    kind = j.rootfs ? `image config created ${j.created ?? '?'}` : j.mediaType ?? 'json';
  } catch { /* a layer */ }
  return `${data.length} bytes, ${kind}`;
}

function links(alias: string): Map<string, string> {
  const out = new Map<string, string>(); // name -> kind
  const text = execFileSync('ip', ['-d', '-o', 'link', 'show'], { encoding: 'utf8' });
  for (const line of text.split('\n')) {
    const m = /^\d+: ([^:@]+)[@:]/.exec(line);
    if (m && line.includes(` alias ${alias}`)) out.set(m[1]!, / bridge /.test(line) ? 'bridge' : / veth /.test(line) ? 'veth' : 'other');
  }
  return out;
}

/** Networks against their bridges and forwarding rules, volumes against their directories. */
export async function resourceAudit(d: PrivateDaemon, bridge: string): Promise<string[]> {
  const problems: string[] = [];
  const nets = ((await json(d, '/networks')).body ?? []) as Array<{ Name: string; Id: string; Driver: string; Options?: Record<string, string> }>;
  const devices = new Set([bridge]);
  for (const n of nets.filter((x) => x.Driver === 'bridge')) {
    devices.add(n.Options?.['com.docker.network.bridge.name'] || `br-${n.Id.slice(0, 12)}`);
  }
  const have = links(`berth:${bridge}`);
  const rules = execFileSync('iptables-save', ['-t', 'filter'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(`-A BERTH-FWD-${bridge} `));
  const ruled = new Set(rules.map((l) => / -[io] (\S+)/.exec(l)?.[1]).filter((x): x is string => !!x));
  for (const dev of devices) {
    if (dev !== bridge && have.get(dev) !== 'bridge') problems.push(`network bridge ${dev} is missing`);
    if (!ruled.has(dev)) problems.push(`network bridge ${dev} has no forwarding rules`);
  }
  for (const [name, kind] of have) if (kind === 'bridge' && !devices.has(name)) problems.push(`bridge ${name} has no network`);
  for (const dev of ruled) if (!devices.has(dev)) problems.push(`forwarding rules for ${dev}, which has no network`);
  const running = ((await json(d, '/containers/json')).body ?? []) as Array<{ NetworkSettings?: { Networks?: Record<string, unknown> } }>;
  const endpoints = running.reduce((a, c) => a + Object.keys(c.NetworkSettings?.Networks ?? {}).filter((n) => n !== 'host' && n !== 'none').length, 0);
  const veths = [...have.values()].filter((k) => k === 'veth').length;
  if (veths > endpoints) problems.push(`${veths} veths for ${endpoints} endpoints of running containers`);
  const vols = new Set((((await json(d, '/volumes')).body?.Volumes ?? []) as Array<{ Name: string }>).map((v) => v.Name));
  const root = join(d.dataRoot, 'volumes');
  for (const v of vols) if (!existsSync(join(root, v, '_data'))) problems.push(`volume ${v} has no directory`);
  for (const e of ls(root)) if (!vols.has(e) && existsSync(join(root, e, '_data'))) problems.push(`volume directory ${e} has no volume`);
  return problems;
}

/** Exited containers seen at the last audit: still exited since (same FinishedAt) means the same code. */
export class ExitMemory {
  #seen = new Map<string, { finished: string; code: number }>();

  async check(d: PrivateDaemon, ids: string[]): Promise<string[]> {
    const problems: string[] = [];
    const next = new Map<string, { finished: string; code: number }>();
    for (const id of ids) {
      const i = await json(d, `/containers/${id}/json`);
      if (i.status !== 200 || i.body.State.Status !== 'exited') continue;
      const now = { finished: i.body.State.FinishedAt as string, code: i.body.State.ExitCode as number };
      const was = this.#seen.get(id);
      if (was && was.finished === now.finished && was.code !== now.code) problems.push(`exited container ${short(id)} had code ${was.code}, now ${now.code}`);
      next.set(id, now);
    }
    this.#seen = next;
    return problems;
  }
}
