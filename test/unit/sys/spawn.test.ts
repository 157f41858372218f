// spawnDetached (posix_spawn): what the child gets (the fds asked for and no
// other, a new session, default signal dispositions, cwd, environment), its
// pipes, its exit code once reaped, and a program that cannot be started.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type net from 'node:net';
import { spawnDetached } from '../../../src/sys/spawn.ts';

/** This process's descriptors without close-on-exec (those any child inherits, whoever spawns it). */
function inheritable(): number[] {
  const O_CLOEXEC = 0o2000000;
  return fs.readdirSync('/proc/self/fd').map(Number).filter((fd) => {
    try {
      const flags = /flags:\s+([0-7]+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!;
      return (Number.parseInt(flags, 8) & O_CLOEXEC) === 0;
    } catch {
      return false;
    }
  });
}

function collect(s: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => { out += d; });
    s.on('close', () => resolve(out));
  });
}

test('the child gets its pipes, cwd, environment, a session and default signals, and is reaped', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-spawn-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // Node ignores SIGPIPE: a child that inherited that would show it as "ignored" in SigIgn.
  const script = [
    'echo "cwd=$(pwd) env=$GREETING"',
    'echo "fds=$(ls /proc/self/fd | sort -n | tr "\\n" " ")" >&3',
    'echo "sid=$(cut -d" " -f6 /proc/self/stat) pid=$$" >&3',
    'grep -E "^(SigIgn|SigBlk)" /proc/self/status >&3',
    'read line <&4; echo "got=$line" >&2',
    'exit 7',
  ].join('\n');
  const child = spawnDetached('/bin/sh', ['-c', script], {
    cwd: dir, env: { GREETING: 'hello', PATH: '/usr/bin:/bin' },
    pipes: { 2: 'from-child', 3: 'from-child', 4: 'to-child' },
  });
  assert.ok(child.pid > 1);
  const err = collect(child.pipes.get(2)!);
  const info = collect(child.pipes.get(3)!);
  child.pipes.get(4)!.end('ping\n');
  assert.equal(await child.exited, 7);
  assert.equal(await err, 'got=ping\n');
  const lines = (await info).trim().split('\n');
  // 0-4: stdin/stdout on /dev/null, the three pipes; then ls's own directory
  // fd, and whatever this test process itself inherited without close-on-exec.
  const fds = lines[0]!.replace('fds=', '').trim().split(' ').map(Number);
  assert.deepEqual(fds.slice(0, 5), [0, 1, 2, 3, 4]);
  const passedOn = new Set(inheritable());
  const extra = fds.slice(5).filter((fd) => !passedOn.has(fd));
  assert.ok(extra.length <= 1, `descriptors of the parent leaked: ${fds.join(' ')}`);
  const [, sid, pid] = /sid=(\d+) pid=(\d+)/.exec(lines[1]!)!;
  assert.equal(sid, pid, 'a session of its own');
  // Signals 32 and 33 are glibc's own (its threads' cancel and setxid), left ignored by its
  // posix_spawn and given handlers again by the program's libc: not counted.
  const mask = (name: string) => BigInt(`0x${lines.find((l) => l.startsWith(name))!.split(/\s+/)[1]}`) & ~0x180000000n;
  assert.equal(mask('SigIgn'), 0n, 'no signal ignored (the daemon ignores SIGPIPE)');
  assert.equal(mask('SigBlk'), 0n, 'no signal blocked');
});

test('stdout goes to /dev/null and a signal death reads as 128 + n', async () => {
  const child = spawnDetached('/bin/sh', ['-c', 'echo lost; kill -TERM $$'], { cwd: '/', env: {}, pipes: {} });
  assert.equal(child.pipes.size, 0);
  assert.equal(await child.exited, 128 + 15);
});

test('a program that does not exist fails at once with ENOENT, leaving no descriptor open', () => {
  const before = fs.readdirSync('/proc/self/fd').length;
  assert.throws(
    () => spawnDetached('/nonexistent/conmon', [], { cwd: '/', env: {}, pipes: { 2: 'from-child', 3: 'from-child' } }),
    (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
  );
  assert.equal(fs.readdirSync('/proc/self/fd').length, before);
});

test('many children at once are all reaped', async () => {
  const kids = Array.from({ length: 20 }, (_, i) => spawnDetached('/bin/sh', ['-c', `exit ${i}`], { cwd: '/', env: {}, pipes: {} }));
  assert.deepEqual(await Promise.all(kids.map((k) => k.exited)), kids.map((_, i) => i));
});
