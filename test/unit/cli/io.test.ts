// The CLI's stdout and stderr (src/cli/io.ts, fdOutput): writes go straight
// to the descriptor until the command asks for more than write() and isTTY;
// then the real stream is made, after every direct write, and takes over.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fdOutput, type TtyWritable } from '../../../src/cli/io.ts';

/** A Writable that keeps what it is given. */
function recorder(): TtyWritable & { text(): string } {
  const chunks: Buffer[] = [];
  const w = new Writable({ write(chunk: Buffer, _enc, cb) { chunks.push(chunk); cb(); } });
  return Object.assign(w, { text: () => Buffer.concat(chunks).toString() });
}

function tempFile(t: { after(fn: () => unknown): void }): { path: string; fd: number } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-io-'));
  const path = join(dir, 'out');
  const fd = openSync(path, 'w');
  t.after(() => { closeSync(fd); rmSync(dir, { recursive: true, force: true }); });
  return { path, fd };
}

test('writes go to the descriptor, callbacks run after, nothing is made', async (t) => {
  const { path, fd } = tempFile(t);
  let made = 0;
  const out = fdOutput(fd, () => { made++; return recorder(); });
  assert.equal(out.stream.write('héllo '), true);
  out.stream.write(Buffer.from('bytes '));
  out.stream.write('6869', 'hex');
  let called = false;
  out.stream.write('\n', () => { called = true; });
  assert.equal(called, false, 'a write callback runs after write() returns, as a stream\'s does');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(called, true);
  assert.equal(readFileSync(path, 'utf8'), 'héllo bytes hi\n');
  // A file is not a terminal, and asking made nothing (Node's TTY check, not node:tty).
  assert.equal(out.stream.isTTY, undefined);
  assert.equal(made, 0);
  assert.equal(out.made(), false);
  await new Promise<void>((resolve) => out.flush(resolve));
});

test('anything else makes the real stream once; later writes go to it, after the direct ones', async (t) => {
  const { path, fd } = tempFile(t);
  const real = recorder();
  let made = 0;
  const seen: unknown[] = [];
  const out = fdOutput(fd, () => { made++; return real; }, { onMade: (s) => seen.push(s) });
  out.stream.write('direct\n');
  out.stream.once('drain', () => {});
  assert.equal(made, 1);
  assert.deepEqual(seen, [real]);
  out.stream.write('streamed\n');
  assert.equal(out.stream.writableLength >= 0, true);
  assert.equal(made, 1);
  assert.equal(readFileSync(path, 'utf8'), 'direct\n');
  await new Promise<void>((resolve) => out.flush(resolve));
  assert.equal(real.text(), 'streamed\n');
  assert.ok(Object.getPrototypeOf(out.stream) === Object.getPrototypeOf(real));
});

test('without Node\'s TTY check (BERTH_NO_NODE_BINDINGS), isTTY asks the real stream', (t) => {
  const { fd } = tempFile(t);
  const real = recorder();
  let made = 0;
  const out = fdOutput(fd, () => { made++; return real; });
  process.env.BERTH_NO_NODE_BINDINGS = '1';
  try {
    assert.equal(out.stream.isTTY, undefined);
  } finally {
    delete process.env.BERTH_NO_NODE_BINDINGS;
  }
  assert.equal(made, 1);
});

test('a full non-blocking pipe (EAGAIN) hands the rest to the real stream, in order', async (t) => {
  // The write end of a pipe to a child that reads nothing yet: Node made it non-blocking.
  const child = spawn('sh', ['-c', 'sleep 0.5; cat >/dev/null'], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.after(() => child.kill());
  const fd = (child.stdin as unknown as { _handle: { fd: number } })._handle.fd;
  assert.ok(fd > 2);
  const handedOver: Buffer[] = [];
  const real = new Writable({ write(chunk: Buffer, _enc, cb) { handedOver.push(chunk); cb(); } });
  const out = fdOutput(fd, () => real as TtyWritable);
  const data = Buffer.alloc(4 * 1024 * 1024, 'x');
  out.stream.write(data);
  assert.equal(out.made(), true, 'the pipe took 4 MiB without EAGAIN');
  const rest = Buffer.concat(handedOver);
  assert.ok(rest.length > 0 && rest.length < data.length, `${rest.length} bytes handed over`);
});

test('a reader gone (EPIPE) runs onBrokenPipe instead of throwing', async (t) => {
  // The only reader closes its end and stays.
  const child = spawn('sh', ['-c', 'exec 0<&-; sleep 5'], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.after(() => child.kill());
  const fd = (child.stdin as unknown as { _handle: { fd: number } })._handle.fd;
  await new Promise((resolve) => setTimeout(resolve, 200));
  let broken = 0;
  const out = fdOutput(fd, () => recorder(), { onBrokenPipe: () => { broken++; } });
  assert.equal(out.stream.write('x'.repeat(1024)), false);
  assert.equal(broken, 1);
  // Without the hook, the error is the caller's.
  const bare = fdOutput(fd, () => recorder());
  assert.throws(() => bare.stream.write('x'), { code: 'EPIPE' });
});
