// berth's own CLI for exec, attach, cp, stats and events against berthd,
// beside the docker CLI against the same daemon: where the daemon's answer
// is the same, the two clients must print the same text (events lines and
// JSON, cp's tar and its "Successfully copied" summary, stats' columns,
// error messages). TTY behaviour is asserted on what a pseudo-terminal
// shows. The whole compat suite also runs with COMPAT_CLI=bin/berth.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compatSuite, lines, sleep, waitFor, type CompatTarget } from './target.ts';
import { BERTH, DOCKER_CLI, run, type RunOptions } from '../helpers/daemon.ts';
import { onPty } from '../helpers/pty.ts';

const CTRL_P = '\x10';
const CTRL_Q = '\x11';

function clients(tgt: CompatTarget) {
  const with_ = (cli: string) => (args: string[], opts: RunOptions = {}) =>
    run(cli, args, { timeout: 60_000, ...opts, env: { ...tgt.daemon.env, ...opts.env } });
  return { berth: with_(BERTH), docker: with_(DOCKER_CLI) };
}

const pty = (tgt: CompatTarget, cli: string, args: string[], opts: Parameters<typeof onPty>[1] = {}) =>
  onPty([cli, ...args], { env: tgt.daemon.env, ...opts });

async function status(tgt: CompatTarget, name: string): Promise<string> {
  return (await tgt.ok(['inspect', '-f', '{{.State.Status}}', name])).stdout.trim();
}

compatSuite('berth CLI: exec, attach, cp, stats, events', (s) => {
  s.test('exec: streams, exit codes, -e, -it on a terminal (no \\r\\r\\n), errors as docker prints them', async (tgt) => {
    const { berth, docker } = clients(tgt);
    await tgt.ok(['run', '-d', '--name', 'bx', 'busybox', 'sleep', '100000']);
    const r = await berth(['exec', 'bx', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [3, 'out\n', 'err\n']);
    assert.equal((await berth(['container', 'exec', '-e', 'A=1', '-w', '/etc', 'bx', 'sh', '-c', 'echo $A $PWD'])).stdout, '1 /etc\n');
    assert.equal((await berth(['exec', '-i', 'bx', 'cat'], { input: 'piped\n' })).stdout, 'piped\n');
    const screen = await pty(tgt, BERTH, ['exec', '-it', 'bx', 'sh'], {
      size: { rows: 20, cols: 70 },
      steps: [{ wait: '# ', send: 'echo $((6*7))\r' }, { wait: '42\r\n', send: 'stty size; exit 4\r' }],
    });
    assert.equal(screen.code, 4, screen.text);
    assert.match(screen.text, /echo \$\(\(6\*7\)\)\r\n42\r\n/);
    assert.match(screen.text, /20 70\r\n/);
    assert.doesNotMatch(screen.text, /\r\r\n/);
    const notTty = await berth(['exec', '-it', 'bx', 'true'], { input: '' });
    assert.deepEqual([notTty.code, notTty.stderr], [1, 'the input device is not a TTY\n']);
    await tgt.ok(['create', '--name', 'cold', 'busybox']);
    for (const args of [['exec', 'cold', 'true'], ['exec', 'nosuch', 'true']]) {
      const [b, d] = [await berth(args), await docker(args)];
      assert.deepEqual([b.code, b.stderr], [d.code, d.stderr], args.join(' '));
    }
  }, { only: 'berthd' });

  s.test('attach: output and exit code; detach keys on a terminal leave it running; a stopped container refused', async (tgt) => {
    const { berth, docker } = clients(tgt);
    // (With stdin from a pipe, docker's attach ends at its EOF and loses what follows; so does berth's.)
    await tgt.ok(['run', '-d', '--name', 'ax', 'busybox', 'sh', '-c', 'sleep 3; echo late; echo err >&2; exit 5']);
    const r = await berth(['attach', 'ax']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [5, 'late\n', 'err\n']);
    await tgt.ok(['run', '-dit', '--name', 'at', 'busybox', 'sh']);
    const screen = await pty(tgt, BERTH, ['container', 'attach', 'at'], {
      steps: [{ delay: 500, send: 'echo $((6*7))\r', until: '42\r\n', everyMs: 1000 }, { send: CTRL_P }, { delay: 100, send: CTRL_Q }],
    });
    assert.equal(screen.code, 1, screen.text);
    assert.match(screen.text, /read escape sequence\r\n$/);
    assert.equal(await status(tgt, 'at'), 'running');
    const [b, d] = [await berth(['attach', 'ax']), await docker(['attach', 'ax'])];
    assert.deepEqual([b.code, b.stderr], [d.code, d.stderr]);
    assert.equal(b.stderr, 'You cannot attach to a stopped container, start it first\n');
  }, { only: 'berthd' });

  s.test('cp: both ways, "-" gives the same tar as docker\'s, the summary only on a terminal', async (tgt) => {
    const { berth, docker } = clients(tgt);
    await tgt.ok(['run', '-d', '--name', 'cx', 'busybox', 'sh', '-c', 'mkdir -p /d/sub && echo x > /d/x && echo y > /d/sub/y && touch /ready && sleep 100000']);
    await waitFor(async () => (await berth(['exec', 'cx', 'test', '-e', '/ready'])).code === 0, '/ready');
    const dir = tgt.tmpDir('cp');
    assert.deepEqual(await berth(['cp', 'cx:/d', join(dir, 'copy')]).then((x) => [x.code, x.stdout, x.stderr]), [0, '', '']);
    assert.equal(readFileSync(join(dir, 'copy/sub/y'), 'utf8'), 'y\n');
    const [bt, dt] = [await berth(['cp', 'cx:/d', '-']), await docker(['cp', 'cx:/d', '-'])];
    assert.ok(bt.stdoutBuf.equals(dt.stdoutBuf), 'the same tar bytes');
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'in/f'), 'F\n');
    await berth(['cp', join(dir, 'in'), 'cx:/new']);
    await berth(['cp', `${join(dir, 'in')}/.`, 'cx:/d']);
    assert.equal((await berth(['exec', 'cx', 'cat', '/new/f', '/d/f'])).stdout, 'F\nF\n');
    const b = await pty(tgt, BERTH, ['cp', 'cx:/d/x', join(dir, 'b')]);
    const d = await pty(tgt, DOCKER_CLI, ['cp', 'cx:/d/x', join(dir, 'd')]);
    assert.equal(b.text, `Successfully copied 2.05kB to ${join(dir, 'b')}\r\n`);
    assert.equal(b.text.replace(join(dir, 'b'), join(dir, 'd')), d.text);
    const up = await pty(tgt, BERTH, ['cp', join(dir, 'in/f'), 'cx:/tmp/']);
    assert.equal(up.text, (await pty(tgt, DOCKER_CLI, ['cp', join(dir, 'in/f'), 'cx:/tmp/'])).text);
    const quiet = await pty(tgt, BERTH, ['cp', '-q', 'cx:/d/x', join(dir, 'q')]);
    assert.equal(quiet.text, '');
    for (const args of [['cp', 'cx:/nope', dir], ['cp', join(dir, 'in'), 'cx:/d/x'], ['cp', 'a:/x', 'b:/y'], ['cp', dir, join(dir, 'x')]]) {
      const [eb, ed] = [await berth(args), await docker(args)];
      // docker's client may also log its own tar writer racing the refused
      // upload ("Can't add file ... closed pipe"): timing noise, not output.
      const noise = /^time="[^"]*" level=error msg=.*\n/gm;
      assert.deepEqual([eb.code, eb.stderr], [ed.code, ed.stderr.replace(noise, '')], args.join(' '));
    }
  }, { only: 'berthd' });

  s.test('stats: docker\'s columns and figures, redrawn in place on a terminal', async (tgt) => {
    const { berth, docker } = clients(tgt);
    await tgt.ok(['run', '-d', '--name', 'sx', '-m', '64m', 'busybox', 'sh', '-c', 'sleep 1001 & sleep 1002']);
    const [bt, dt] = [await berth(['stats', '--no-stream']), await docker(['stats', '--no-stream'])];
    assert.equal(lines(bt.stdout)[0], lines(dt.stdout)[0]);
    assert.match(lines(bt.stdout)[1]!, /^[0-9a-f]{12} {3}sx {8}\d+\.\d\d% +[\d.]+[KM]iB \/ 64MiB +\d+\.\d\d% +\S+ \/ \S+ +\S+ \/ \S+ +2$/);
    const fmt = ['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}} {{.Container}} {{.ID}}', 'sx'];
    assert.equal((await berth(fmt)).stdout, (await docker(fmt)).stdout);
    const json = JSON.parse((await berth(['container', 'stats', '--no-stream', '--format', 'json', 'sx'])).stdout);
    assert.deepEqual(Object.keys(json), Object.keys(JSON.parse((await docker(['stats', '--no-stream', '--format', 'json', 'sx'])).stdout)));
    const none = [await berth(['stats', '--no-stream', 'nosuch']), await docker(['stats', '--no-stream', 'nosuch'])];
    assert.deepEqual([none[0].code, none[0].stderr], [none[1].code, none[1].stderr]);
    const live = await pty(tgt, BERTH, ['stats', 'sx'], { steps: [{ wait: 'sx', delay: 1500, send: '\x03' }] });
    const frames = live.text.split('\x1b[H').slice(1);
    assert.ok(frames.length >= 2, live.text);
    for (const f of frames.slice(0, -1)) {
      // eslint-disable-next-line no-control-regex
      assert.match(f, /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS\x1b\[K\r\n[0-9a-f]{12} +sx .* 2\x1b\[K\r\n\x1b\[K\r\n\x1b\[J$/);
    }
  }, { only: 'berthd' });

  s.test('events: the same lines and JSON as docker\'s, templates checked up front', async (tgt) => {
    const { berth, docker } = clients(tgt);
    const since = String(Math.floor(Date.now() / 1000) - 1);
    await tgt.ok(['run', '-d', '--name', 'ev', '-l', 'k=v', 'busybox', 'true']);
    await tgt.ok(['wait', 'ev']);
    await tgt.ok(['rm', 'ev']);
    await sleep(1100);
    const until = String(Math.floor(Date.now() / 1000));
    // docker 28 negotiates API 1.50; the daemon's message fields depend on the version.
    const env = { DOCKER_API_VERSION: '1.50' };
    const window = ['--since', since, '--until', until];
    for (const extra of [[], ['--format', '{{json .}}'], ['--format', 'json', '--filter', 'event=die'], ['--filter', 'label=k=v', '--format', '{{.Action}} {{.Actor.Attributes.exitCode}}']]) {
      const [b, d] = [await berth(['events', ...window, ...extra], { env }), await docker(['events', ...window, ...extra], { env })];
      assert.equal(b.code, 0, b.stderr);
      assert.equal(b.stdout, d.stdout, extra.join(' '));
    }
    const actions = lines((await berth(['system', 'events', ...window, '--filter', 'container=ev', '--format', '{{.Action}}'])).stdout);
    assert.deepEqual(actions.filter((a) => ['create', 'start', 'die', 'destroy'].includes(a)), ['create', 'start', 'die', 'destroy']);
    const line = lines((await berth(['events', ...window, '--filter', 'event=die', '--filter', 'container=ev'])).stdout)[0]!;
    assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container die [0-9a-f]{64} \(exitCode=0, image=busybox, k=v, name=ev\)$/);
    const bad = [await berth(['events', '--format', '{{.Nope}}']), await docker(['events', '--format', '{{.Nope}}'])];
    assert.deepEqual([bad[0].code, bad[0].stderr], [64, bad[1].stderr]);
  }, { only: 'berthd' });
});
