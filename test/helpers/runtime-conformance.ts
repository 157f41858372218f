// What every ContainerRuntime must do, as one suite run against each
// implementation: conmon+runc and conmon+crun (root, test/integration/runtime)
// and the fake runtime (test/unit/runtime), so the engine's lifecycle tests
// on the fake mean something for the real driver. Commands are busybox's.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { isCode } from '../../src/core/errors.ts';
import { parseRecord } from '../../src/runtime/log-format.ts';
import type { AttachSink, ContainerRuntime, OutputStream, RuntimeCreateOptions } from '../../src/core/runtime.ts';

export interface ConformanceHarness {
  runtime: ContainerRuntime;
  newId(): string;
  /** Create options for a container running `cmd`. */
  options(id: string, cmd: string[], o?: { openStdin?: boolean; tty?: boolean }): RuntimeCreateOptions;
  cleanup(): Promise<void>;
}

class Sink implements AttachSink {
  readonly out: Array<{ stream: OutputStream; data: Buffer }> = [];
  readonly ended: Promise<Error | undefined>;
  #end!: (e: Error | undefined) => void;
  constructor() {
    this.ended = new Promise((r) => { this.#end = r; });
  }
  data(stream: OutputStream, chunk: Buffer): void { this.out.push({ stream, data: Buffer.from(chunk) }); }
  end(err?: Error): void { this.#end(err); }
  text(stream: OutputStream): string {
    return Buffer.concat(this.out.filter((o) => o.stream === stream).map((o) => o.data)).toString('utf8');
  }
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rejectsWith(p: Promise<unknown>, code: Parameters<typeof isCode>[1], what: string): Promise<Error> {
  try {
    await p;
  } catch (err) {
    assert.ok(isCode(err, code), `${what}: want ${code}, got ${(err as { code?: string }).code}: ${(err as Error).message}`);
    return err as Error;
  }
  assert.fail(`${what}: resolved, want ${code}`);
}

export function runtimeConformance(name: string, make: () => ConformanceHarness | Promise<ConformanceHarness>, skip: string | false = false): void {
  describe(`runtime conformance: ${name}`, { skip }, () => {
    let h: ConformanceHarness;
    let rt: ContainerRuntime;
    before(async () => { h = await make(); rt = h.runtime; });
    after(async () => { await h?.cleanup(); });

    const create = async (cmd: string[], o: { openStdin?: boolean } = {}) => {
      const id = h.newId();
      const { pid } = await rt.create(h.options(id, cmd, o));
      return { id, pid };
    };

    test('create leaves the process created with a pid; start runs it; its exit code is kept until delete', async () => {
      const { id, pid } = await create(['sh', '-c', 'exit 3']);
      assert.ok(pid > 0);
      assert.deepEqual(await rt.state(id), { status: 'created', pid });
      assert.equal(await rt.exitStatus(id), null);
      assert.ok((await rt.ids()).includes(id));
      await rt.start(id);
      const exit = await rt.waitExit(id);
      assert.equal(exit.exitCode, 3);
      assert.ok(exit.finishedAt instanceof Date && !Number.isNaN(exit.finishedAt.getTime()));
      assert.equal((await rt.exitStatus(id))?.exitCode, 3);
      assert.equal((await rt.waitExit(id)).exitCode, 3, 'a second wait answers at once');
      assert.equal((await rt.state(id))?.status, 'stopped');
      await rt.delete(id);
      assert.equal(await rt.state(id), null);
      assert.ok(!(await rt.ids()).includes(id));
    });

    test('an attach made before start gets stdout and stderr apart, then its end', async () => {
      const { id } = await create(['sh', '-c', 'echo out; echo err >&2']);
      const sink = new Sink();
      await rt.attach(id, sink);
      await rt.start(id);
      assert.equal((await rt.waitExit(id)).exitCode, 0);
      assert.equal(await sink.ended, undefined);
      assert.equal(sink.text('stdout'), 'out\n');
      assert.equal(sink.text('stderr'), 'err\n');
      await rt.delete(id);
    });

    test('stdin: what is written reaches the process; closing it ends a reader', async () => {
      const { id } = await create(['cat'], { openStdin: true });
      const sink = new Sink();
      const att = await rt.attach(id, sink);
      await rt.start(id);
      att.write(Buffer.from('hello\n'));
      await until(() => sink.text('stdout') === 'hello\n', 'the echo of stdin');
      att.closeStdin();
      assert.equal((await rt.waitExit(id)).exitCode, 0);
      await rt.delete(id);
    });

    test('kill: SIGKILL ends a running container with 137; a stopped one cannot be killed', async () => {
      const { id } = await create(['sleep', '1000']);
      await rt.start(id);
      assert.equal((await rt.state(id))?.status, 'running');
      await rt.kill(id, 'SIGKILL');
      assert.equal((await rt.waitExit(id)).exitCode, 137);
      await rejectsWith(rt.kill(id, 'KILL'), 'conflict', 'kill of a stopped container');
      await rejectsWith(rt.kill(id, 'SIGNOPE'), 'invalid_argument', 'an unknown signal');
      await rt.delete(id);
    });

    test('signals: the init is spared one it has no handler for, a handler runs, SIGKILL always ends it', async () => {
      // The kernel's rule for the init of a pid namespace: why `docker stop` of `sleep` waits for its timeout.
      const { id } = await create(['sleep', '1000']);
      await rt.start(id);
      await rt.kill(id, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await rt.exitStatus(id), null, 'SIGTERM ended an init without a handler');
      assert.equal((await rt.state(id))?.status, 'running');
      await rt.kill(id, 'SIGKILL');
      assert.equal((await rt.waitExit(id)).exitCode, 137);
      await rt.delete(id);
      const trapped = await create(['sh', '-c', "trap 'exit 7' TERM; echo ready; sleep 1000 & wait"]);
      const sink = new Sink();
      await rt.attach(trapped.id, sink);
      await rt.start(trapped.id);
      await until(() => sink.text('stdout') === 'ready\n', 'the trap to be set');
      await rt.kill(trapped.id, 15);
      assert.equal((await rt.waitExit(trapped.id)).exitCode, 7);
      await rt.delete(trapped.id, { force: true });
    });

    test('the log file holds each stream\'s lines as k8s-file records; an attach after the exit ends at once', async () => {
      const { id } = await create(['sh', '-c', 'echo out; echo err >&2; echo -n part']);
      await rt.start(id);
      assert.equal((await rt.waitExit(id)).exitCode, 0);
      const records = fs.readFileSync(h.options(id, []).logPath).toString('utf8').split('\n').filter(Boolean).map((l) => parseRecord(Buffer.from(l)));
      const of = (stream: OutputStream) => records.filter((r) => r?.stream === stream).map((r) => `${r!.partial ? 'P' : 'F'} ${r!.text.toString()}`);
      assert.deepEqual(of('stdout'), ['F out', 'P part']);
      assert.deepEqual(of('stderr'), ['F err']);
      const late = new Sink();
      await rt.attach(id, late);
      assert.equal(await late.ended, undefined);
      assert.equal(late.out.length, 0);
      await rt.delete(id);
      assert.equal(await rt.exitStatus(id), null, 'the exit status goes with the container');
    });

    test('with a TTY both streams are one, with the terminal\'s line endings', async () => {
      const id = h.newId();
      await rt.create(h.options(id, ['sh', '-c', 'echo out; echo err >&2'], { tty: true }));
      const sink = new Sink();
      await rt.attach(id, sink);
      await rt.start(id);
      assert.equal((await rt.waitExit(id)).exitCode, 0);
      await sink.ended;
      assert.equal(sink.text('stdout'), 'out\r\nerr\r\n');
      assert.equal(sink.text('stderr'), '');
      await rt.delete(id);
    });

    test('freeze and thaw', { skip: false }, async () => {
      const { id } = await create(['sleep', '1000']);
      await rt.start(id);
      assert.ok(rt.freeze, 'the runtime can pause');
      await rt.freeze!(id, true);
      assert.equal((await rt.state(id))?.status, 'paused');
      await rt.freeze!(id, false);
      assert.equal((await rt.state(id))?.status, 'running');
      // SIGKILL to a frozen container ends it, at once (runc here) or at the thaw; a thaw that finds it gone is a conflict.
      await rt.freeze!(id, true);
      await rt.kill(id, 'KILL');
      await rt.freeze!(id, false).catch((err) => assert.ok(isCode(err, 'conflict'), `thaw after the kill: ${(err as Error).message}`));
      assert.equal((await rt.waitExit(id)).exitCode, 137);
      await rt.delete(id, { force: true });
    });

    test('a command that cannot be found fails the create and leaves nothing', async () => {
      const id = h.newId();
      const err = await rt.create(h.options(id, ['no-such-command-here'])).then(() => null, (e: Error) => e);
      assert.ok(err, 'create resolved');
      assert.match(err.message, /executable file not found|not found in \$PATH|no such file or directory/i);
      assert.equal(await rt.state(id), null);
      assert.ok(!(await rt.ids()).includes(id));
    });

    test('delete: a running container is a conflict unless forced; forced, nothing is left', async () => {
      const { id } = await create(['sleep', '1000']);
      await rt.start(id);
      await rejectsWith(rt.delete(id), 'conflict', 'delete of a running container');
      assert.equal((await rt.state(id))?.status, 'running');
      await rt.delete(id, { force: true });
      assert.equal(await rt.state(id), null);
      assert.ok(!(await rt.ids()).includes(id));
      await rejectsWith(rt.waitExit(id), 'not_found', 'wait on a deleted container');
      // A created container that never started goes the same way.
      const created = await create(['sleep', '1000']);
      await rt.delete(created.id, { force: true });
      assert.equal(await rt.state(created.id), null);
    });

    test('waitExit stops waiting when its signal aborts; resize checks its numbers', async () => {
      const { id } = await create(['sleep', '1000']);
      await rt.start(id);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(rt.waitExit(id, ac.signal), (e: Error) => e.name === 'AbortError');
      await rejectsWith(rt.resize(id, { height: -1, width: 80 }), 'invalid_argument', 'a negative height');
      await rt.delete(id, { force: true });
    });
  });
}
