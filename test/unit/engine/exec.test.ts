// The exec service with a fake runtime: container state checks with
// dockerd's messages, env and defaults, the session lifecycle and events,
// output ending only after the exit is recorded, resize waiting for start.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttachOutput, ContainerRecord, ContainerStatus } from '../../../src/core/container.ts';
import { internal, isCode, notFound } from '../../../src/core/errors.ts';
import type { ExecConfig, ExecRuntime, RuntimeExecOptions, RuntimeExecProcess, TerminalSize } from '../../../src/core/exec.ts';
import { nullLogger } from '../../../src/core/logger.ts';
import type { ExitStatus } from '../../../src/core/runtime.ts';
import { ExecEngine } from '../../../src/engine/containers/exec.ts';
import { EventBus } from '../../../src/engine/events.ts';

const CID = 'c'.repeat(64);

function record(status: ContainerStatus): ContainerRecord {
  return {
    id: CID, name: 'web', created: '', imageId: 'sha256:x', path: 'sleep', args: ['1'],
    config: {
      hostname: 'cccccccccccc', domainname: '', user: 'app', attachStdin: false, attachStdout: false, attachStderr: false,
      tty: false, openStdin: false, stdinOnce: false, env: ['PATH=/custom', 'A=ctr', 'B=ctr'], cmd: ['sleep', '1'], entrypoint: null,
      image: 'busybox', workingDir: '/srv', labels: { team: 'x' },
    },
    hostConfig: {} as ContainerRecord['hostConfig'],
    state: { status, pid: 1, exitCode: 0, error: '', oomKilled: false, startedAt: '', finishedAt: '' },
    restartCount: 0, driver: 'overlay', mountLabel: '', mounts: [], logPath: '', resolvConfPath: '', hostnamePath: '', hostsPath: '',
  };
}

class FakeProc implements RuntimeExecProcess {
  readonly pid = 777;
  readonly io = { write: (c: Buffer) => { this.input.push(c); }, closeStdin: () => { this.stdinClosed = true; }, detach: () => { this.detached = true; } };
  input: Buffer[] = [];
  stdinClosed = false;
  detached = false;
  sizes: TerminalSize[] = [];
  killed: string[] = [];
  readonly exited: Promise<ExitStatus>;
  exit!: (code: number) => void;
  constructor() {
    this.exited = new Promise((r) => { this.exit = (code) => r({ exitCode: code, finishedAt: new Date() }); });
  }
  async resize(size: TerminalSize) { this.sizes.push(size); }
  kill(signal: NodeJS.Signals) { this.killed.push(signal); }
}

class FakeRuntime implements ExecRuntime {
  calls: RuntimeExecOptions[] = [];
  procs: FakeProc[] = [];
  fail: Error | null = null;
  gate: Promise<void> = Promise.resolve();
  async exec(opts: RuntimeExecOptions): Promise<RuntimeExecProcess> {
    this.calls.push(opts);
    await this.gate;
    if (this.fail) throw this.fail;
    const p = new FakeProc();
    this.procs.push(p);
    return p;
  }
}

function setup(status: ContainerStatus = 'running') {
  const rec = record(status);
  const events = new EventBus();
  const seen: string[] = [];
  events.subscribe((e) => seen.push(`${e.action}|${e.attributes.execID ? 'id' : '-'}|${e.attributes.exitCode ?? ''}`));
  const runtime = new FakeRuntime();
  const containers = {
    get: (id: string) => (id === rec.id ? rec : undefined),
    resolve: (ref: string) => {
      if (ref === 'web' || ref === rec.id) return rec;
      throw notFound(`No such container: ${ref}`);
    },
  };
  const engine = new ExecEngine({ containers, runtime, events, logger: nullLogger });
  return { rec, events, seen, runtime, engine };
}

function config(over: Partial<ExecConfig> = {}): ExecConfig {
  return {
    cmd: ['sh', '-c', 'exit 3'], env: [], user: '', workingDir: '', tty: false, privileged: false,
    attachStdin: false, attachStdout: true, attachStderr: true, detachKeys: '', ...over,
  };
}

function collector() {
  const chunks: string[] = [];
  let ended = false;
  const out: AttachOutput = { data: (s, c) => { chunks.push(`${s}:${c.toString()}`); }, end: () => { ended = true; } };
  return { out, chunks, get ended() { return ended; } };
}

test('create refuses containers that cannot exec, with dockerd\'s messages', async () => {
  for (const [status, message] of [
    ['exited', `Container ${CID} is not running`],
    ['created', `Container ${CID} is not running`],
    ['paused', 'Container web is paused, unpause the container before exec'],
    ['restarting', `Container ${CID} is restarting, wait until the container is running`],
  ] as const) {
    const { engine } = setup(status);
    await assert.rejects(engine.create('web', config()), (e: Error) => isCode(e, 'conflict') && e.message === message, status);
  }
  const { engine } = setup();
  await assert.rejects(engine.create('nosuch', config()), (e: Error) => isCode(e, 'not_found'));
  await assert.rejects(engine.create('web', config({ cmd: [] })), (e: Error) => isCode(e, 'invalid_argument') && e.message === 'No exec command specified');
});

test('a session runs once: env, defaults, output, exit recorded before the output ends, events', async () => {
  const { engine, runtime, seen } = setup();
  const { id } = await engine.create('web', config({ env: ['B=exec', 'C=exec', 'A'], tty: true }));
  assert.deepEqual(engine.inspect(id), {
    id, containerId: CID, entrypoint: 'sh', arguments: ['-c', 'exit 3'], user: 'app', tty: true, privileged: false,
    openStdin: false, openStdout: true, openStderr: true, detachKeys: '', running: false, exitCode: null, pid: 0,
  });
  const c = collector();
  await engine.start(id, { detach: false, consoleSize: { height: 5, width: 6 } }, c.out);
  const call = runtime.calls[0]!;
  assert.deepEqual(call.env, ['PATH=/custom', 'HOSTNAME=cccccccccccc', 'TERM=xterm', 'B=exec', 'C=exec'], 'dockerd: defaults, container env, exec env; "A" unsets');
  assert.equal(call.user, 'app');
  assert.equal(call.cwd, '/srv');
  assert.deepEqual(call.consoleSize, { height: 5, width: 6 });
  assert.equal(call.openStdin, false);
  const view = engine.inspect(id);
  assert.equal(view.running, true);
  assert.equal(view.pid, 777);

  call.sink!.data('stdout', Buffer.from('o'));
  call.sink!.data('stderr', Buffer.from('e'));
  call.sink!.end();
  await new Promise((r) => setImmediate(r));
  assert.equal(c.ended, false, 'not before the exit code is known');
  runtime.procs[0]!.exit(3);
  await new Promise((r) => setImmediate(r));
  assert.equal(c.ended, true);
  assert.deepEqual(c.chunks, ['stdout:o', 'stderr:e']);
  assert.equal(engine.inspect(id).exitCode, 3);
  assert.equal(engine.inspect(id).running, false);
  assert.deepEqual(seen, ['exec_create: sh -c exit 3|id|', 'exec_start: sh -c exit 3|id|', 'exec_die|id|3']);
  await assert.rejects(engine.start(id, { detach: true }), (e: Error) => isCode(e, 'conflict') && e.message === `Error: Exec command ${id} has already run`);
});

test('only the streams asked for reach the client; stdin only with AttachStdin', async () => {
  const { engine, runtime } = setup();
  const { id } = await engine.create('web', config({ attachStderr: false, attachStdin: true }));
  const c = collector();
  const s = await engine.start(id, { detach: false }, c.out);
  const call = runtime.calls[0]!;
  assert.equal(call.openStdin, true);
  call.sink!.data('stderr', Buffer.from('hidden'));
  call.sink!.data('stdout', Buffer.from('shown'));
  s.write(Buffer.from('in'));
  s.closeStdin();
  assert.deepEqual(c.chunks, ['stdout:shown']);
  assert.equal(runtime.procs[0]!.input.toString(), 'in');
  assert.equal(runtime.procs[0]!.stdinClosed, true);
  s.detach();
  assert.equal(c.ended, true, 'detaching ends the client\'s stream');
  assert.equal(runtime.procs[0]!.detached, true);
});

test('a start that fails leaves ExitCode 126 and no exec_die; a stopped container fails at start too', async () => {
  const { engine, runtime, seen, rec } = setup();
  runtime.fail = internal('OCI runtime exec failed: boom: unknown');
  const { id } = await engine.create('web', config());
  await assert.rejects(engine.start(id, { detach: true }), /boom/);
  assert.equal(engine.inspect(id).exitCode, 126);
  assert.equal(engine.inspect(id).running, false);
  assert.ok(!seen.some((e) => e.startsWith('exec_die')));
  runtime.fail = null;
  const second = await engine.create('web', config());
  rec.state.status = 'exited';
  await assert.rejects(engine.start(second.id, { detach: true }), (e: Error) => isCode(e, 'conflict') && e.message === `Container ${CID} is not running`);
  assert.equal(engine.inspect(second.id).exitCode, 126);
});

test('resize waits for a session that is starting; a finished one is not found', async () => {
  const { engine, runtime } = setup();
  let open!: () => void;
  runtime.gate = new Promise((r) => { open = r; });
  const { id } = await engine.create('web', config({ tty: true }));
  const started = engine.start(id, { detach: true });
  const resized = engine.resize(id, { height: 10, width: 20 });
  open();
  await started;
  await resized;
  assert.deepEqual(runtime.procs[0]!.sizes, [{ height: 10, width: 20 }]);
  runtime.procs[0]!.exit(0);
  await new Promise((r) => setImmediate(r));
  await assert.rejects(engine.resize(id, { height: 1, width: 1 }), (e: Error) => isCode(e, 'not_found'));
  await assert.rejects(engine.resize('nosuch', { height: 1, width: 1 }), (e: Error) => isCode(e, 'not_found') && e.message === 'No such exec instance: nosuch');
});

test('sessions go with their container', async () => {
  const { engine, events } = setup();
  const { id } = await engine.create('web', config());
  events.emit('container', 'destroy', CID, {});
  assert.throws(() => engine.inspect(id), (e: Error) => isCode(e, 'not_found'));
});

test('ExecIDs: sessions created or running, oldest first; an ended one leaves the list; the die of the container forgets the never-started ones (dockerd 20.10)', async () => {
  const { engine, events, runtime } = setup();
  assert.deepEqual(engine.execIds(CID), []);
  const a = await engine.create('web', config());
  const b = await engine.create('web', config());
  const never = await engine.create('web', config());
  assert.deepEqual(engine.execIds(CID), [a.id, b.id, never.id]);
  await engine.start(a.id, { detach: true });
  await engine.start(b.id, { detach: true });
  runtime.procs[0]!.exit(0);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(engine.execIds(CID), [b.id, never.id], 'the ended session is no longer listed');
  assert.equal(engine.inspect(a.id).exitCode, 0, 'but still inspectable');
  events.emit('container', 'die', CID, { exitCode: '137' });
  assert.throws(() => engine.inspect(never.id), (e: Error) => isCode(e, 'not_found') && e.message === `No such exec instance: ${never.id}`);
  assert.deepEqual(engine.execIds(CID), [b.id], 'a running one ends on its own');
  runtime.procs[1]!.exit(137);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(engine.execIds(CID), []);
  assert.equal(engine.inspect(b.id).exitCode, 137);
});
