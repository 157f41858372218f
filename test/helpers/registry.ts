// Registries on loopback for tests and benchmarks: `berth registry serve`
// as a real process, and the reference registry (Debian docker-registry,
// the distribution project) with its own root and port.
//
//   const reg = await startBerthRegistry();
//   try { ...reg.host ("127.0.0.1:PORT")... } finally { await reg.stop(); }

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
export const REFERENCE_REGISTRY = '/usr/bin/docker-registry';

export interface RunningRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  url: string;
  root: string;
  pid: number;
  /** Everything the process printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function track(child: ChildProcess): () => string {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  return () => out;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

async function waitUp(url: string, child: ChildProcess, output: () => string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`registry exited ${child.exitCode}: ${output()}`);
    // A self-signed https registry cannot be fetched with verification: its own start line says it listens.
    if (url.startsWith('https:') && output().includes('registry listening on')) return;
    try {
      const r = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await r.body?.cancel();
      if (r.status === 200 || r.status === 401) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`registry at ${url} did not come up: ${output()}`);
}

export async function startBerthRegistry(opts: { args?: string[]; root?: string; scheme?: 'http' | 'https' } = {}): Promise<RunningRegistry> {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'berth-reg-'));
  const port = await freePort();
  const child = spawn(join(REPO, 'bin/berth'), ['registry', 'serve', '--listen', `127.0.0.1:${port}`, '--root', root, ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = track(child);
  const url = `${opts.scheme ?? 'http'}://127.0.0.1:${port}`;
  try {
    await waitUp(url, child, output);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    host: `127.0.0.1:${port}`, url, root, pid: child.pid!, output,
    async stop() {
      await stopChild(child);
      if (!opts.root) rmSync(root, { recursive: true, force: true });
    },
  };
}

export const haveReferenceRegistry = (): boolean => existsSync(REFERENCE_REGISTRY);

/** The distribution project's registry with filesystem storage and deletion enabled. */
export async function startReferenceRegistry(extraYaml = ''): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'ref-reg-'));
  const port = await freePort();
  const debugPort = await freePort();
  writeFileSync(join(dir, 'config.yml'), [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dir}/data`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  debug:',
    `    addr: 127.0.0.1:${debugPort}`,
    extraYaml,
  ].join('\n'));
  const child = spawn(REFERENCE_REGISTRY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = track(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUp(url, child, output);
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    host: `127.0.0.1:${port}`, url, root: dir, pid: child.pid!, output,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
