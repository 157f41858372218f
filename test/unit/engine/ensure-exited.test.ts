// `rm -f` of many containers at once under load answered some with 500
// "did not exit after SIGKILL": the exit handler still held the container's
// lock (releasing network and mounts) past the stop's wait, and its
// background runtime delete had already removed conmon's exit file, so the
// fallback found no exit. The record, read once the handler is done, says
// the container exited. Reproduced here at the scale of one container with
// a short wait.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureExited } from '../../../src/engine/containers/stop.ts';
import { KeyedMutex, Waiters } from '../../../src/engine/containers/waiters.ts';
import type { EngineContext } from '../../../src/engine/containers/context.ts';

function fixture(status: string) {
  const id = 'a'.repeat(64);
  const rec = { id, state: { status } };
  const mutex = new KeyedMutex();
  const waiters = new Waiters();
  const ctx = {
    mutex, waiters,
    // The exit file is gone: the handler's runtime delete removed it.
    d: { runtime: { exitStatus: async () => null }, containers: { get: () => rec } },
  } as unknown as EngineContext;
  return { id, rec, mutex, waiters, ctx };
}

test('an exit still being handled when the wait ends counts as the exit, not a 500', async () => {
  const { id, rec, mutex, waiters, ctx } = fixture('running');
  const exited = waiters.nextExit(id);
  // The handler: records the exit, then holds the lock releasing things past the wait.
  void mutex.run(id, async () => {
    rec.state.status = 'exited';
    await new Promise((r) => setTimeout(r, 200));
  }).then(() => waiters.exited(id, 137));
  await ensureExited(ctx, id, exited, 20);
});

test('a container still running after the wait is still a failure', async () => {
  const { id, waiters, ctx } = fixture('running');
  await assert.rejects(ensureExited(ctx, id, waiters.nextExit(id), 20), /did not exit after SIGKILL/);
});
