// The real docker CLI against the API server, with a fake engine whose
// containers play a tiny script when started (echo, cat, fail). This checks
// the wire protocol the way docker drives it: attach hijack before start,
// wait headers before start, framed output, stdin and its half-close.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { makeImage, FakeContainers } from './fakes.ts';
import { startApi } from './harness.ts';

const DOCKER = '/usr/local/bin/docker';
const skip = existsSync(DOCKER) ? false : `${DOCKER} is not installed`;

/** Containers that run their command as a script: echo ARGS, cat (stdin to stdout), fail (stderr, exit 3). */
class ScriptedContainers extends FakeContainers {
  override async start(ref: string): Promise<void> {
    await super.start(ref);
    const v = await this.inspect(ref);
    const argv = [...(v.config.entrypoint ?? []), ...(v.config.cmd ?? [])];
    const sessions = this.sessions.filter((s) => s.out !== undefined);
    const finish = (code: number) => {
      v.state = { ...v.state, status: 'exited', exitCode: code, pid: 0, finishedAt: new Date().toISOString() };
      for (const s of sessions) s.out.end();
      this.exit(v.id, code);
      if (v.hostConfig.autoRemove) this.views.delete(v.id);
    };
    setImmediate(() => {
      if (argv[0] === 'echo') {
        for (const s of sessions) if (s.opts.stdout) s.out.data('stdout', Buffer.from(argv.slice(1).join(' ') + '\n'));
        finish(0);
      } else if (argv[0] === 'fail') {
        for (const s of sessions) if (s.opts.stderr) s.out.data('stderr', Buffer.from('oops\n'));
        finish(3);
      } else if (argv[0] === 'cat') {
        const poll = setInterval(() => {
          for (const s of sessions) {
            const input = Buffer.concat(s.written.splice(0));
            if (input.length) for (const o of sessions) if (o.opts.stdout) o.out.data('stdout', input);
          }
          if (sessions.some((s) => s.stdinClosed)) { clearInterval(poll); finish(0); }
        }, 5);
      } else {
        finish(0);
      }
    });
  }
}

function docker(socket: string, args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(DOCKER, args, { env: { ...process.env, DOCKER_HOST: `unix://${socket}` }, timeout: 15000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}

async function cliApi(t: Parameters<typeof startApi>[0]) {
  const api = await startApi(t);
  // Turn the harness's fake into a scripted one in place: the server holds that object.
  Object.setPrototypeOf(api.containers, ScriptedContainers.prototype);
  api.images.images.push(makeImage({ id: 'sha256:' + 'a'.repeat(64), tags: ['busybox:latest'] }));
  return api;
}

test('docker run prints the output and exits 0', { skip }, async (t) => {
  const api = await cliApi(t);
  const r = await docker(api.socket, ['run', '--rm', '--name', 'hello', 'busybox', 'echo', 'hello', 'world']);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'hello world\n');
  assert.equal(r.code, 0);
  assert.equal(api.containers.lastCreate!.hostConfig!.autoRemove, true);
});

test('docker run relays stderr and the exit code', { skip }, async (t) => {
  const api = await cliApi(t);
  const r = await docker(api.socket, ['run', 'busybox', 'fail']);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'oops\n');
  assert.equal(r.code, 3);
});

test('docker run -i pipes stdin through and ends on its EOF', { skip }, async (t) => {
  const api = await cliApi(t);
  const r = await docker(api.socket, ['run', '-i', 'busybox', 'cat'], 'line one\nline two\n');
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'line one\nline two\n');
  assert.equal(r.code, 0);
});

test('docker ps, logs, inspect and rm render', { skip }, async (t) => {
  const api = await cliApi(t);
  const created = await docker(api.socket, ['create', '--name', 'box', 'busybox', 'echo', 'x']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout.trim(), 'c'.repeat(64));
  api.containers.logEntries = [{ stream: 'stdout', time: new Date(), timestamp: '2024-05-01T10:00:00.5Z', data: Buffer.from('logged\n') }];
  const ps = await docker(api.socket, ['ps', '-a', '--format', '{{.Names}}|{{.Status}}|{{.Command}}']);
  assert.equal(ps.stdout, 'box|Created|"echo x"\n');
  const logs = await docker(api.socket, ['logs', '-t', 'box']);
  assert.equal(logs.stdout, '2024-05-01T10:00:00.500000000Z logged\n');
  const inspect = await docker(api.socket, ['inspect', '-f', '{{.Name}} {{.State.Status}} {{.HostConfig.NetworkMode}}', 'box']);
  assert.equal(inspect.stdout, '/box created default\n');
  const rm = await docker(api.socket, ['rm', 'box']);
  assert.equal(rm.code, 0, rm.stderr);
  const gone = await docker(api.socket, ['inspect', 'box']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such (container|object): box/);
});

test('docker pull of a missing image says why it failed', { skip }, async (t) => {
  const api = await cliApi(t);
  const r = await docker(api.socket, ['pull', 'nope']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error response from daemon: this daemon has no registry client configured/);
});

test('docker run -t gets the raw, unframed stream', { skip }, async (t) => {
  const api = await cliApi(t);
  const r = await docker(api.socket, ['run', '-t', 'busybox', 'echo', 'on a tty']);
  assert.equal(r.stdout, 'on a tty\n');
  assert.equal(r.code, 0);
  assert.equal(api.containers.lastCreate!.config.tty, true);
});
