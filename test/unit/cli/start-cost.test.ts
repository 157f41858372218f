// What `berth` loads to start (docs/benchmarks.md, CLI start time): the
// bundled CLI, one script with one code cache per command (the core and the
// command's chunk), no TypeScript type stripping, no node:http for `version`
// and `ps`, and few built-in modules beyond a bare `node`. Counted
// from inside the process (a --require probe through NODE_OPTIONS), so the
// test does not depend on timing. Also the launcher's choice: an install runs
// the bundle; a checkout whose sources are newer than its build, or with no
// build, runs the sources.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { bundle, cliLoader, type Bundle } from '../../../scripts/bundle-cli.ts';
import { commands } from '../../../src/cli/commands/index.ts';
import { FakeDaemon } from './fake-daemon.ts';
import { CLIENT_API_VERSION } from '../../../src/client/index.ts';

const REPO = join(import.meta.dirname, '../../..');
const NODE = join(REPO, 'node_modules/node/bin/node');
/**
 * Built-in modules `berth version` and `berth ps` may load beyond `node -e 0` (now 1: vm; node:net with
 * node:stream would add 27, node:http 11 more, fs/promises with readline 8).
 */
const MAX_EXTRA_BUILTINS = 2;

const PROBE = `process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
  require('node:fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify({ main: process.argv[1], builtins, cjs: Object.keys(require.cache) }));
});
`;

interface Probe { main: string; builtins: string[]; cjs: string[] }

let bundled: Bundle | undefined;

/** A copy of the launchers with node_modules linked, and a bundle in dist/ when `build`. */
function install(dir: string, build: boolean): void {
  mkdirSync(join(dir, 'bin'));
  for (const f of ['berth', 'berth-launch', 'node24']) cpSync(join(REPO, 'bin', f), join(dir, 'bin', f));
  cpSync(join(REPO, 'src'), join(dir, 'src'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  if (!build) return;
  bundled ??= bundle(REPO);
  for (const [name, text] of bundled.files) {
    mkdirSync(dirname(join(dir, 'dist', name)), { recursive: true });
    writeFileSync(join(dir, 'dist', name), text);
  }
  writeFileSync(join(dir, 'dist/berth.cjs'), cliLoader(bundled.scripts));
  writeFileSync(join(dir, 'dist/.stamp'), '');
}

async function probe(dir: string, cmd: string, args: string[], env: Record<string, string> = {}): Promise<Probe & { stdout: string }> {
  const out = join(dir, `probe-${Math.random().toString(36).slice(2)}.json`);
  const { stdout } = await promisify(execFile)(cmd, args, {
    env: { PATH: process.env.PATH, HOME: dir, NODE_OPTIONS: `--require ${join(dir, 'probe.cjs')}`, PROBE_OUT: out, ...env },
  });
  return { ...JSON.parse(readFileSync(out, 'utf8')) as Probe, stdout };
}

async function setup(t: { after(fn: () => unknown): void }): Promise<{ dir: string; daemon: FakeDaemon }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-start-'));
  writeFileSync(join(dir, 'probe.cjs'), PROBE);
  const daemon = new FakeDaemon();
  daemon.on('GET', /^\/version$/, () => ({ json: { Version: '0.0.1', ApiVersion: '1.47', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' } }));
  daemon.on('GET', /^\/containers\/json$/, () => ({ json: [] }));
  daemon.apiVersion = CLIENT_API_VERSION;
  await daemon.start();
  t.after(async () => {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, daemon };
}

test('an installed berth runs the bundle: one script, no type stripping, no node:net, few built-ins', async (t) => {
  const { dir, daemon } = await setup(t);
  const inst = join(dir, 'inst');
  mkdirSync(inst);
  install(inst, true);
  const bare = await probe(dir, NODE, ['-e', '0']);
  for (const args of [['--version'], ['version'], ['ps']]) {
    const p = await probe(dir, join(inst, 'bin/berth'), args, { DOCKER_HOST: daemon.host });
    const what = `berth ${args.join(' ')}`;
    assert.equal(p.main, join(inst, 'dist/berth.cjs'), what);
    assert.deepEqual(p.cjs.filter((f) => !f.endsWith('/probe.cjs')), [join(inst, 'dist/berth.cjs')], `${what}: one user script`);
    assert.ok(!p.builtins.some((m) => m.includes('amaro')), `${what}: TypeScript stripped at run time`);
    assert.ok(!p.builtins.includes('http'), `${what} loaded node:http`);
    // One request on the daemon's unix socket and the answer on stdout (a pipe here): libuv's pipe handle and
    // the descriptor, not node:net and node:stream (process.stdout on a pipe or a terminal loads both).
    assert.ok(!p.builtins.includes('net') && !p.builtins.includes('stream'), `${what} loaded node:net or node:stream`);
    const extra = p.builtins.filter((m) => !bare.builtins.includes(m));
    assert.ok(extra.length <= MAX_EXTRA_BUILTINS, `${what} loads ${extra.length} built-ins beyond node -e 0: ${extra.join(', ')}`);
  }
  // Each command compiled one script, its own (the core and its chunk: no chunk compiled on its own, not the
  // template engine's), and left one code cache; --version (no command) the core alone.
  const cache = join(inst, 'dist/cache');
  assert.deepEqual(readdirSync(cache).sort(), ['ps.v8', 'root.v8', 'version.v8']);
  const written = new Map(readdirSync(cache).map((f) => [f, statSync(join(cache, f)).mtimeMs]));
  // A chunk beyond the command's own (the template engine, for a format) is still compiled on first use.
  const v = await probe(dir, join(inst, 'bin/berth'), ['version', '--format', '{{.Client.Version}} {{.Server.Version}}'], { DOCKER_HOST: daemon.host });
  assert.equal(v.stdout, `${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version} 0.0.1\n`);
  assert.deepEqual(readdirSync(cache).filter((f) => !written.has(f)), ['version.cli_commands_version-template.v8']);
  await probe(dir, join(inst, 'bin/berth'), ['ps'], { DOCKER_HOST: daemon.host });
  // V8 took the caches (one it refuses is written again at exit).
  for (const [f, mtime] of written) assert.equal(statSync(join(cache, f)).mtimeMs, mtime, `${f} rewritten: V8 refused it`);
  assert.deepEqual(daemon.calls(), ['GET /version', 'GET /containers/json', 'GET /version', 'GET /containers/json']);
  // A daemon at berth's API version: no /_ping before the first request.
  assert.ok(!daemon.requests.some((r) => r.path === '/_ping'), 'a /_ping was sent');
});

test('berth build -q of a folder reads its answer whole: no node:http', async (t) => {
  const { dir, daemon } = await setup(t);
  const id = `sha256:${'cd'.repeat(32)}`;
  daemon.on('POST', /^\/build$/, () => ({ body: `{"stream":"${id}\\n"}\r\n{"aux":{"ID":"${id}"}}\r\n` }));
  const inst = join(dir, 'inst');
  mkdirSync(inst);
  install(inst, true);
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
  const p = await probe(dir, join(inst, 'bin/berth'), ['build', '-q', dir], { DOCKER_HOST: daemon.host });
  assert.equal(p.stdout, `${id}\n`);
  assert.ok(!p.builtins.includes('http'), 'berth build -q loaded node:http');
  assert.deepEqual(daemon.calls(), [`POST /build?q=1&networkmode=default&contextdir=${encodeURIComponent(dir)}`]);
});

test('the core bundle holds what every command runs; commands and the template engine are chunks', () => {
  bundled ??= bundle(REPO);
  const core = bundled.files.get('berth-cli.js')!;
  assert.ok(core.length < 120 * 1024, `core bundle ${core.length} bytes`);
  assert.deepEqual(bundled.core.filter((m) => m.startsWith('src/cli/commands/')), ['src/cli/commands/index.ts']);
  assert.deepEqual(bundled.core.filter((m) => m.startsWith('src/cli/format/template')), []);
  // Streaming (attach, stdcopy, jsonstream, reached through the client's index) is for the commands that stream.
  assert.deepEqual(bundled.core.filter((m) => /^src\/client\/(index|attach|stdcopy|jsonstream)\.ts$/.test(m)), []);
  assert.ok(!bundled.chunks.get('cli_commands_version')!.includes('src/client/attach.ts'));
  assert.ok(bundled.chunks.get('cli_commands_ps')!.includes('src/cli/commands/ps.ts'));
  assert.ok(!bundled.chunks.get('cli_commands_version')!.includes('src/cli/commands/ps.ts'));
  // Modules are numbered, not named by path, and TypeScript's import names are shortened: V8 interns every
  // string of the code it runs, and berth ps's had pushed the isolate's string table over a growth.
  for (const [name, text] of bundled.files) {
    const body = text.slice(text.indexOf('\n') + 1);
    assert.doesNotMatch(body, /require\((['"])\.\.?\//, `${name}: a relative require by path`);
    assert.doesNotMatch(body, /\b[A-Za-z0-9]+_ts_\d+\b/, `${name}: an import named by TypeScript`);
  }
  // ps's and version's default output is printed without the template engine, which they import for --format only.
  for (const chunk of ['cli_commands_ps', 'cli_commands_version']) {
    assert.deepEqual(bundled.chunks.get(chunk)!.filter((m) => /^src\/cli\/format\/(template|formatter)/.test(m)), [], chunk);
  }
});

test('each top-level command and alias has one script: the core and its chunk', () => {
  const b = bundled ??= bundle(REPO);
  const words = commands().flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  assert.deepEqual([...b.scripts.keys()].sort(), [...words].sort());
  const sources = (file: string): string[] => /^\/\/ sources: (.*)\n/.exec(b.files.get(file)!)![1].split(' ');
  /** The numbers of the modules a script defines. */
  const defined = (file: string): number[] => [...b.files.get(file)!.matchAll(/^\[(\d+), function \(/gm)].map((m) => Number(m[1])).sort((x, y) => x - y);
  assert.deepEqual(sources('berth-cli.js'), b.core);
  const ofWord: [string, string][] = [['ps', 'cli_commands_ps'], ['version', 'cli_commands_version'], ['rm', 'cli_commands_lifecycle'], ['remove', 'cli_commands_lifecycle']];
  for (const [word, chunk] of ofWord) {
    const file: string = b.scripts.get(word)!;
    assert.equal(file, `cmd/${chunk}.js`, word);
    // What the loader stats in a checkout: the core's sources and the chunk's.
    assert.deepEqual(sources(file), [...new Set([...b.core, ...b.chunks.get(chunk)!])].sort(), word);
    // The core's modules and the chunk's, once each.
    const both = [...new Set([...defined('berth-cli.js'), ...defined(`chunks/${chunk}.js`)])].sort((x, y) => x - y);
    assert.equal(defined(`chunks/${chunk}.js`).length, b.chunks.get(chunk)!.length, chunk);
    assert.deepEqual(defined(file), both, word);
  }
});

test('a checkout runs its sources when the build is missing or older than them, unless BERTH_PREBUILT', async (t) => {
  const { dir } = await setup(t);
  const fresh = join(dir, 'clone');
  mkdirSync(fresh);
  install(fresh, false);
  mkdirSync(join(fresh, '.git'));
  const src = await probe(dir, join(fresh, 'bin/berth'), ['--version']);
  assert.equal(src.main, join(fresh, 'src/cli/main.ts'), 'no dist/: the sources');
  assert.match(src.stdout, /^berth version /);

  const built = join(dir, 'built');
  mkdirSync(built);
  install(built, true);
  mkdirSync(join(built, '.git'));
  const future = new Date(Date.now() + 60_000);
  utimesSync(join(built, 'src/daemon/main.ts'), future, future);
  assert.equal((await probe(dir, join(built, 'bin/berth'), ['--version'])).main, join(built, 'dist/berth.cjs'), 'a newer source the CLI does not use');
  // A command's own module: the core runs from the build, that command from the sources.
  utimesSync(join(built, 'src/cli/commands/ps.ts'), future, future);
  assert.equal((await probe(dir, join(built, 'bin/berth'), ['--version'])).main, join(built, 'dist/berth.cjs'), 'ps.ts is newer: --version');
  assert.equal((await probe(dir, join(built, 'bin/berth'), ['ps', '--help'])).main, join(built, 'src/cli/main.ts'), 'ps.ts is newer: ps');
  assert.equal((await probe(dir, join(built, 'bin/berth'), ['version', '--help'])).main, join(built, 'dist/berth.cjs'), 'ps.ts is newer: version');
  utimesSync(join(built, 'src/cli/app.ts'), future, future);
  assert.equal((await probe(dir, join(built, 'bin/berth'), ['--version'])).main, join(built, 'src/cli/main.ts'), 'a source newer than the build');
  assert.equal((await probe(dir, join(built, 'bin/berth'), ['--version'], { BERTH_PREBUILT: '1' })).main, join(built, 'dist/berth.cjs'));
  rmSync(join(built, '.git'), { recursive: true });
  assert.equal((await probe(dir, join(built, 'bin/berth'), ['--version'])).main, join(built, 'dist/berth.cjs'), 'an install (no .git) trusts its build');
});
