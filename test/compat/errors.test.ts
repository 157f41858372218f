// Failures as the docker CLI reports them: exit codes, Docker's wording, the
// HTTP status behind them, and no leftovers after a create that failed.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { apiRequest } from '../helpers/api.ts';
import { daemonProcesses } from '../helpers/daemon.ts';
import { type CompatTarget, compatSuite, lines, makeTar } from './target.ts';

const INVALID_NAME = /Invalid container name \((.+)\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/;
// Docker >= 25 words it "...: container is running: stop the container before removing or force remove";
// dockerd 20.10 (the reference here) "...Stop the container before attempting removal or force remove".
const RUNNING_RM = /stop the container before (removing|attempting removal) or force remove/i;

/** Every directory under root, depth-limited, relative and sorted: what a failed create must not add to. */
function dirTree(root: string, maxDepth = 4): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > maxDepth) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      out.push(relative(root, join(dir, e.name)));
      walk(join(dir, e.name), depth + 1);
    }
  };
  walk(root, 1);
  return out.sort();
}

async function noCmdImage(tgt: CompatTarget): Promise<string> {
  const existing = await tgt.docker(['image', 'inspect', 'nocmd:1']);
  if (existing.code === 0) return 'nocmd:1';
  const tar = await makeTar(tgt.tmpDir('nocmd'), 'rootfs', { 'etc/motd': 'no cmd here\n' });
  await tgt.ok(['import', tar, 'nocmd:1']);
  return 'nocmd:1';
}

compatSuite('errors', (s) => {
  s.test('unknown image: exit 125 naming the image', async (tgt) => {
    const never = await tgt.fails(['run', '--rm', '--pull', 'never', 'nosuch-image:1'], 125);
    assert.match(never.stderr, /No such image: nosuch-image:1/);
    // A pull is tried and fails: the registry is a closed port on loopback, nothing leaves the machine.
    const pulled = await tgt.fails(['run', '--rm', '127.0.0.1:9/nosuch-image:latest'], 125);
    assert.ok(pulled.stderr.includes('127.0.0.1:9/nosuch-image'), pulled.stderr);
    const created = await tgt.fails(['create', '--pull', 'never', 'nosuch-image:2'], 1);
    assert.match(created.stderr, /No such image: nosuch-image:2/);
  });

  s.test('unknown container, command by command', async (tgt) => {
    for (const cmd of [['stop'], ['wait'], ['start'], ['restart'], ['logs'], ['rm'], ['export'], ['kill']]) {
      const r = await tgt.fails([...cmd, 'nosuch-ctr'], 1);
      assert.match(r.stderr, /No such container: nosuch-ctr/, `docker ${cmd.join(' ')}: ${r.stderr}`);
    }
    // The CLI forgives a missing container under rm -f (it still prints the daemon's error).
    await tgt.ok(['rm', '-f', 'nosuch-ctr']);
    const api = await apiRequest(tgt.daemon.socket, 'GET', '/containers/nosuch-ctr/json');
    assert.equal(api.status, 404);
    assert.equal(JSON.parse(api.body).message, 'No such container: nosuch-ctr');
  });

  s.test('a command that cannot start: 127/126, the start error alone on stderr', async (tgt) => {
    // Without --rm the CLI waits for the next exit beside the start; dockerd
    // never ends that wait with the start's error, so the CLI prints only the
    // start error (no "Error waiting for container" line before it).
    for (const [cmd, code, words] of [['nosuchcmd', 127, /executable file not found/], ['/etc', 126, /permission denied/]] as const) {
      const r = await tgt.fails(['run', 'busybox', cmd], code);
      assert.match(r.stderr, words, r.stderr);
      assert.doesNotMatch(r.stderr, /waiting for container/i, r.stderr);
      const errLines = lines(r.stderr).filter((l) => /error/i.test(l));
      assert.equal(errLines.length, 1, r.stderr);
      // The container stays, created, with the start's error and exit code in inspect.
      const ps = lines((await tgt.ok(['ps', '-a', '-q', '--no-trunc', '--filter', 'status=created'])).stdout);
      assert.ok(ps.length >= 1, 'a created container is left');
      for (const id of ps) {
        const state = (await tgt.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id])).stdout.trim();
        assert.equal(state, `created ${code}`);
        await tgt.ok(['rm', id]);
      }
    }
  });

  s.test('invalid container names', async (tgt) => {
    for (const name of ['bad name!', '-bad', 'a', 'x/y']) {
      const r = await tgt.fails(['run', '--rm', '--name', name, 'busybox', 'true'], 125);
      const m = INVALID_NAME.exec(r.stderr);
      assert.ok(m, `--name ${JSON.stringify(name)}: ${r.stderr}`);
      assert.equal(m[1], name);
    }
  });

  s.test('an image without CMD and no command given', async (tgt) => {
    const img = await noCmdImage(tgt);
    const r = await tgt.fails(['run', '--rm', img], 125);
    assert.match(r.stderr, /no command specified/i);
  });

  s.test('nonexistent user: 125, the container stays created', async (tgt) => {
    const r = await tgt.fails(['run', '--name', 'baduser', '-u', 'nosuchuser', 'busybox', 'true'], 125);
    assert.match(r.stderr, /unable to find user nosuchuser/);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Status}}', 'baduser'])).stdout, 'created\n');
    await tgt.fails(['run', '--rm', '-u', 'nosuchuser', 'busybox', 'true'], 125);
    assert.deepEqual(lines((await tgt.ok(['ps', '-a', '--format', '{{.Names}}'])).stdout), ['baduser']);
  });

  s.test('exec failures map to 127 and 126', async (tgt) => {
    const missing = await tgt.fails(['run', '--rm', 'busybox', 'nosuchcmd'], 127);
    assert.match(missing.stderr, /executable file not found in \$PATH/);
    const abs = await tgt.fails(['run', '--rm', 'busybox', '/nonexistent'], 127);
    assert.match(abs.stderr, /no such file or directory/);
    const perm = await tgt.fails(['run', '--rm', 'busybox', '/etc/passwd'], 126);
    assert.match(perm.stderr, /permission denied/);
    assert.equal((await tgt.ok(['ps', '-a', '-q'])).stdout, '', '--rm also removes a container that failed to start');
  });

  s.test('rm of a running container needs -f (409)', async (tgt) => {
    const id = (await tgt.ok(['run', '-d', '--name', 'busy', 'busybox', 'sleep', '1000'])).stdout.trim();
    const r = await tgt.fails(['rm', 'busy'], 1);
    assert.match(r.stderr, RUNNING_RM);
    const api = await apiRequest(tgt.daemon.socket, 'DELETE', '/containers/busy');
    assert.equal(api.status, 409);
    assert.match(JSON.parse(api.body).message, RUNNING_RM);
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Running}}', id])).stdout, 'true\n');
    await tgt.ok(['rm', '-f', 'busy']);
  });

  s.test('start of a running and stop of a stopped container are no-ops', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'noop', 'busybox', 'sleep', '1000']);
    const pid = (await tgt.ok(['inspect', '-f', '{{.State.Pid}}', 'noop'])).stdout;
    assert.equal((await tgt.ok(['start', 'noop'])).stdout, 'noop\n');
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Pid}}', 'noop'])).stdout, pid);
    await tgt.ok(['kill', 'noop']);
    assert.equal((await tgt.ok(['stop', 'noop'])).stdout, 'noop\n');
    const api = await apiRequest(tgt.daemon.socket, 'POST', '/containers/noop/stop');
    assert.equal(api.status, 304);
  });

  s.test('invalid create options are refused up front', async (tgt) => {
    const mount = await tgt.fails(['create', '-v', '/x:relative', 'busybox'], 1);
    assert.match(mount.stderr, /invalid volume specification: '\/x:relative'/);
    const restart = await tgt.fails(['create', '--restart', 'bogus', 'busybox'], 1);
    assert.match(restart.stderr, /invalid restart policy/);
  });

  s.test('a failed create leaves no container, directory or process', async (tgt) => {
    const img = await noCmdImage(tgt);
    await tgt.ok(['create', '--name', 'holder', 'busybox']);
    const before = {
      ps: (await tgt.ok(['ps', '-a', '-q', '--no-trunc'])).stdout,
      data: dirTree(tgt.daemon.dataRoot),
      exec: dirTree(tgt.daemon.execRoot),
      procs: daemonProcesses(tgt.daemon).map((p) => p.pid).sort(),
    };
    await tgt.fails(['create', '--name', 'holder', 'busybox'], 1);
    await tgt.fails(['create', '--name', 'bad name', 'busybox'], 1);
    await tgt.fails(['create', '--pull', 'never', 'nosuch-image:3'], 1);
    await tgt.fails(['create', img], 1);
    await tgt.fails(['create', '-v', '/x:relative', 'busybox'], 1);
    await tgt.fails(['create', '--restart', 'bogus', 'busybox'], 1);
    await tgt.fails(['run', '--name', 'holder', 'busybox', 'true'], 125);
    assert.equal((await tgt.ok(['ps', '-a', '-q', '--no-trunc'])).stdout, before.ps);
    assert.deepEqual(dirTree(tgt.daemon.dataRoot), before.data, 'nothing new under the data root');
    assert.deepEqual(dirTree(tgt.daemon.execRoot), before.exec, 'nothing new under the exec root');
    assert.deepEqual(daemonProcesses(tgt.daemon).map((p) => p.pid).sort(), before.procs, 'no conmon or shim left');
  });
});
