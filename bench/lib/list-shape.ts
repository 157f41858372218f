// berthd's `GET /containers/json` entries beside dockerd's, at the API
// version dockerd 20.10 speaks (1.41): which fields only one side sends, or
// sends with another JSON type, and the bytes per entry. A field the docker
// CLI must decode and dockerd does not send is a cost berthd adds to `ps`.

import { apiRequest } from '../../test/helpers/api.ts';
import { DOCKER_CLI, type PrivateDaemon, run } from '../../test/helpers/daemon.ts';

export interface ShapeReport {
  text: string;
  onlyBerthd: string[];
  onlyDockerd: string[];
  typeDiffers: string[];
}

const VERSION = '1.41';

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** "path: type" for every field, arrays by their first element, network names as "*". */
export function fieldPaths(v: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(v)) {
    if (v.length) fieldPaths(v[0], `${prefix}[]`, out);
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const path = prefix.endsWith('.Networks') ? `${prefix}.*` : prefix ? `${prefix}.${k}` : k;
      out.set(path, jsonType(x));
      fieldPaths(x, path, out);
    }
  }
  return out;
}

async function listAt(d: PrivateDaemon): Promise<{ entries: unknown[]; bytes: number }> {
  const r = await apiRequest(d.socket, 'GET', `/v${VERSION}/containers/json`, { timeout: 120_000 });
  if (r.status !== 200) throw new Error(`${d.kind}: list at ${VERSION}: ${r.status} ${r.body}`);
  return { entries: JSON.parse(r.body) as unknown[], bytes: Buffer.byteLength(r.body) };
}

/** Runs n `busybox sleep` containers (`--network none`) on a private dockerd and compares its list entry with berthd's. */
export async function compareListShapes(berthd: PrivateDaemon, n: number, startDockerd: () => Promise<PrivateDaemon>): Promise<ShapeReport> {
  const docker = await startDockerd();
  try {
    const version = (await run(DOCKER_CLI, ['version', '-f', '{{.Server.Version}}'], { env: docker.env })).stdout.trim();
    for (let i = 0; i < n; i++) {
      const r = await run(DOCKER_CLI, ['run', '-d', '--network', 'none', '--name', `ps${i}`, 'busybox', 'sleep', '1000000'], { env: docker.env, timeout: 120_000 });
      if (r.code !== 0) throw new Error(`dockerd: run ps${i}: ${r.stderr}`);
    }
    const b = await listAt(berthd);
    const d = await listAt(docker);
    const bf = fieldPaths(b.entries[0]);
    const df = fieldPaths(d.entries[0]);
    const onlyBerthd = [...bf.keys()].filter((k) => !df.has(k));
    const onlyDockerd = [...df.keys()].filter((k) => !bf.has(k));
    const typeDiffers = [...bf.keys()].filter((k) => df.has(k) && df.get(k) !== bf.get(k)).map((k) => `${k} (berthd ${bf.get(k)}, dockerd ${df.get(k)})`);
    console.error(`berthd entry at ${VERSION}: ${JSON.stringify(b.entries[0])}\ndockerd entry: ${JSON.stringify(d.entries[0])}`);
    const list = (xs: string[]) => (xs.length ? xs.map((x) => `\`${x}\``).join(', ') : 'none');
    const text = `Against dockerd ${version} (private, ${n} of the same containers), both lists at API ${VERSION}: ` +
      `${(b.bytes / b.entries.length).toFixed(0)} bytes per entry from berthd, ${(d.bytes / d.entries.length).toFixed(0)} from dockerd. ` +
      `Fields only berthd sends: ${list(onlyBerthd)}; only dockerd: ${list(onlyDockerd)}; ` +
      `of another JSON type: ${list(typeDiffers)}.`;
    return { text, onlyBerthd, onlyDockerd, typeDiffers };
  } finally {
    await docker.cleanup().catch((e) => console.error(String(e)));
  }
}
