// What the engine does when a container's process ends, without root (the
// fake runtime, see lifecycle.test.ts): restart policies as dockerd applies
// them, AutoRemove, and exits that happen while
// the daemon is down (live restore over the same runtime and metadata).

import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { EngineWorld, until } from '../../helpers/engine-fixture.ts';

let w: EngineWorld;
beforeEach(() => { w = new EngineWorld(); });
afterEach(async () => { await w.cleanup(); });

const inspect = (id: string) => w.engine.inspect(id);
const starts = (id: string) => w.actions(id).filter((a) => a === 'start').length;

test('on-failure:2 restarts a failing container twice with the back-off, then leaves it exited (dockerd: exited 1, RestartCount 2)', async () => {
  const id = await w.run(['false'], { hostConfig: { restartPolicy: { name: 'on-failure', maximumRetryCount: 2 } } });
  await until(() => starts(id) === 3 && w.actions(id).filter((a) => a === 'die:1').length === 3, 'two restarts');
  await new Promise((r) => setTimeout(r, 600));
  const v = await inspect(id);
  assert.deepEqual([v.state.status, v.state.exitCode, v.restartCount], ['exited', 1, 2]);
  assert.equal(starts(id), 3, 'no third restart');
});

test('on-failure leaves a clean exit alone; no policy restarts nothing', async () => {
  const ok = await w.run(['true'], { hostConfig: { restartPolicy: { name: 'on-failure', maximumRetryCount: 0 } } });
  const none = await w.run(['false']);
  await w.engine.wait(ok, 'not-running');
  await w.engine.wait(none, 'not-running');
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(starts(ok), 1);
  assert.equal(starts(none), 1);
  assert.equal((await inspect(ok)).restartCount, 0);
});

test('always restarts after a clean exit, counting each; a stop by the user ends it for good', async () => {
  const id = await w.run(['sh', '-c', 'sleep 0.05'], { hostConfig: { restartPolicy: { name: 'always', maximumRetryCount: 0 } } });
  await until(() => starts(id) >= 3, 'two policy restarts');
  await until(async () => (await inspect(id)).state.status === 'running', 'a run');
  await w.engine.stop(id, { timeout: 0 });
  const count = (await inspect(id)).restartCount;
  assert.ok(count >= 2);
  await new Promise((r) => setTimeout(r, 800));
  const v = await inspect(id);
  assert.equal(v.state.status, 'exited');
  assert.equal(v.restartCount, count, 'no restart after the stop');
});

test('unless-stopped: a kill by the user is a manual stop too; a start by the user runs it under its policy again', async () => {
  const id = await w.run(['sleep', '1000'], { hostConfig: { restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 } } });
  await w.engine.kill(id);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal((await inspect(id)).state.status, 'exited');
  await w.engine.start(id);
  // The process dies by itself now (killed through the runtime, not through the engine): the policy restarts it.
  await w.runtime.kill(id, 'KILL');
  await until(() => starts(id) === 3, 'the policy restart');
  assert.equal((await inspect(id)).restartCount, 1);
});

test('AutoRemove: the container is gone once it exits, with die then destroy', async () => {
  const id = await w.run(['sh', '-c', 'exit 2'], { hostConfig: { autoRemove: true } });
  const removed = await w.engine.wait(id, 'removed');
  assert.deepEqual(removed, { statusCode: 2 });
  await assert.rejects(inspect(id), /No such container/);
  assert.deepEqual(w.actions(id), ['create', 'start', 'die:2', 'destroy']);
  assert.equal(w.snapshotter.keys().includes(id), false);
});

test('live restore: a container still running is adopted again, one that exited while the daemon was down is recorded, --rm ones removed', async () => {
  const running = await w.run(['sleep', '1000']);
  const dying = await w.run(['sh', '-c', "trap 'exit 6' USR1; sleep 1000 & wait"]);
  const rm = await w.run(['sleep', '1000'], { hostConfig: { autoRemove: true } });
  const pid = (await inspect(running)).state.pid;
  await w.engine.shutdown();
  // While no daemon watches: one exits on its own, the other is killed.
  await new Promise((r) => setTimeout(r, 50));
  await w.runtime.kill(dying, 'USR1');
  await w.runtime.kill(rm, 'KILL');
  await until(async () => (await w.runtime.exitStatus(dying)) !== null, 'the exit while down');
  const engine = await w.restartDaemon();
  const r = await engine.inspect(running);
  assert.deepEqual([r.state.status, r.state.pid], ['running', pid]);
  const d = await engine.inspect(dying);
  assert.deepEqual([d.state.status, d.state.exitCode], ['exited', 6]);
  await assert.rejects(engine.inspect(rm), /No such container/);
  // The adopted one is watched by the new engine: its exit is recorded.
  await engine.kill(running);
  assert.deepEqual([(await engine.inspect(running)).state.status, (await engine.inspect(running)).state.exitCode], ['exited', 137]);
});

test('live restore beside the boot sweeps: re-adopted and auto-removed containers are left to it, what no record names is swept', async () => {
  const keep = await w.run(['sleep', '1000']);
  const rm = await w.run(['sleep', '1000'], { hostConfig: { autoRemove: true } });
  const stopped = await w.run(['true']);
  await w.engine.wait(stopped, 'not-running');
  await w.engine.shutdown();
  await w.runtime.kill(rm, 'KILL');
  await until(async () => (await w.runtime.exitStatus(rm)) !== null, 'the exit while down');
  // What a crash between a removal's metadata commit and its cleanup leaves.
  await w.snapshotter.prepare('orphan');
  const containersDir = path.join(w.dir, 'root', 'containers');
  fs.mkdirSync(path.join(containersDir, 'orphan'), { recursive: true });
  // As berthd boots: registration, re-adoption in the background, the sweeps beside it.
  const engine = w.newEngine();
  engine.restore();
  assert.deepEqual([...engine.restoring].sort(), [keep, rm].sort());
  engine.readopt();
  await Promise.all([engine.sweepOrphans(), engine.restored]);
  const k = await engine.inspect(keep);
  assert.equal(k.state.status, 'running');
  await assert.rejects(engine.inspect(rm), /No such container/);
  assert.equal((await engine.inspect(stopped)).state.status, 'exited');
  assert.deepEqual(w.snapshotter.keys().sort(), [keep, stopped].sort());
  assert.equal(fs.existsSync(path.join(containersDir, 'orphan')), false);
  assert.equal(fs.existsSync(path.join(containersDir, keep)), true);
  await engine.kill(keep);
  assert.equal((await engine.inspect(keep)).state.exitCode, 137);
});

test('live restore of more containers than it re-adopts at once: every one is adopted and watched, verbs wait for theirs', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) ids.push(await w.run(['sleep', '1000']));
  await w.engine.shutdown();
  const engine = w.newEngine();
  engine.restore();
  engine.readopt();
  // A verb on the last one waits for its re-adoption, then acts on the watched container.
  const killed = engine.kill(ids.at(-1)!);
  await Promise.all([engine.sweepOrphans(), engine.restored, killed]);
  for (const id of ids.slice(0, -1)) assert.equal((await engine.inspect(id)).state.status, 'running');
  assert.equal((await engine.inspect(ids.at(-1)!)).state.exitCode, 137);
});

test('between policy restarts the container reads restarting (dockerd\'s back-off); stop, kill and rm -f end the wait for good', async () => {
  const policy = { restartPolicy: { name: 'always' as const, maximumRetryCount: 0 } };
  const restarting = (id: string) => until(async () => (await inspect(id)).state.status === 'restarting', 'the back-off');
  const stopped = await w.run(['true'], { hostConfig: policy });
  await restarting(stopped);
  const v = await inspect(stopped);
  assert.equal(v.state.exitCode, 0);
  await w.engine.stop(stopped);
  const killed = await w.run(['true'], { hostConfig: policy });
  await restarting(killed);
  await w.engine.kill(killed);
  const removed = await w.run(['true'], { hostConfig: policy });
  await restarting(removed);
  await assert.rejects(w.engine.remove(removed), /stop the container before removing or force remove/);
  await w.engine.remove(removed, { force: true });
  await assert.rejects(inspect(removed), /No such container/);
  const counts = [starts(stopped), starts(killed)];
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual([starts(stopped), starts(killed)], counts, 'no restart after the stop or the kill');
  for (const id of [stopped, killed]) assert.deepEqual([(await inspect(id)).state.status, (await inspect(id)).state.exitCode], ['exited', 0]);
  assert.equal(w.actions(stopped).at(-1), 'stop');
  await w.engine.start(stopped);
  await until(() => starts(stopped) >= counts[0]! + 2, 'a start by the user to run it under its policy again');
});

test('a daemon stopped during a back-off: the next one starts the container by its policy', async () => {
  const id = await w.run(['sh', '-c', 'exit 1'], { hostConfig: { restartPolicy: { name: 'on-failure', maximumRetryCount: 0 } } });
  await until(async () => (await inspect(id)).state.status === 'restarting', 'the back-off');
  await w.engine.shutdown();
  const n = (await inspect(id)).restartCount;
  const before = starts(id);
  const engine = await w.restartDaemon();
  await until(async () => (await engine.inspect(id)).restartCount > n && starts(id) > before, 'the start by the new daemon');
});
