// The interactive path, on a pseudo-terminal: docker attach (detach keys,
// --no-stdin, --sig-proxy), start -a -i, run -it and exec -it window sizes
// at start and on SIGWINCH, and the websocket attach endpoint. Assertions
// are on what the terminal shows.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { onPty, resizeTty, ttyOf } from '../helpers/pty.ts';
import { CLI, compatSuite, type CompatTarget } from './target.ts';

const CTRL_P = '\x10';
const CTRL_Q = '\x11';

async function status(tgt: CompatTarget, name: string): Promise<string> {
  return (await tgt.ok(['inspect', '-f', '{{.State.Status}}', name])).stdout.trim();
}

function pty(tgt: CompatTarget, args: string[], opts: Parameters<typeof onPty>[1] = {}) {
  return onPty([CLI, ...args], { env: tgt.daemon.env, ...opts });
}

interface WsResult { messages: Array<{ binary: boolean; text: string }>; status?: number; body?: string }

/** Opens the websocket attach, sends `input` once open, collects messages for `ms`. */
function wsAttach(tgt: CompatTarget, path: string, input: string[], ms: number): Promise<WsResult> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws+unix://${tgt.daemon.socket}:${path}`, { headers: { Origin: 'http://localhost' } });
    const result: WsResult = { messages: [] };
    const done = () => resolve(result);
    ws.on('unexpected-response', (_req, res) => {
      result.status = res.statusCode;
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => { result.body = body; done(); });
    });
    ws.on('open', () => { for (const i of input) ws.send(i); });
    ws.on('message', (data: Buffer, binary: boolean) => result.messages.push({ binary, text: data.toString() }));
    ws.on('close', done);
    ws.on('error', () => {});
    setTimeout(() => ws.close(), ms);
  });
}

compatSuite('interactive', (s) => {
  s.test('attach to a TTY container: input, ctrl-p ctrl-q detaches and the container runs on', async (tgt) => {
    await tgt.ok(['run', '-dit', '--name', 'at1', 'busybox', 'sh']);
    const screen = await pty(tgt, ['attach', 'at1'], {
      steps: [{ delay: 400, send: 'echo $((6*7))\r' }, { wait: '42\r\n', send: CTRL_P }, { delay: 100, send: CTRL_Q }],
    });
    assert.equal(screen.code, 1, screen.text);
    assert.match(screen.text, /42\r\n/);
    assert.match(screen.text, /read escape sequence\r\n$/);
    assert.equal(await status(tgt, 'at1'), 'running');
    // The keys were not passed on: the shell still answers as before.
    const again = await pty(tgt, ['attach', '--detach-keys', 'ctrl-x,x', 'at1'], {
      steps: [{ delay: 400, send: 'echo again\r' }, { wait: 'again\r\n', send: '\x18x' }],
    });
    assert.equal(again.code, 1, again.text);
    assert.match(again.text, /read escape sequence/);
    assert.equal(await status(tgt, 'at1'), 'running');
  });

  s.test('attach --no-stdin: output only; exit ends the attach with the code', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'at2', 'busybox', 'sh', '-c', 'echo tick; sleep 1; echo tock; exit 3']);
    const screen = await pty(tgt, ['attach', '--no-stdin', 'at2'], { steps: [{ delay: 200, send: 'ignored\r' }] });
    assert.equal(screen.code, 3, screen.text);
    assert.match(screen.text, /tock\r\n/);
  });

  s.test('attach --sig-proxy forwards ctrl-c to a non-TTY container', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'at3', 'busybox', 'sh', '-c', 'trap "echo got INT; exit 7" INT; while true; do sleep 0.1; done']);
    const screen = await pty(tgt, ['attach', 'at3'], { steps: [{ delay: 700, send: '\x03' }] });
    assert.equal(screen.code, 7, screen.text);
    assert.match(screen.text, /got INT\r\n/);
    await tgt.ok(['run', '-d', '--name', 'at4', 'busybox', 'sh', '-c', 'trap "echo got INT; exit 7" INT; while true; do sleep 0.1; done']);
    const noProxy = await pty(tgt, ['attach', '--sig-proxy=false', 'at4'], { steps: [{ delay: 700, send: '\x03' }], hangUpAfterMs: 1000 });
    assert.doesNotMatch(noProxy.text, /got INT/);
    assert.equal(await status(tgt, 'at4'), 'running');
  });

  s.test('attach --sig-proxy: a SIGTERM to the client reaches the container; with --sig-proxy=false it never does', async (tgt) => {
    const script = 'trap "echo got TERM; exit 9" TERM; while true; do echo tick; sleep 0.2; done';
    /**
     * Attaches and, once output came through the attach and the client had
     * a moment to set up its handlers, sends the client SIGTERM every 2 s
     * until it ends (the docker CLI 28 without the proxy ends at the third).
     */
    const attachAndTerm = (name: string, extra: string[]) => new Promise<{ code: number | null; signal: string | null; out: string; sent: number }>((resolve, reject) => {
      const child = spawn(CLI, ['attach', ...extra, name], { env: tgt.daemon.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let sent = 0;
      let ticker: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`attach did not end: ${out.slice(-200)}`)); }, 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (!ticker && out.includes('tick\n')) {
          const term = () => { if (sent < 3) { sent++; child.kill('SIGTERM'); } };
          ticker = setInterval(term, 2000);
          setTimeout(term, 1000);
        }
      });
      child.on('exit', (code, signal) => { clearTimeout(timer); clearInterval(ticker); resolve({ code, signal, out, sent }); });
    });
    await tgt.ok(['run', '-d', '--name', 'sp1', 'busybox', 'sh', '-c', script]);
    const proxied = await attachAndTerm('sp1', []);
    assert.equal(proxied.code, 9, JSON.stringify(proxied));
    assert.equal(proxied.sent, 1);
    assert.match(proxied.out, /got TERM\n$/);
    await tgt.ok(['run', '-d', '--name', 'sp2', 'busybox', 'sh', '-c', script]);
    const notProxied = await attachAndTerm('sp2', ['--sig-proxy=false']);
    assert.doesNotMatch(notProxied.out, /got TERM/);
    assert.notEqual(notProxied.code, 0, JSON.stringify(notProxied));
    assert.equal(await status(tgt, 'sp2'), 'running');
  });

  s.test('start -a -i runs a created TTY container interactively', async (tgt) => {
    await tgt.ok(['create', '-it', '--name', 'at5', 'busybox', 'sh']);
    const screen = await pty(tgt, ['start', '-a', '-i', 'at5'], {
      steps: [{ delay: 500, send: '\r' }, { wait: '# ', send: 'echo started\r' }, { wait: 'started\r\n', send: 'exit 4\r' }],
    });
    assert.equal(screen.code, 4, screen.text);
    assert.equal(await status(tgt, 'at5'), 'exited');
  });

  s.test('window size follows the terminal: exec -it and attach on SIGWINCH', async (tgt) => {
    await tgt.ok(['run', '-dit', '--name', 'at6', 'busybox', 'sh']);
    const exec = await pty(tgt, ['exec', '-it', 'at6', 'sh'], {
      size: { rows: 20, cols: 70 },
      steps: [
        { wait: '# ', send: 'stty size\r', until: '20 70\r\n', everyMs: 700 },
        // The resize travels CLI -> daemon -> conmon while the input travels its own way: ask until it shows.
        { wait: '# ', action: () => resizeTty(ttyOf('at6'), 44, 99), delay: 300, send: 'stty size\r', until: '44 99\r\n', everyMs: 700 },
        { send: 'exit\r' },
      ],
    });
    assert.equal(exec.code, 0, exec.text);
    const attach = await pty(tgt, ['attach', 'at6'], {
      size: { rows: 21, cols: 71 },
      steps: [
        { delay: 500, send: 'stty size\r', until: '21 71\r\n', everyMs: 700 },
        { action: () => resizeTty(ttyOf('at6'), 45, 98), delay: 300, send: 'stty size\r', until: '45 98\r\n', everyMs: 700 },
        { send: CTRL_P + CTRL_Q },
      ],
    });
    assert.equal(attach.code, 1, attach.text);
  });

  // dockerd 20.10 starts a TTY at 0x0 and resizes it only after the start
  // ("stty: standard input"); berth, like dockerd >= 23, honours the
  // ConsoleSize the CLI sends, so the size is right from the first instruction.
  s.test('run -it and exec -it have the terminal\'s size from the start', async (tgt) => {
    const run = await pty(tgt, ['run', '--rm', '-it', 'busybox', 'stty', 'size'], { size: { rows: 33, cols: 111 } });
    assert.equal(run.text, '33 111\r\n');
    await tgt.ok(['run', '-d', '--name', 'at7', 'busybox', 'sleep', '100000']);
    const exec = await pty(tgt, ['exec', '-it', 'at7', 'stty', 'size'], { size: { rows: 34, cols: 112 } });
    assert.equal(exec.text, '34 112\r\n');
  }, { only: 'berthd' });

  s.test('exec -it detach keys end the session, the process runs on', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'at8', 'busybox', 'sleep', '100000']);
    const screen = await pty(tgt, ['exec', '-it', '--detach-keys', 'ctrl-x', 'at8', 'sh'], {
      steps: [{ wait: '# ', send: 'echo $((7*6))\r' }, { wait: '42\r\n', send: '\x18' }],
    });
    assert.match(screen.text, /read escape sequence\r\n$/);
    const ps = (await tgt.ok(['exec', 'at8', 'ps', '-o', 'args'])).stdout;
    assert.match(ps, /^sh$/m, 'the detached shell still runs');
  });

  s.test('detachKeys from the client\'s config.json: attach, exec -it, run -it, start -a -i; --detach-keys wins', async (tgt) => {
    const dir = tgt.tmpDir('detachcfg');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ detachKeys: 'ctrl-x,x' }));
    const env = { ...tgt.daemon.env, DOCKER_CONFIG: dir };
    const detachedAfter = (wait: string) => [{ wait, delay: 100, send: '\x18x' }];
    await tgt.ok(['run', '-dit', '--name', 'dk1', 'busybox', 'sh']);
    // ctrl-p ctrl-q is not the sequence now: the shell reads it and answers on.
    const attach = await pty(tgt, ['attach', 'dk1'], {
      env, steps: [{ delay: 400, send: `${CTRL_P}${CTRL_Q}echo $((6*7))\r` }, ...detachedAfter('42\r\n')],
    });
    assert.equal(attach.code, 1, attach.text);
    assert.match(attach.text, /read escape sequence\r\n$/);
    assert.equal(await status(tgt, 'dk1'), 'running');
    const exec = await pty(tgt, ['exec', '-it', 'dk1', 'sh'], { env, steps: [{ wait: '# ', send: 'echo $((7*8))\r' }, ...detachedAfter('56\r\n')] });
    assert.match(exec.text, /read escape sequence\r\n$/);
    const run = await pty(tgt, ['run', '-it', '--name', 'dk2', 'busybox', 'sh'], { env, steps: [{ wait: '# ', send: 'echo $((8*9))\r' }, ...detachedAfter('72\r\n')] });
    // run and start detach quietly, with 0; the container runs on.
    assert.equal(run.code, 0, run.text);
    assert.equal(await status(tgt, 'dk2'), 'running');
    await tgt.ok(['create', '-it', '--name', 'dk3', 'busybox', 'sh']);
    const start = await pty(tgt, ['start', '-a', '-i', 'dk3'], {
      env, steps: [{ delay: 500, send: '\r' }, { wait: '# ', send: 'echo $((9*9))\r' }, ...detachedAfter('81\r\n')],
    });
    assert.equal(start.code, 0, start.text);
    assert.equal(await status(tgt, 'dk3'), 'running');
    // The flag is taken over the file: ctrl-x x is passed on, ctrl-y detaches.
    const flag = await pty(tgt, ['attach', '--detach-keys', 'ctrl-y', 'dk1'], {
      env, steps: [{ delay: 400, send: '\x18x\r' }, { wait: 'x: not found', send: 'echo $((5*5))\r' }, { wait: '25\r\n', delay: 100, send: '\x19' }],
    });
    assert.match(flag.text, /read escape sequence\r\n$/);
    assert.equal(await status(tgt, 'dk1'), 'running');
  });

  s.test('websocket attach: binary messages, stdin, logs, unknown container', async (tgt) => {
    await tgt.ok(['run', '-d', '-i', '--name', 'at9', 'busybox', 'sh', '-c', 'echo start; while read l; do echo "got $l"; done']);
    const r = await wsAttach(tgt, '/v1.41/containers/at9/attach/ws?stream=1&logs=1&stdin=1&stdout=1&stderr=1', ['hello\n', 'x\n'], 1500);
    assert.ok(r.messages.every((m) => m.binary), 'binary messages from API 1.28');
    assert.equal(r.messages.map((m) => m.text).join(''), 'start\ngot hello\ngot x\n');
    const old = await wsAttach(tgt, '/v1.27/containers/at9/attach/ws?stream=1&stdin=1&stdout=1', ['old\n'], 1000);
    assert.deepEqual(old.messages, [{ binary: false, text: 'got old\n' }]);
    const missing = await wsAttach(tgt, '/v1.41/containers/nosuch/attach/ws?stream=1', [], 1000);
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body!).message, 'No such container: nosuch');
    await tgt.ok(['run', '-dit', '--name', 'at10', 'busybox', 'sh']);
    const detached = await wsAttach(tgt, '/v1.41/containers/at10/attach/ws?stream=1&stdin=1&stdout=1&detachKeys=ctrl-x', ['\x18'], 3000);
    assert.equal(detached.messages.length, 0);
    assert.equal(await status(tgt, 'at10'), 'running');
  });
});
