// The mixed workload the kill -9 loop runs against a private berthd:
// run, create, start, stop, rm -f, run --rm, tag/rmi and import, chosen at
// random (seeded) by a few concurrent workers until told to stop. Requests
// cut by the daemon's death simply fail; the loop audits what is left.

import http from 'node:http';
import { pack } from 'tar-stream';

export interface ApiResult {
  status: number;
  body: string;
}

/** One Engine API request; a Buffer body is sent as is (import), anything else as JSON. */
export function call(socketPath: string, method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<ApiResult> {
  return new Promise((resolve, reject) => {
    const raw = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = raw === undefined ? {} : {
      'content-type': Buffer.isBuffer(body) ? 'application/x-tar' : 'application/json', 'content-length': raw.length,
    };
    const req = http.request({ socketPath, method, path, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(raw);
  });
}

/** A one-file layer tar for `import`. */
export async function tinyTar(text: string): Promise<Buffer> {
  const p = pack();
  p.entry({ name: 'hello.txt', mode: 0o644 }, text);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** mulberry32 (shared with the API fuzzer): a small seeded generator, so a failing run can be replayed. */
export { rng as seeded } from '../test/helpers/api-fuzz.ts';

export interface WorkloadStats {
  ops: number;
  failed: number;
  /** Every container id a create returned (removed ones included). */
  ids: Set<string>;
  byOp: Record<string, number>;
}

interface Listed { Id: string; State: string }

export class Workload {
  readonly stats: WorkloadStats = { ops: 0, failed: 0, ids: new Set(), byOp: {} };
  #socket: () => string;
  #rand: () => number;
  #n = 0;

  constructor(socket: () => string, rand: () => number) {
    this.#socket = socket;
    this.#rand = rand;
  }

  #pick<T>(xs: T[]): T | undefined {
    return xs.length ? xs[Math.floor(this.#rand() * xs.length)] : undefined;
  }

  async #create(body: Record<string, unknown>): Promise<string | null> {
    const r = await call(this.#socket(), 'POST', '/containers/create', { Image: 'busybox', ...body });
    if (r.status !== 201) return null;
    const id = JSON.parse(r.body).Id as string;
    this.stats.ids.add(id);
    return id;
  }

  async #list(): Promise<Listed[]> {
    const r = await call(this.#socket(), 'GET', '/containers/json?all=1');
    return r.status === 200 ? JSON.parse(r.body) as Listed[] : [];
  }

  /** One random operation. Throws when the daemon went away mid-request. */
  async step(): Promise<void> {
    const s = this.#socket();
    const list = await this.#list();
    const running = list.filter((c) => c.State === 'running');
    const stopped = list.filter((c) => c.State !== 'running');
    const r = this.#rand();
    const n = ++this.#n;
    let op: string;
    if (list.length > 10 || r < 0.15) {
      op = 'rm -f';
      const c = this.#pick(list);
      if (c) await call(s, 'DELETE', `/containers/${c.Id}?force=1`);
    } else if (r < 0.35) {
      op = 'run';
      const long = this.#rand() < 0.6;
      const id = await this.#create({ Cmd: long ? ['sleep', '1000'] : ['sh', '-c', `sleep 0.${Math.floor(this.#rand() * 9)}`] });
      if (id) await call(s, 'POST', `/containers/${id}/start`);
    } else if (r < 0.45) {
      op = 'create';
      await this.#create({ Cmd: ['sleep', '1000'] });
    } else if (r < 0.55) {
      op = 'start';
      const c = this.#pick(stopped);
      if (c) await call(s, 'POST', `/containers/${c.Id}/start`);
    } else if (r < 0.65) {
      op = 'stop';
      const c = this.#pick(running);
      if (c) await call(s, 'POST', `/containers/${c.Id}/stop?t=1`);
    } else if (r < 0.75) {
      op = 'run --rm';
      const id = await this.#create({ Cmd: ['true'], HostConfig: { AutoRemove: true } });
      if (id) await call(s, 'POST', `/containers/${id}/start`);
    } else if (r < 0.85) {
      op = 'tag/rmi';
      const tag = `k9:t${n % 5}`;
      if (this.#rand() < 0.5) await call(s, 'POST', `/images/busybox/tag?repo=k9&tag=t${n % 5}`);
      else await call(s, 'DELETE', `/images/${encodeURIComponent(tag)}`);
    } else {
      op = 'import';
      const tar = await tinyTar(`import ${n}\n`);
      await call(s, 'POST', `/images/create?fromSrc=-&repo=k9imp&tag=i${n % 4}`, tar);
    }
    this.stats.byOp[op] = (this.stats.byOp[op] ?? 0) + 1;
    this.stats.ops += 1;
  }

  /** Runs `workers` loops of steps until `stop` resolves; requests the kill cuts just fail. */
  async run(workers: number, stop: Promise<void>): Promise<void> {
    let stopped = false;
    void stop.then(() => { stopped = true; });
    const loop = async () => {
      while (!stopped) {
        try {
          await this.step();
        } catch {
          this.stats.failed += 1;
          if (!stopped) await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
  }
}
