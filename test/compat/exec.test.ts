// docker exec: output, exit codes, -e/--env-file/-u/-w/-i/-t/-d, the
// container's security settings, failures with dockerd's words, the exec
// events and inspect, and nothing left behind.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiRequest } from '../helpers/api.ts';
import { onPty } from '../helpers/pty.ts';
import { listProcesses } from '../helpers/procs.ts';
import { CLI, compatSuite, lines, waitFor, type CompatTarget } from './target.ts';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

async function running(tgt: CompatTarget, name: string, extra: string[] = []): Promise<string> {
  return (await tgt.ok(['run', '-d', '--name', name, ...extra, 'busybox', 'sleep', '100000'])).stdout.trim();
}

/** exec's conmons (berthd) or shims' children named after this daemon's dir: none may outlive their session. */
function execMonitors(tgt: CompatTarget): string[] {
  return listProcesses().filter((p) => p.argv.includes('--exec-process-spec') && p.argv.some((a) => a.startsWith(tgt.daemon.dir))).map((p) => `${p.pid} ${p.argv.join(' ')}`);
}

const capEff = (status: string) => /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];

compatSuite('exec', (s) => {
  s.test('output streams stay apart and exit codes propagate', async (tgt) => {
    await running(tgt, 'ex1');
    const r = await tgt.fails(['exec', 'ex1', 'sh', '-c', 'echo out; echo err >&2; exit 3'], 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal((await tgt.ok(['exec', 'ex1', 'true'])).stdout, '');
    await tgt.fails(['exec', 'ex1', 'false'], 1);
    const big = await tgt.ok(['exec', 'ex1', 'sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" x']);
    assert.equal(big.stdout.length, 300000);
  });

  s.test('environment: container env, TERM only with -t, -e and --env-file win', async (tgt) => {
    await running(tgt, 'ex2', ['-e', 'FROM_RUN=1', '-e', 'OVER=run']);
    const plain = lines((await tgt.ok(['exec', 'ex2', 'env'])).stdout).sort();
    assert.deepEqual(plain, ['FROM_RUN=1', `HOME=/root`, `HOSTNAME=${plain.find((l) => l.startsWith('HOSTNAME='))!.slice(9)}`, 'OVER=run', DEFAULT_PATH].sort());
    assert.ok(!plain.some((l) => l.startsWith('TERM=')));
    const tty = (await tgt.ok(['exec', '-t', 'ex2', 'env'])).stdout;
    assert.match(tty, /^TERM=xterm\r$/m);
    const file = join(tgt.tmpDir('env'), 'e.env');
    writeFileSync(file, 'FROM_FILE=yes\n');
    const withEnv = lines((await tgt.ok(['exec', '-e', 'OVER=exec', '-e', 'PATH=/bin', '--env-file', file, 'ex2', 'env'])).stdout);
    assert.ok(withEnv.includes('OVER=exec'));
    assert.ok(withEnv.includes('PATH=/bin'));
    assert.ok(withEnv.includes('FROM_FILE=yes'));
    assert.ok(withEnv.includes('FROM_RUN=1'));
  });

  s.test('-u and -w, defaulting to the container\'s', async (tgt) => {
    await running(tgt, 'ex3', ['-u', 'nobody', '-w', '/tmp']);
    assert.equal((await tgt.ok(['exec', 'ex3', 'sh', '-c', 'id -u; pwd'])).stdout, '65534\n/tmp\n');
    assert.equal((await tgt.ok(['exec', '-u', 'root', '-w', '/etc', 'ex3', 'sh', '-c', 'id -u; pwd'])).stdout, '0\n/etc\n');
    assert.equal((await tgt.ok(['exec', '-u', '1234:5678', 'ex3', 'id'])).stdout, 'uid=1234 gid=5678 groups=5678\n');
  });

  s.test('the container\'s capabilities, seccomp and no_new_privs apply', async (tgt) => {
    await running(tgt, 'ex4', ['--cap-drop', 'NET_RAW', '--security-opt', 'no-new-privileges']);
    const st = (await tgt.ok(['exec', 'ex4', 'cat', '/proc/self/status'])).stdout;
    assert.equal(capEff(st), '00000000a80405fb', 'the default set less NET_RAW');
    assert.match(st, /^NoNewPrivs:\s*1$/m);
    assert.match(st, /^Seccomp:\s*2$/m);
    const ns = (await tgt.ok(['exec', 'ex4', 'sh', '-c', 'for f in /proc/1/ns/pid /proc/self/ns/pid /proc/1/ns/mnt /proc/self/ns/mnt; do readlink $f; done'])).stdout;
    const [p1, pself, m1, mself] = lines(ns);
    assert.equal(p1, pself, 'same pid namespace as the container');
    assert.equal(m1, mself, 'same mount namespace as the container');
    assert.equal((await tgt.ok(['exec', 'ex4', 'cat', '/proc/1/cmdline'])).stdout, 'sleep\x00100000\x00');
  });

  // dockerd 20.10 asks for every capability the kernel knows and fails here
  // ("unable to apply caps: operation not permitted"): this host withholds
  // CAP_SYS_RESOURCE. berth grants every capability the host grants.
  s.test('--privileged gets the host\'s capabilities, keeps seccomp', async (tgt) => {
    await running(tgt, 'ex5');
    const st = (await tgt.ok(['exec', '--privileged', 'ex5', 'cat', '/proc/self/status'])).stdout;
    assert.equal(capEff(st), capEff(readFileSync('/proc/self/status', 'utf8')));
    assert.match(st, /^Seccomp:\s*2$/m);
  }, { only: 'berthd' });

  s.test('-i feeds stdin and closes it', async (tgt) => {
    await running(tgt, 'ex6');
    assert.equal((await tgt.ok(['exec', '-i', 'ex6', 'sh', '-c', 'cat; echo end'], { input: 'hello\n' })).stdout, 'hello\nend\n');
    const big = Buffer.alloc(200_000, 'abcdefghij\n');
    assert.equal((await tgt.ok(['exec', '-i', 'ex6', 'wc', '-c'], { input: big })).stdout.trim(), String(big.length));
    assert.equal((await tgt.ok(['exec', 'ex6', 'cat'], { input: 'ignored\n' })).stdout, '', 'without -i there is no stdin');
  });

  s.test('-t gives a terminal: crlf, one stream', async (tgt) => {
    await running(tgt, 'ex7');
    const r = await tgt.ok(['exec', '-t', 'ex7', 'sh', '-c', 'echo out; echo err >&2; [ -t 1 ] && echo tty']);
    assert.equal(r.stdout, 'out\r\nerr\r\ntty\r\n');
    assert.equal(r.stderr, '');
  });

  s.test('-it on a pseudo-terminal: prompt, echo, exit code', async (tgt) => {
    await running(tgt, 'ex8');
    const screen = await onPty([CLI, 'exec', '-it', 'ex8', 'sh'], {
      env: tgt.daemon.env,
      steps: [{ wait: '# ', send: 'echo $((6*7))\r' }, { wait: '42', send: 'tty; exit 5\r' }],
    });
    assert.equal(screen.code, 5, screen.text);
    assert.match(screen.text, /echo \$\(\(6\*7\)\)\r\n42\r\n/);
    assert.match(screen.text, /\/dev\/pts\/\d+\r\n/);
  });

  s.test('-d runs in the background', async (tgt) => {
    await running(tgt, 'ex9');
    const r = await tgt.ok(['exec', '-d', 'ex9', 'sh', '-c', 'sleep 0.3; echo done > /tmp/bg']);
    assert.equal(r.stdout, '');
    await waitFor(async () => (await tgt.docker(['exec', 'ex9', 'cat', '/tmp/bg'])).stdout === 'done\n', 'the background exec to finish');
  });

  s.test('commands that cannot run: 126 with dockerd\'s message', async (tgt) => {
    await running(tgt, 'ex10');
    const missing = await tgt.fails(['exec', 'ex10', 'nosuchcmd'], 126);
    assert.equal(missing.stdout.trim(), 'OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH: unknown');
    const perm = await tgt.fails(['exec', 'ex10', '/etc'], 126);
    assert.match(perm.stdout, /exec: "\/etc": permission denied: unknown/);
    const user = await tgt.fails(['exec', '-u', 'nosuch', 'ex10', 'id'], 126);
    assert.equal(user.stdout.trim(), 'unable to find user nosuch: no matching entries in passwd file');
    const cwd = await tgt.fails(['exec', '-w', '/nonexistent', 'ex10', 'pwd'], 126);
    assert.match(cwd.stdout, /chdir to cwd \("\/nonexistent"\) set in config\.json failed: no such file or directory: unknown/);
    const detached = await tgt.fails(['exec', '-d', 'ex10', 'nosuchcmd'], 1);
    assert.match(detached.stderr, /^Error response from daemon: OCI runtime exec failed: .*"nosuchcmd": executable file not found in \$PATH: unknown/);
  });

  s.test('exec in a container that is not running is a 409 naming it', async (tgt) => {
    const id = (await tgt.ok(['create', '--name', 'ex11', 'busybox', 'true'])).stdout.trim();
    const r = await tgt.fails(['exec', 'ex11', 'true'], 1);
    assert.equal(r.stderr.trim(), `Error response from daemon: Container ${id} is not running`);
    const api = await apiRequest(tgt.daemon.socket, 'POST', '/containers/ex11/exec', { body: { Cmd: ['true'] } });
    assert.equal(api.status, 409);
    const none = await tgt.fails(['exec', 'nosuch-ctr', 'true'], 1);
    assert.equal(none.stderr.trim(), 'Error response from daemon: No such container: nosuch-ctr');
  });

  s.test('the API: inspect of a session, unknown ids, a second start', async (tgt) => {
    const ctr = await running(tgt, 'ex12');
    const created = await apiRequest(tgt.daemon.socket, 'POST', '/v1.41/containers/ex12/exec', { body: { Cmd: ['sh', '-c', 'sleep 0.5; exit 7'], User: 'nobody' } });
    assert.equal(created.status, 201);
    const id = JSON.parse(created.body).Id as string;
    const before = JSON.parse((await apiRequest(tgt.daemon.socket, 'GET', `/v1.41/exec/${id}/json`)).body);
    assert.deepEqual(before, {
      ID: id, Running: false, ExitCode: null,
      ProcessConfig: { tty: false, entrypoint: 'sh', arguments: ['-c', 'sleep 0.5; exit 7'], privileged: false, user: 'nobody' },
      OpenStdin: false, OpenStderr: false, OpenStdout: false, CanRemove: false, ContainerID: ctr, DetachKeys: '', Pid: 0,
    });
    const start = await apiRequest(tgt.daemon.socket, 'POST', `/v1.41/exec/${id}/start`, { body: { Detach: true } });
    assert.equal(start.status, 200);
    const during = JSON.parse((await apiRequest(tgt.daemon.socket, 'GET', `/v1.41/exec/${id}/json`)).body);
    assert.equal(during.Running, true);
    assert.ok(during.Pid > 0);
    await waitFor(async () => JSON.parse((await apiRequest(tgt.daemon.socket, 'GET', `/v1.41/exec/${id}/json`)).body).ExitCode === 7, 'exit code 7');
    const again = await apiRequest(tgt.daemon.socket, 'POST', `/v1.41/exec/${id}/start`, { body: { Detach: true } });
    assert.equal(again.status, 409);
    assert.equal(JSON.parse(again.body).message, `Error: Exec command ${id} has already run`);
    const unknown = await apiRequest(tgt.daemon.socket, 'GET', '/v1.41/exec/nosuchid/json');
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.body).message, 'No such exec instance: nosuchid');
    const resize = await apiRequest(tgt.daemon.socket, 'POST', '/v1.41/exec/nosuchid/resize?h=10&w=10');
    assert.equal(resize.status, 404);
    const empty = await apiRequest(tgt.daemon.socket, 'POST', '/v1.41/containers/ex12/exec', { body: { Cmd: [] } });
    assert.equal(empty.status, 400);
    assert.equal(JSON.parse(empty.body).message, 'No exec command specified');
  });

  s.test('events: exec_create, exec_start, exec_die with execID and exitCode', async (tgt) => {
    await running(tgt, 'ex13');
    const since = Math.floor(Date.now() / 1000) - 1;
    await tgt.fails(['exec', 'ex13', 'sh', '-c', 'exit 2'], 2);
    await tgt.fails(['exec', 'ex13', 'nosuchcmd'], 126);
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = await tgt.ok(['events', '--since', String(since), '--until', String(until), '--filter', 'container=ex13', '--format', '{{.Action}}|{{.Actor.Attributes.execID}}|{{.Actor.Attributes.exitCode}}']);
    const got = lines(r.stdout).filter((l) => l.startsWith('exec_'));
    assert.equal(got.length, 5, r.stdout);
    const [c1, s1, d1, c2, s2] = got.map((l) => l.split('|'));
    assert.equal(c1![0], 'exec_create: sh -c exit 2');
    assert.equal(s1![0], 'exec_start: sh -c exit 2');
    assert.deepEqual(d1, ['exec_die', c1![1], '2']);
    assert.match(c1![1]!, /^[0-9a-f]{64}$/);
    assert.equal(s1![1], c1![1]);
    assert.equal(c2![0], 'exec_create: nosuchcmd ', 'dockerd joins entrypoint and (no) arguments with a space');
    assert.equal(s2![0], 'exec_start: nosuchcmd ');
  });

  s.test('inspect ExecIDs: null, then the sessions created or running; an ended one leaves; a stop forgets the never-started ones', async (tgt) => {
    await running(tgt, 'ex15');
    const execIds = async (): Promise<string[] | null> => JSON.parse((await tgt.ok(['inspect', '-f', '{{json .ExecIDs}}', 'ex15'])).stdout);
    assert.equal(await execIds(), null);
    const created = await apiRequest(tgt.daemon.socket, 'POST', '/v1.41/containers/ex15/exec', { body: { Cmd: ['true'] } });
    const never = JSON.parse(created.body).Id as string;
    assert.deepEqual(await execIds(), [never]);
    await tgt.ok(['exec', '-d', 'ex15', 'sleep', '4712']);
    const both = await execIds();
    assert.equal(both?.length, 2);
    assert.ok(both.includes(never));
    const sleeper = both.find((id) => id !== never)!;
    await tgt.ok(['exec', 'ex15', 'true']);
    assert.equal((await execIds())?.length, 2, 'an exec that ended is not listed');
    await tgt.ok(['stop', '-t', '0', 'ex15']);
    // The session's exit is reported by its own monitor, maybe a moment after the container's.
    await waitFor(async () => (await execIds()) === null, 'ExecIDs null once the container stopped');
    const gone = await apiRequest(tgt.daemon.socket, 'GET', `/v1.41/exec/${never}/json`);
    assert.equal(gone.status, 404);
    assert.equal(JSON.parse(gone.body).message, `No such exec instance: ${never}`);
    const killed = JSON.parse((await apiRequest(tgt.daemon.socket, 'GET', `/v1.41/exec/${sleeper}/json`)).body);
    assert.equal(killed.Running, false);
    assert.equal(killed.ExitCode, 137, 'a running session ends with its container and stays inspectable');
  });

  s.test('nothing is left behind: sessions end with their process, and with the container', async (tgt) => {
    await running(tgt, 'ex14');
    await tgt.ok(['exec', '-d', 'ex14', 'sleep', '4711']);
    await tgt.ok(['exec', 'ex14', 'true']);
    await tgt.ok(['rm', '-f', 'ex14']);
    await waitFor(() => !listProcesses().some((p) => p.argv.join(' ') === 'sleep 4711'), 'the exec process to die with its container');
    if (tgt.name === 'berthd') {
      await waitFor(() => execMonitors(tgt).length === 0, 'no exec conmon left');
      const dir = join(tgt.daemon.execRoot, 'runtime');
      const live = new Set(lines((await tgt.ok(['ps', '-aq', '--no-trunc'])).stdout));
      const left = () => [
        ...readdirSync(join(dir, 'exec')).map((n) => `exec/${n}`),
        // s/ also holds the attach-socket links of containers still running.
        ...readdirSync(join(dir, 's')).filter((n) => !live.has(n)).map((n) => `s/${n}`),
      ];
      await waitFor(() => left().length === 0, `exec files to go (left: ${left().join(', ')})`);
    }
  });
});
