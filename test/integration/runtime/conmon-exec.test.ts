// Exec sessions through conmon's exec mode + runc exec, in a real container
// on a busybox rootfs: output, stdin, tty, exit codes, users, privileges,
// failures, resize, kill, and that nothing is left behind.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isCode } from '../../../src/core/errors.ts';
import type { RuntimeExecOptions } from '../../../src/core/exec.ts';
import { ConmonExec } from '../../../src/runtime/conmon-exec.ts';
import { Collector, World, skipReason } from './fixture.ts';

/** Processes whose command line names `text`. */
function processesNaming(text: string): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(text)) out.push(`${pid}: ${cmd}`);
    } catch {}
  }
  return out;
}

const capEff = (status: string) => /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];

describe('conmon exec', { skip: skipReason }, () => {
  let w: World;
  let ex: ConmonExec;
  let ctr: string;
  let n = 0;

  before(async () => {
    w = new World();
    ex = new ConmonExec({ root: w.runtimeRoot, runtimes: { runc: '/usr/sbin/runc' } });
    ctr = w.newId();
    const spec = w.spec(ctr, ['sleep', '1000'], { config: { env: ['FROMCTR=1'] } });
    await w.runtime.create({ id: ctr, bundle: w.bundle(ctr), spec, logPath: w.logPath(ctr), tty: false, openStdin: false });
    await w.runtime.start(ctr);
  });
  after(async () => { await w.cleanup(); });

  function opts(args: string[], over: Partial<RuntimeExecOptions> = {}): RuntimeExecOptions {
    return {
      containerId: ctr, execId: `ex${process.pid}x${n++}`, args, env: ['PATH=/bin', 'X=1'], cwd: '/', user: '',
      tty: false, privileged: false, ...over,
    };
  }

  async function run(args: string[], over: Partial<RuntimeExecOptions> = {}) {
    const c = new Collector();
    const o = opts(args, { sink: c, ...over });
    const p = await ex.exec(o);
    const exit = await p.exited;
    await c.ended;
    return { c, exit, p, o };
  }

  test('output on both streams and the exit code; the directory and socket link are gone after', async () => {
    const { c, exit, o } = await run(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(c.text('stdout'), 'out\n');
    assert.equal(c.text('stderr'), 'err\n');
    assert.equal(exit.exitCode, 3);
    assert.equal(fs.existsSync(path.join(w.runtimeRoot, 'exec', o.execId)), false);
    assert.equal(fs.existsSync(path.join(w.runtimeRoot, 's', o.execId)), false);
    assert.deepEqual(processesNaming(o.execId), []);
  });

  test('env, cwd and the container security settings apply', async () => {
    const { c } = await run(['sh', '-c', 'echo "$X $FROMCTR"; pwd; grep -e CapEff -e NoNewPrivs -e Seccomp: /proc/self/status'], { cwd: '/tmp' });
    const lines = c.text('stdout').split('\n');
    assert.equal(lines[0], '1 ', 'only the env given to the exec');
    assert.equal(lines[1], '/tmp');
    assert.equal(capEff(c.text('stdout')), '00000000a80425fb', "Docker's default capability set");
    assert.match(c.text('stdout'), /Seccomp:\s*2/);
  });

  test('privileged gets every capability the host grants; seccomp stays', async () => {
    const { c, exit } = await run(['grep', '-e', 'CapEff', '-e', 'Seccomp:', '/proc/self/status'], { privileged: true });
    assert.equal(exit.exitCode, 0, c.text());
    const host = capEff(fs.readFileSync('/proc/self/status', 'utf8'));
    assert.equal(capEff(c.text('stdout')), host);
    assert.match(c.text('stdout'), /Seccomp:\s*2/);
  });

  test('user by name and by uid:gid, resolved in the container', async () => {
    assert.equal((await run(['id'], { user: 'user' })).c.text('stdout'), 'uid=1000(user) gid=1000(user) groups=10(wheel),1000(user)\n');
    assert.equal((await run(['id'], { user: '1234:5678' })).c.text('stdout'), 'uid=1234 gid=5678 groups=5678\n');
    await assert.rejects(ex.exec(opts(['id'], { user: 'nosuch', sink: new Collector() })),
      (e: Error) => isCode(e, 'invalid_argument') && /unable to find user nosuch/.test(e.message));
  });

  test('stdin is fed and closing it ends the input', async () => {
    const c = new Collector();
    const p = await ex.exec(opts(['sh', '-c', 'read a; echo "got $a"; cat; echo end'], { sink: c, openStdin: true }));
    p.io!.write(Buffer.from('one\ntwo\n'));
    p.io!.closeStdin();
    assert.equal((await p.exited).exitCode, 0);
    await c.ended;
    assert.equal(c.text('stdout'), 'got one\ntwo\nend\n');
  });

  test('a tty: one stream, crlf, size at start and resize', async () => {
    const c = new Collector();
    const p = await ex.exec(opts(['sh', '-c', 'stty size; while read x; do stty size; done'], { sink: c, openStdin: true, tty: true, consoleSize: { height: 30, width: 100 } }));
    for (let i = 0; i < 100 && !c.text().includes('30 100'); i++) await new Promise((r) => setTimeout(r, 20));
    await p.resize({ height: 40, width: 120 });
    // The resize (ctl FIFO) and the input (attach socket) reach conmon on different channels: ask until it shows.
    for (let i = 0; i < 50 && !c.text().includes('40 120'); i++) {
      p.io!.write(Buffer.from('\n'));
      await new Promise((r) => setTimeout(r, 40));
    }
    p.io!.write(Buffer.from('\x04'));
    assert.equal((await p.exited).exitCode, 0);
    await c.ended;
    assert.match(c.text('stdout'), /^30 100\r\n/);
    assert.match(c.text('stdout'), /40 120\r\n/);
    assert.equal(c.text('stderr'), '');
  });

  test('a command that cannot run: Docker-worded error, nothing left', async () => {
    const o = opts(['nosuchcmd'], { sink: new Collector() });
    await assert.rejects(ex.exec(o), (e: Error) => isCode(e, 'invalid_argument') &&
      e.message === 'OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH: unknown');
    await assert.rejects(ex.exec(opts(['pwd'], { cwd: 'rel', sink: new Collector() })), (e: Error) => /Cwd must be an absolute path/.test(e.message));
    assert.equal(fs.existsSync(path.join(w.runtimeRoot, 'exec', o.execId)), false);
    assert.deepEqual(processesNaming(o.execId), []);
  });

  test('detached: runs without a client; kill takes the whole process group', async () => {
    const o = opts(['sh', '-c', 'sleep 7771 & sleep 7772; echo never'], { tty: false });
    const p = await ex.exec(o);
    assert.equal(p.io, null);
    for (let i = 0; i < 100 && processesNaming('sleep 7772').length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    p.kill('SIGKILL');
    const exit = await p.exited;
    assert.equal(exit.exitCode, 137);
    for (let i = 0; i < 100 && processesNaming('sleep 7771').length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(processesNaming('sleep 7771'), [], 'the background child died with its group');
    assert.deepEqual(processesNaming(o.execId), []);
  });

  test('a container that is not running is a conflict', async () => {
    await assert.rejects(ex.exec(opts(['true'], { containerId: 'nosuchctr' })), (e: Error) => isCode(e, 'conflict'));
  });
});
