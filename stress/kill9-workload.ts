// The mixed workload the kill -9 loop runs against a private berthd, chosen
// at random (seeded) by a few concurrent workers until told to stop:
// containers (run, create, start, stop, rm -f, run --rm, exec, commit),
// images (tag, rmi, import, build, pull and push through a local
// registry), volumes and networks (create, connect, rm). Requests cut by
// the daemon's death simply fail; every call that answered success is
// recorded in the AckModel (kill9-model.ts) for the audit to check.
// The container operations are here, the others in kill9-ops.ts.

import http from 'node:http';
import { pack } from 'tar-stream';
import { AckModel, type ContainerModel } from './kill9-model.ts';
import { imageOps, resourceOps, type OpContext } from './kill9-ops.ts';

export interface ApiResult {
  status: number;
  body: string;
}

/** One Engine API request; a Buffer body is sent as is (a tar: import, build), anything else as JSON. */
export function call(socketPath: string, method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<ApiResult> {
  return new Promise((resolve, reject) => {
    const raw = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = raw === undefined ? {} : {
      'content-type': Buffer.isBuffer(body) ? 'application/x-tar' : 'application/json', 'content-length': raw.length,
    };
    // agent: false: a pooled keep-alive connection the daemon closed (or died with) answers a reuse with EPIPE.
    const req = http.request({ socketPath, method, path, headers, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error(`${method} ${path}: response cut`)));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(raw);
  });
}

/** A tar of the given files (name -> text). */
export async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, text] of Object.entries(files)) p.entry({ name, mode: 0o644 }, text);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A one-file layer tar for `import`. */
export function tinyTar(text: string): Promise<Buffer> {
  return tarOf({ 'hello.txt': text });
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

export interface WorkloadOptions {
  /** "127.0.0.1:PORT" of a registry holding k9/base:latest, or none (no pull/push). */
  registry?: string;
}

type Op = { name: string; weight: number; run: () => Promise<void> };

export class Workload {
  readonly stats: WorkloadStats = { ops: 0, failed: 0, ids: new Set(), byOp: {} };
  readonly model = new AckModel();
  readonly #ctx: OpContext;
  readonly #ops: Op[];

  constructor(socket: () => string, rand: () => number, opts: WorkloadOptions = {}) {
    let n = 0;
    this.#ctx = {
      socket, rand, model: this.model, registry: opts.registry, next: () => ++n,
      pick: <T>(xs: T[]) => (xs.length ? xs[Math.floor(rand() * xs.length)] : undefined),
      inspectId: async (ref: string) => {
        const r = await call(socket(), 'GET', `/images/${encodeURIComponent(ref)}/json`);
        return r.status === 200 ? JSON.parse(r.body).Id as string : r.status === 404 ? null : '';
      },
    };
    this.#ops = [
      { name: 'rm -f', weight: 8, run: () => this.#rm() },
      { name: 'run', weight: 12, run: () => this.#run(true) },
      { name: 'create', weight: 4, run: () => this.#run(false) },
      { name: 'start', weight: 5, run: () => this.#start() },
      { name: 'stop', weight: 5, run: () => this.#stop() },
      { name: 'run --rm', weight: 3, run: () => this.#runRm() },
      { name: 'exec', weight: 7, run: () => this.#exec() },
      ...imageOps(this.#ctx),
      ...resourceOps(this.#ctx),
    ].filter((o) => o.weight > 0);
  }

  get #s(): string { return this.#ctx.socket(); }

  async #create(body: Record<string, unknown>, long: boolean, code: number): Promise<string | null> {
    const r = await call(this.#s, 'POST', '/containers/create', { Image: 'busybox', ...body });
    if (r.status !== 201) return null;
    const id = JSON.parse(r.body).Id as string;
    this.stats.ids.add(id);
    this.model.containers.set(id, { expect: { state: 'created' }, long, code, networks: new Set(), execFiles: [] });
    this.model.ack('container create');
    return id;
  }

  /** Runs fn on a random unclaimed container matching pred, with its expectation unknown meanwhile. */
  async #onContainer(pred: (c: ContainerModel) => boolean, fn: (id: string, c: ContainerModel) => Promise<void>): Promise<void> {
    const id = this.#ctx.pick(this.model.pickable(pred));
    if (!id) return;
    await this.model.with(`c:${id}`, async () => {
      const c = this.model.containers.get(id)!;
      // Unknown until acknowledged: a refused or cut call is re-based by the next audit.
      c.expect = { state: 'unknown' };
      await fn(id, c);
    });
  }

  async #rm(): Promise<void> {
    await this.#onContainer(() => true, async (id, c) => {
      const r = await call(this.#s, 'DELETE', `/containers/${id}?force=1&v=1`);
      if (r.status === 204) {
        c.expect = { state: 'absent' };
        this.model.ack('container rm');
      }
    });
  }

  async #run(start: boolean): Promise<void> {
    const n = this.#ctx.next();
    const long = !start || this.#ctx.rand() < 0.6;
    const code = n % 5;
    const body: Record<string, unknown> = { Cmd: long ? ['sleep', '1000'] : ['sh', '-c', `sleep 0.${Math.floor(this.#ctx.rand() * 9)}; exit ${code}`] };
    const host: Record<string, unknown> = {};
    const vol = this.#ctx.pick(this.model.present(this.model.volumes, 'v:'));
    if (vol && this.#ctx.rand() < 0.3 && this.model.claim(`v:${vol}`)) {
      // A volume in use cannot be removed: held only for the create (rm of a used volume answers 409).
      host.Binds = [`${vol}:/data`];
      if (!long) body.Cmd = ['sh', '-c', `echo ${n} > /data/c${n}; exit ${code}`];
    }
    const net = this.#ctx.pick(this.model.present(this.model.networks, 'n:'));
    if (net && this.#ctx.rand() < 0.3 && this.model.claim(`n:${net}`)) host.NetworkMode = net;
    let id: string | null;
    try {
      id = await this.#create({ ...body, HostConfig: host }, long, code);
    } finally {
      if (host.Binds) this.model.release(`v:${vol}`);
      if (host.NetworkMode) this.model.release(`n:${net}`);
    }
    if (!id || !start) return;
    if (host.NetworkMode) this.model.containers.get(id)!.networks.add(net!);
    await this.model.with(`c:${id}`, async () => {
      const c = this.model.containers.get(id)!;
      c.expect = { state: 'unknown' };
      const r = await call(this.#s, 'POST', `/containers/${id}/start`);
      if (r.status === 204) {
        c.expect = long ? { state: 'running' } : { state: 'short', code };
        this.model.ack('container start');
      } else {
        c.expect = { state: 'created' };
      }
    });
  }

  async #start(): Promise<void> {
    await this.#onContainer((c) => c.expect.state === 'created' || c.expect.state === 'exited', async (id, c) => {
      const r = await call(this.#s, 'POST', `/containers/${id}/start`);
      if (r.status === 204) {
        c.expect = c.long ? { state: 'running' } : { state: 'short', code: c.code };
        this.model.ack('container start');
      }
    });
  }

  async #stop(): Promise<void> {
    await this.#onContainer((c) => c.expect.state === 'running', async (id, c) => {
      const r = await call(this.#s, 'POST', `/containers/${id}/stop?t=1`);
      if (r.status !== 204) return;
      // Claimed: nothing else touches it, so what inspect says now is what the stop left.
      const i = await call(this.#s, 'GET', `/containers/${id}/json`);
      const s = JSON.parse(i.body).State;
      if (s.Status !== 'exited') {
        this.model.problems.push(`stop of ${id.slice(0, 12)} answered 204 but the container is ${s.Status}`);
        return;
      }
      c.expect = { state: 'exited', code: s.ExitCode as number };
      this.model.ack('container stop');
    });
  }

  async #runRm(): Promise<void> {
    const r = await call(this.#s, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true } });
    if (r.status !== 201) return;
    const id = JSON.parse(r.body).Id as string;
    this.stats.ids.add(id);
    await call(this.#s, 'POST', `/containers/${id}/start`);
  }

  async #exec(): Promise<void> {
    await this.#onContainer((c) => c.expect.state === 'running', async (id, c) => {
      const n = this.#ctx.next();
      const file = `k9-exec-${n}`;
      const e = await call(this.#s, 'POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', `echo ${n} > /${file}`], AttachStdout: true, AttachStderr: true });
      if (e.status !== 201) { c.expect = { state: 'running' }; return; }
      const execId = JSON.parse(e.body).Id as string;
      await call(this.#s, 'POST', `/exec/${execId}/start`, { Detach: false, Tty: false });
      const i = await call(this.#s, 'GET', `/exec/${execId}/json`);
      c.expect = { state: 'running' };
      if (i.status === 200 && JSON.parse(i.body).ExitCode === 0) {
        c.execFiles.push(file);
        this.model.ack('exec');
      }
    });
  }

  /** One random operation. Throws when the daemon went away mid-request. */
  async step(): Promise<void> {
    const live = this.model.pickable(() => true).length;
    let op: Op;
    if (live > 12) op = this.#ops.find((o) => o.name === 'rm -f')!;
    else {
      const total = this.#ops.reduce((a, o) => a + o.weight, 0);
      let r = this.#ctx.rand() * total;
      op = this.#ops.find((o) => (r -= o.weight) < 0) ?? this.#ops[0]!;
    }
    this.stats.byOp[op.name] = (this.stats.byOp[op.name] ?? 0) + 1;
    await op.run();
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
