// Real containers through conmon + runc on a busybox rootfs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isCode } from '../../../src/core/errors.ts';
import { ConmonRuntime } from '../../../src/runtime/conmon.ts';
import { readLogs } from '../../../src/runtime/logs.ts';
import { cgroupMounts, cgroupsPathFor } from '../../../src/runtime/cgroups.ts';
import type { ConmonCreateOptions } from '../../../src/runtime/conmon.ts';
import type { ContainerConfig, HostConfig } from '../../../src/core/container.ts';
import { Collector, World, skipReason } from './fixture.ts';

/** Processes (conmon or runc) whose command line names `id`. */
function processesFor(id: string): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(id) && /conmon|runc/.test(cmd)) out.push(`${pid}: ${cmd}`);
    } catch {}
  }
  return out;
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('conmon runtime', { skip: skipReason }, () => {
  let w: World;
  before(() => { w = new World(); });
  after(async () => { await w.cleanup(); });

  type Opts = { config?: Partial<ContainerConfig>; hostConfig?: Partial<HostConfig>; create?: Partial<ConmonCreateOptions> };
  async function create(cmd: string[], o: Opts = {}) {
    const id = w.newId();
    const tty = !!o.config?.tty;
    const openStdin = !!o.config?.openStdin;
    const spec = w.spec(id, cmd, { config: o.config, hostConfig: o.hostConfig });
    const { pid } = await w.runtime.create({ id, bundle: w.bundle(id), spec, logPath: w.logPath(id), tty, openStdin, ...o.create });
    return { id, pid };
  }

  async function run(cmd: string[], o: Opts = {}) {
    const { id } = await create(cmd, o);
    const c = new Collector();
    const att = await w.runtime.attach(id, c);
    await w.runtime.start(id);
    return { id, c, att };
  }

  test('attach delivers stdout and stderr of a short-lived container, then ends', async () => {
    const { id, c } = await run(['sh', '-c', 'echo hi; echo err >&2']);
    const exit = await w.runtime.waitExit(id);
    assert.equal(exit.exitCode, 0);
    assert.equal(await c.ended, undefined);
    assert.equal(c.text('stdout'), 'hi\n');
    assert.equal(c.text('stderr'), 'err\n');
    const logged: string[] = [];
    for await (const e of readLogs(w.logPath(id))) logged.push(`${e.stream}:${e.data.toString()}`);
    assert.deepEqual(logged.sort(), ['stderr:err\n', 'stdout:hi\n']);
    await w.runtime.delete(id);
  });

  test('every byte of a burst of output arrives before end()', async () => {
    for (let i = 0; i < 3; i++) {
      const { id, c } = await run(['seq', '1', '20000']);
      await c.ended;
      const expected = Array.from({ length: 20000 }, (_, k) => `${k + 1}\n`).join('');
      assert.equal(c.text('stdout'), expected);
      assert.equal((await w.runtime.waitExit(id)).exitCode, 0);
      await w.runtime.delete(id);
    }
  });

  test('exit codes, exitStatus and state', async () => {
    const { id } = await run(['sh', '-c', 'exit 7']);
    const exit = await w.runtime.waitExit(id);
    assert.equal(exit.exitCode, 7);
    assert.ok(exit.finishedAt instanceof Date && Math.abs(Date.now() - exit.finishedAt.getTime()) < 60_000);
    assert.deepEqual(await w.runtime.exitStatus(id), exit);
    assert.equal((await w.runtime.state(id))?.status, 'stopped');
    await w.runtime.delete(id);
    assert.equal(await w.runtime.state(id), null);
    assert.equal(await w.runtime.exitStatus(id), null);
  });

  test('stdin through attach; half-close ends cat and output still flows', async () => {
    const { id, c, att } = await run(['cat'], { config: { openStdin: true } });
    att.write(Buffer.from('hello\n'));
    att.write(Buffer.from('x'.repeat(100_000) + '\n'));
    att.closeStdin();
    const exit = await w.runtime.waitExit(id);
    await c.ended;
    assert.equal(exit.exitCode, 0);
    assert.equal(c.text('stdout'), 'hello\n' + 'x'.repeat(100_000) + '\n');
    await w.runtime.delete(id);
  });

  test('kill with SIGTERM reaches a trapping process; SIGKILL gives 137', async () => {
    const { id, c } = await run(['sh', '-c', 'trap "echo bye; exit 42" TERM; echo ready; while true; do sleep 0.05; done']);
    await waitFor(() => c.text().includes('ready'));
    assert.equal((await w.runtime.state(id))?.status, 'running');
    await w.runtime.kill(id, 'SIGTERM');
    assert.equal((await w.runtime.waitExit(id)).exitCode, 42);
    await c.ended;
    assert.match(c.text(), /bye/);
    await w.runtime.delete(id);

    const b = await run(['sleep', '1000']);
    await w.runtime.kill(b.id, 'KILL');
    assert.equal((await w.runtime.waitExit(b.id)).exitCode, 137);
    await w.runtime.delete(b.id);
  });

  test('kill refuses a bad signal, naming it', async () => {
    const { id } = await run(['sleep', '1000']);
    await assert.rejects(w.runtime.kill(id, 'SIGNOPE'), (e) => isCode(e, 'invalid_argument') && /SIGNOPE/.test((e as Error).message));
    await w.runtime.delete(id, { force: true });
    assert.deepEqual(processesFor(id), []);
  });

  test('tty: output through the terminal, resize through conmon', async () => {
    // The resize goes through conmon's ctl FIFO and the input through its
    // attach socket: the two may reach the terminal in either order, so ask
    // for the size until the new one shows (a newline at a time), then quit.
    const { id, c, att } = await run(['sh', '-c', 'tty; while read x; do stty size; test "$x" = q && break; done'],
      { config: { tty: true, openStdin: true } });
    await waitFor(() => c.text().includes('/dev/pts/'));
    await w.runtime.resize(id, { height: 33, width: 111 });
    for (let tries = 0; !c.text().includes('33 111\r\n'); tries++) {
      assert.ok(tries < 50, `the new size never showed: ${JSON.stringify(c.text())}`);
      att.write(Buffer.from('\n'));
      await new Promise((r) => setTimeout(r, 200));
    }
    att.write(Buffer.from('q\n'));
    const exit = await w.runtime.waitExit(id);
    await c.ended;
    assert.equal(exit.exitCode, 0);
    assert.match(c.text(), /\/dev\/pts\/0\r\n/);
    assert.match(c.text(), /33 111\r\n/);
    assert.equal(c.text('stderr'), '');
    await w.runtime.delete(id);
  });

  test('a fresh runtime instance (daemon restart) attaches, waits and deletes', async () => {
    const { id } = await create(['sh', '-c', 'read x; echo got $x; exit 5'], { config: { openStdin: true } });
    await w.runtime.start(id);
    const fresh = new ConmonRuntime({ root: w.runtimeRoot });
    try {
      assert.ok((await fresh.list()).includes(id));
      assert.equal((await fresh.state(id))?.status, 'running');
      const c = new Collector();
      const att = await fresh.attach(id, c);
      const waiting = fresh.waitExit(id);
      att.write(Buffer.from('abc\n'));
      assert.equal((await waiting).exitCode, 5);
      await c.ended;
      assert.equal(c.text('stdout'), 'got abc\n');
      await fresh.delete(id);
      assert.ok(!(await w.runtime.list()).includes(id));
    } finally {
      fresh.close();
    }
  });

  test('waitExit can be aborted; attach after exit just ends', async () => {
    const { id } = await run(['sleep', '1000']);
    const ac = new AbortController();
    const p = w.runtime.waitExit(id, ac.signal);
    ac.abort(new Error('gave up'));
    await assert.rejects(p, /gave up/);
    await w.runtime.kill(id, 9);
    await w.runtime.waitExit(id);
    const c = new Collector();
    await w.runtime.attach(id, c);
    assert.equal(await c.ended, undefined);
    await w.runtime.delete(id);
  });

  test('a failing create rejects with runc\'s message and leaves nothing behind', async () => {
    const id = w.newId();
    const bundle = w.bundle(id);
    const spec = w.spec(id, ['nosuchcmd']);
    await assert.rejects(
      w.runtime.create({ id, bundle, spec, logPath: w.logPath(id), tty: false, openStdin: false }),
      (e) => isCode(e, 'invalid_argument') && (e as Error).message.includes('exec: "nosuchcmd": executable file not found in $PATH'),
    );
    assert.deepEqual(processesFor(id), []);
    assert.equal(await w.runtime.state(id), null);
    assert.ok(!(await w.runtime.list()).includes(id));
    for (const f of ['attach', 'ctl', 'winsz', 'config.json']) assert.ok(!fs.existsSync(path.join(bundle, f)), f);
    assert.ok(!fs.existsSync(path.join(w.runtimeRoot, 's', id)));
    for (const mp of cgroupMounts()) assert.ok(!fs.existsSync(path.join(mp, cgroupsPathFor(id, '/berth-test'))), `${mp} cgroup left`);
  });

  test('unknown runtime names are refused', async () => {
    const id = w.newId();
    await assert.rejects(
      w.runtime.create({ id, bundle: w.bundle(id), spec: w.spec(id, ['true']), logPath: w.logPath(id), tty: false, openStdin: false, runtime: 'nope' }),
      /unknown or invalid runtime name: nope/,
    );
  });

  test('force delete of a running container cleans everything: processes, state, files, cgroups', async () => {
    const { id, c } = await run(['sleep', '1000'], { hostConfig: { memory: 32 << 20, pidsLimit: 20 } });
    const cg = cgroupsPathFor(id, '/berth-test');
    assert.ok(fs.existsSync(path.join('/sys/fs/cgroup/memory', cg)) || fs.existsSync(path.join('/sys/fs/cgroup', cg)));
    await assert.rejects(w.runtime.delete(id), (e) => isCode(e, 'conflict'));
    await w.runtime.delete(id, { force: true });
    await c.ended;
    assert.deepEqual(processesFor(id), []);
    assert.equal(await w.runtime.state(id), null);
    assert.equal(await w.runtime.exitStatus(id), null);
    assert.ok(!fs.existsSync(path.join(w.runtimeRoot, 'c', id)));
    assert.ok(!fs.existsSync(path.join(w.runtimeRoot, 'exits', id)));
    assert.ok(!fs.existsSync(path.join(w.runtimeRoot, 'state', 'runc', id)));
    for (const mp of cgroupMounts()) assert.ok(!fs.existsSync(path.join(mp, cg)), `${mp}${cg} left`);
  });

  test('the spec is enforced: user, caps, read-only rootfs, masked paths, rlimits', async () => {
    const { id, c } = await run(['sh', '-c', [
      'id',
      'grep CapBnd /proc/self/status',
      'ulimit -n',
      'touch /x 2>/dev/null && echo rw || echo ro',
      'cat /proc/kcore 2>/dev/null | wc -c',
      'hostname',
      'echo $HOME',
    ].join('; ')], { config: { user: 'user', hostname: 'box' }, hostConfig: { readonlyRootfs: true, capDrop: ['ALL'], capAdd: ['kill'] } });
    assert.equal((await w.runtime.waitExit(id)).exitCode, 0);
    await c.ended;
    const out = c.text('stdout').split('\n');
    assert.equal(out[0], 'uid=1000(user) gid=1000(user) groups=10(wheel),1000(user)');
    assert.equal(out[1], 'CapBnd:\t0000000000000020');
    const hostNofile = Number(/Max open files\s+\d+\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'))![1]);
    assert.equal(Number(out[2]), Math.min(1048576, hostNofile));
    assert.equal(out[3], 'ro');
    assert.equal(out[4].trim(), '0');
    assert.equal(out[5], 'box');
    assert.equal(out[6], '/home/user');
    await w.runtime.delete(id);
  });
  test('containers outlive the process that started them (conmon is detached)', async () => {
    const id = w.newId();
    const bundle = w.bundle(id);
    const spec = w.spec(id, ['sleep', '1000']);
    const runtimeUrl = new URL('../../../src/runtime/conmon.ts', import.meta.url).href;
    const script = `
      import { ConmonRuntime } from ${JSON.stringify(runtimeUrl)};
      const [root, id, bundle, log, spec] = process.argv.slice(1);
      const rt = new ConmonRuntime({ root });
      await rt.create({ id, bundle, spec: JSON.parse(spec), logPath: log, tty: false, openStdin: true });
      await rt.start(id);
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, w.runtimeRoot, id, bundle, w.logPath(id), JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit'] });
    const signal = await new Promise((r) => child.on('exit', (_code, sig) => r(sig)));
    assert.equal(signal, 'SIGKILL');
    const st = await w.runtime.state(id);
    assert.equal(st?.status, 'running');
    const conmonPid = Number(fs.readFileSync(path.join(w.runtimeRoot, 'c', id, 'conmon.pid'), 'utf8'));
    const field = (pid: number, n: number) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[n - 3];
    // own session, not a child of anything of ours
    assert.equal(Number(field(conmonPid, 6)), conmonPid, 'conmon leads its own session');
    assert.notEqual(Number(field(conmonPid, 4)), process.pid);
    const fds = fs.readdirSync(`/proc/${conmonPid}/fd`).map((fd) => { try { return fs.readlinkSync(`/proc/${conmonPid}/fd/${fd}`); } catch { return ''; } });
    assert.ok(fds.filter((l) => l.startsWith('/dev/pts') || l.startsWith('/dev/tty')).length === 0, `conmon holds a terminal: ${fds}`);
    await w.runtime.kill(id, 'SIGKILL');
    assert.equal((await w.runtime.waitExit(id)).exitCode, 137);
    await w.runtime.delete(id);
    assert.deepEqual(processesFor(id), []);
  });
  test('state paths longer than a unix socket address still attach', async () => {
    const longRoot = path.join(w.dir, 'a-rather-long-directory-name-'.repeat(3), 'runtime');
    const rt = new ConmonRuntime({ root: longRoot });
    const id = w.newId();
    try {
      assert.ok(Buffer.byteLength(path.join(longRoot, 's', id, 'attach')) > 108);
      await rt.create({ id, bundle: w.bundle(id), spec: w.spec(id, ['echo', 'long']), logPath: w.logPath(id), tty: false, openStdin: false });
      const c = new Collector();
      await rt.attach(id, c);
      await rt.start(id);
      assert.equal((await rt.waitExit(id)).exitCode, 0);
      await c.ended;
      assert.equal(c.text(), 'long\n');
    } finally {
      await rt.delete(id, { force: true }).catch(() => {});
      rt.close();
    }
  });

  test('default devices are usable, others are not', async () => {
    const { id, c } = await run(['sh', '-c', [
      'echo x > /dev/null && echo null-ok',
      'head -c 4 /dev/zero | wc -c',
      'head -c 4 /dev/urandom | wc -c',
      '(echo x > /dev/full) 2>&1 | grep -q "No space" && echo full-ok',
      'mknod /tmp/sda b 8 0 && (head -c1 /tmp/sda >/dev/null 2>&1 && echo sda-open || echo sda-denied)',
    ].join('; ')]);
    assert.equal((await w.runtime.waitExit(id)).exitCode, 0);
    await c.ended;
    assert.deepEqual(c.text('stdout').split('\n').map((l) => l.trim()).filter(Boolean), ['null-ok', '4', '4', 'full-ok', 'sda-denied']);
    await w.runtime.delete(id);
  });
  test('an OOM kill under a memory limit is reported', async () => {
    const { id } = await run(['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], { hostConfig: { memory: 16 << 20 } });
    const exit = await w.runtime.waitExit(id);
    assert.equal(exit.exitCode, 137);
    assert.equal(exit.oomKilled, true);
    await w.runtime.delete(id);
  });
  test('delete removes the cgroup itself when runc lost the container', async () => {
    const { id } = await run(['sleep', '1000'], { hostConfig: { pidsLimit: 10 } });
    const cg = cgroupsPathFor(id, '/berth-test');
    await w.runtime.kill(id, 'KILL');
    await w.runtime.waitExit(id);
    // a crash between exit and delete: runc's state is gone, its cgroup is not
    fs.rmSync(path.join(w.runtimeRoot, 'state', 'runc', id), { recursive: true });
    assert.ok(cgroupMounts().some((mp) => fs.existsSync(path.join(mp, cg))));
    await w.runtime.delete(id);
    for (const mp of cgroupMounts()) assert.ok(!fs.existsSync(path.join(mp, cg)), `${mp}${cg} left`);
  });
  test('--init puts docker-init in front as pid 1', { skip: !fs.existsSync('/usr/bin/docker-init') && !fs.existsSync('/usr/bin/tini-static') && 'no docker-init/tini on this host' }, async () => {
    const { id, c } = await run(['sh', '-c', 'echo $$; tr "\\0" " " < /proc/1/cmdline; echo; exit 3'], { hostConfig: { init: true } });
    assert.equal((await w.runtime.waitExit(id)).exitCode, 3);
    await c.ended;
    const [pid, cmdline] = c.text('stdout').split('\n');
    assert.notEqual(pid, '1');
    assert.match(cmdline, /^\/sbin\/docker-init -- sh -c /);
    await w.runtime.delete(id);
  });
});
