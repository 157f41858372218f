// The container engine's lifecycle without root: the real engine over the
// fake runtime (test/helpers/fake-runtime.ts, which passes the runtime
// conformance suite), SQLite metadata and a directory snapshotter. The
// expected states, exit codes, refusals and events are dockerd's, checked
// against a private dockerd (test/compat, COMPAT_TARGET=dockerd).

import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { isCode } from '../../../src/core/errors.ts';
import type { AttachOutput } from '../../../src/core/container.ts';
import { EngineWorld, until } from '../../helpers/engine-fixture.ts';

let w: EngineWorld;
beforeEach(() => { w = new EngineWorld(); });
afterEach(async () => { await w.cleanup(); });

const TRAP = (code: number, sig = 'TERM') => ['sh', '-c', `trap 'exit ${code}' ${sig}; echo ready; sleep 1000 & wait`];
const state = async (id: string) => (await w.engine.inspect(id)).state;
const logText = async (id: string) => {
  const { entries } = await w.engine.logs(id, { stdout: true, stderr: true });
  let s = '';
  for await (const e of entries) s += `${e.stream}:${e.data.toString()}`;
  return s;
};
const ready = (id: string) => until(async () => (await logText(id)).includes('ready'), 'the container to be ready');

test('run: created, running with the runtime\'s pid, exited with the code; output in the logs; events create, start, die', async () => {
  const { id } = await w.engine.create({ name: 'web', config: { image: 'busybox', cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] } });
  assert.equal((await state(id)).status, 'created');
  assert.equal(w.snapshotter.keys().includes(id), true, 'the writable snapshot is prepared at create');
  const exit = w.engine.wait(id, 'next-exit');
  await w.engine.start(id);
  assert.deepEqual(await exit, { statusCode: 3 });
  const s = await state(id);
  assert.deepEqual([s.status, s.exitCode, s.pid], ['exited', 3, 0]);
  assert.ok(Date.parse(s.finishedAt) >= Date.parse(s.startedAt));
  assert.deepEqual(await w.engine.wait(id, 'not-running'), { statusCode: 3 }, 'an exited container answers at once');
  assert.equal(await logText(id), 'stdout:out\nstderr:err\n');
  assert.deepEqual(w.actions(id), ['create', 'start', 'die:3']);
  await until(async () => !(await w.runtime.ids()).includes(id), 'the runtime\'s leftovers to go');
  await assert.rejects(w.engine.start('nosuch'), (e) => isCode(e, 'not_found'));
});

test('start of a running container is a 304; a second run of an exited one starts it again', async () => {
  const id = await w.run(['sleep', '1000']);
  const { pid } = await state(id);
  assert.equal(pid, (await w.runtime.state(id))?.pid);
  await assert.rejects(w.engine.start(id), (e) => isCode(e, 'not_modified'));
  await w.engine.kill(id);
  assert.equal((await state(id)).exitCode, 137);
  await w.engine.start(id);
  const again = await state(id);
  assert.equal(again.status, 'running');
  assert.notEqual(again.pid, pid);
});

test('stop: an init without a handler outlives SIGTERM and is killed at the timeout (137); one with a handler exits with its code', async () => {
  const id = await w.run(['sleep', '1000']);
  const t0 = Date.now();
  await w.engine.stop(id, { timeout: 1 });
  assert.ok(Date.now() - t0 >= 900, 'SIGKILL came only at the timeout');
  assert.deepEqual([(await state(id)).status, (await state(id)).exitCode], ['exited', 137]);
  assert.deepEqual(w.actions(id), ['create', 'start', 'kill:15', 'kill:9', 'die:137', 'stop']);
  await assert.rejects(w.engine.stop(id), (e) => isCode(e, 'not_modified'));

  const trapped = await w.run(TRAP(3));
  await ready(trapped);
  await w.engine.stop(trapped, { timeout: 30 });
  assert.equal((await state(trapped)).exitCode, 3);
  assert.deepEqual(w.actions(trapped), ['create', 'start', 'kill:15', 'die:3', 'stop']);

  const custom = await w.run(TRAP(4, 'USR1'), { config: { stopSignal: 'SIGUSR1' } });
  await ready(custom);
  await w.engine.stop(custom, { timeout: 30 });
  assert.equal((await state(custom)).exitCode, 4, 'the container\'s stop signal is sent');
});

test('kill: the signal given; a stopped container is a 409 with dockerd\'s words; an unknown signal a 400', async () => {
  const id = await w.run(TRAP(5, 'USR2'), { name: 'kk' });
  await ready(id);
  await w.engine.kill(id, 'USR2');
  assert.deepEqual(await w.engine.wait(id, 'not-running'), { statusCode: 5 });
  await assert.rejects(w.engine.kill('kk', 'KILL'), (e: Error) => isCode(e, 'conflict') && e.message === `Cannot kill container: kk: Container ${id} is not running`);
  const live = await w.run(['sleep', '1000']);
  await assert.rejects(w.engine.kill(live, 'SIGNOPE'), (e) => isCode(e, 'invalid_argument'));
  assert.equal((await state(live)).status, 'running');
  await w.engine.kill(live);
  assert.deepEqual(w.actions(live), ['create', 'start', 'kill:9', 'die:137']);
});

test('restart: stopped and started again with a new process; RestartCount is the policy\'s only', async () => {
  const id = await w.run(['sleep', '1000']);
  const before = (await state(id)).pid;
  await w.engine.restart(id, { timeout: 0 });
  const s = await state(id);
  assert.equal(s.status, 'running');
  assert.notEqual(s.pid, before);
  assert.equal((await w.engine.inspect(id)).restartCount, 0);
  assert.deepEqual(w.actions(id), ['create', 'start', 'kill:15', 'kill:9', 'die:137', 'stop', 'start', 'restart']);
});

test('pause and unpause: the runtime freezes it, refusals with dockerd\'s words, output waits for the thaw', async () => {
  const id = await w.run(['sh', '-c', 'echo one; sleep 0.3; echo two; sleep 1000']);
  await until(async () => (await logText(id)).includes('one'), 'the first line');
  await w.engine.pause(id);
  assert.equal((await state(id)).status, 'paused');
  assert.equal((await w.runtime.state(id))?.status, 'paused');
  await assert.rejects(w.engine.pause(id), (e: Error) => isCode(e, 'conflict') && e.message === `Container ${id} is already paused`);
  const out: AttachOutput = { data() {}, end() {} };
  await assert.rejects(w.engine.attach(id, { stdin: false, stdout: true, stderr: true, stream: true, logs: false }, out), (e: Error) => isCode(e, 'conflict') && /paused/.test(e.message));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await logText(id), 'stdout:one\n', 'a frozen process writes nothing');
  await w.engine.unpause(id);
  assert.equal((await state(id)).status, 'running');
  await until(async () => (await logText(id)).includes('two'), 'the line after the thaw');
  await assert.rejects(w.engine.unpause(id), (e: Error) => isCode(e, 'conflict') && e.message === `Container ${id} is not paused`);
  const created = (await w.engine.create({ config: { image: 'busybox', cmd: ['true'] } })).id;
  await assert.rejects(w.engine.pause(created), (e: Error) => isCode(e, 'conflict') && e.message === `Container ${created} is not running`);
  assert.deepEqual(w.actions(id), ['create', 'start', 'pause', 'unpause']);
});

test('rm: a running container is a 409 unless forced; forced, it is killed and everything goes; wait removed wakes', async () => {
  const id = await w.run(['sleep', '1000'], { name: 'gone' });
  await assert.rejects(w.engine.remove(id), (e: Error) => isCode(e, 'conflict') && /container is running: stop the container before removing or force remove/.test(e.message));
  const removed = w.engine.wait(id, 'removed');
  await w.engine.remove(id, { force: true });
  assert.deepEqual(await removed, { statusCode: 137 });
  await assert.rejects(w.engine.inspect(id), (e) => isCode(e, 'not_found'));
  assert.equal(w.snapshotter.keys().includes(id), false, 'the snapshot is removed');
  assert.equal((await w.runtime.ids()).includes(id), false, 'nothing is left in the runtime');
  assert.equal(fs.existsSync(`${w.dir}/root/containers/${id}`), false, 'the container\'s directory is removed');
  assert.deepEqual(w.actions(id).slice(-3), ['kill:9', 'die:137', 'destroy']);
  // The name is free again.
  await w.engine.create({ name: 'gone', config: { image: 'busybox', cmd: ['true'] } });
});

test('wait: next-exit waits for a running container, not-running for a created one too, and an abort stops the wait', async () => {
  const id = await w.run(TRAP(9, 'USR1'));
  await ready(id);
  const next = w.engine.wait(id, 'next-exit');
  const notRunning = w.engine.wait(id, 'not-running');
  const ac = new AbortController();
  const aborted = w.engine.wait(id, 'next-exit', ac.signal);
  ac.abort();
  await assert.rejects(aborted);
  await w.engine.kill(id, 'USR1');
  assert.deepEqual(await next, { statusCode: 9 });
  assert.deepEqual(await notRunning, { statusCode: 9 });
});

test('attach before start gets the whole output, then its end; stdin reaches the process', async () => {
  const { id } = await w.engine.create({ config: { image: 'busybox', cmd: ['cat'], openStdin: true, stdinOnce: true, attachStdin: true } });
  const got: string[] = [];
  let ended!: () => void;
  const end = new Promise<void>((r) => { ended = r; });
  const handle = await w.engine.attach(id, { stdin: true, stdout: true, stderr: true, stream: true, logs: false }, { data: (s, c) => { got.push(`${s}:${c}`); }, end: () => ended() });
  await w.engine.start(id);
  handle.write(Buffer.from('hello\n'));
  await until(() => got.join('') === 'stdout:hello\n', 'the echo');
  handle.closeStdin();
  await end;
  assert.deepEqual(await w.engine.wait(id, 'not-running'), { statusCode: 0 });
});

test('a command that cannot be found: a 400, the container stays created with dockerd\'s 127 and error, nothing runs', async () => {
  const { id } = await w.engine.create({ config: { image: 'busybox', cmd: ['no-such-cmd'] } });
  await assert.rejects(w.engine.start(id), (e: Error) => isCode(e, 'invalid_argument') && /executable file not found/.test(e.message));
  const s = await state(id);
  assert.deepEqual([s.status, s.exitCode, s.pid], ['created', 127, 0]);
  assert.match(s.error, /executable file not found/);
  assert.deepEqual(await w.runtime.ids(), []);
  assert.deepEqual(w.actions(id), ['create']);
});

test('a paused container is resumed after its stop signal so the signal lands, like dockerd; other signals stay pending', async () => {
  const id = await w.run(TRAP(3));
  await ready(id);
  await w.engine.pause(id);
  const t0 = Date.now();
  await w.engine.stop(id, { timeout: 30 });
  assert.ok(Date.now() - t0 < 10_000, 'the handler ran: no wait for the timeout');
  assert.deepEqual([(await state(id)).status, (await state(id)).exitCode], ['exited', 3]);
  assert.deepEqual(w.actions(id), ['create', 'start', 'pause', 'kill:15', 'unpause', 'die:3', 'stop']);

  const killed = await w.run(TRAP(4, 'USR1'));
  await ready(killed);
  await w.engine.pause(killed);
  await w.engine.kill(killed, 'USR1');
  assert.deepEqual(await w.engine.wait(killed, 'not-running'), { statusCode: 4 });
  assert.deepEqual(w.actions(killed), ['create', 'start', 'pause', 'kill:10', 'unpause', 'die:4']);

  // With a StopSignal of its own, only that signal (or SIGKILL) thaws it.
  const own = await w.run(TRAP(5, 'USR2'), { config: { stopSignal: 'SIGUSR2' } });
  await ready(own);
  await w.engine.pause(own);
  await w.engine.kill(own, 'USR1');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await state(own)).status, 'paused');
  await w.engine.kill(own, 'KILL');
  assert.deepEqual([(await state(own)).status, (await state(own)).exitCode], ['exited', 137]);
  assert.deepEqual(w.actions(own), ['create', 'start', 'pause', 'kill:10', 'kill:9', 'unpause', 'die:137']);
});
