// Runs a command on a pseudo-terminal (util-linux `script`), feeds it input
// with pauses, and returns what the terminal showed. TTY behaviour (raw
// mode, echo, window size, detach keys) is asserted on this screen text.
//
//   const screen = await onPty(['docker', 'exec', '-it', 'c1', 'sh'], {
//     env, size: { rows: 30, cols: 100 },
//     steps: [{ wait: '# ', send: 'stty size\r' }, { wait: '30 100', send: 'exit 3\r' }],
//   });
//   screen.code === 3; screen.text includes '30 100'

import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface PtyStep {
  /** Text the screen must show (since the previous step's match) before `send`. */
  wait?: string;
  /** Milliseconds to pause before sending (after `wait`, if any). */
  delay?: number;
  /** Runs after `wait` and `delay`, before `send` (e.g. resizing the terminal). */
  action?: () => void | Promise<void>;
  send?: string;
  /** Send `send` again every `everyMs` until the screen shows this (after this step began). */
  until?: string;
  everyMs?: number;
}

export interface PtyOptions {
  env?: NodeJS.ProcessEnv;
  size?: { rows: number; cols: number };
  steps?: PtyStep[];
  /** Milliseconds before the whole run is killed (default 30 s). */
  timeout?: number;
  /** Hang up (kill `script`, closing the terminal) this long after the last step; the result then has code null. */
  hangUpAfterMs?: number;
}

export interface PtyResult {
  /** The command's exit code (script -e passes it on). */
  code: number | null;
  /** Everything the terminal showed, control sequences included. */
  text: string;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The terminal device of the first process whose argv contains `marker` (its stdin). */
export function ttyOf(marker: string): string {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.includes(marker) && argv[0] !== 'script') return readlinkSync(`/proc/${pid}/fd/0`);
    } catch {}
  }
  throw new Error(`no process with ${marker} in its argv`);
}

/**
 * Changes a terminal's size in one TIOCSWINSZ (stty sets rows and columns
 * apart, two signals); the kernel sends SIGWINCH to its foreground group.
 */
export function resizeTty(tty: string, rows: number, cols: number): void {
  const py = 'import fcntl,struct,sys,termios,os\n' +
    'fd=os.open(sys.argv[1],os.O_RDWR|os.O_NOCTTY)\n' +
    'fcntl.ioctl(fd,termios.TIOCSWINSZ,struct.pack("HHHH",int(sys.argv[2]),int(sys.argv[3]),0,0))';
  execFileSync('python3', ['-c', py, tty, String(rows), String(cols)]);
}

export function onPty(argv: string[], opts: PtyOptions = {}): Promise<PtyResult> {
  const size = opts.size ? `stty rows ${opts.size.rows} cols ${opts.size.cols}; ` : '';
  const inner = `${size}exec ${argv.map(shellQuote).join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', inner, '/dev/null'], { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let text = '';
    let seen = 0;
    const steps = [...(opts.steps ?? [])];
    let waking: (() => void) | null = null;
    child.stdout.on('data', (d: Buffer) => { text += d.toString('latin1'); waking?.(); });
    child.stderr.on('data', (d: Buffer) => { text += d.toString('latin1'); waking?.(); });
    child.stdin.on('error', () => {});
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pty run timed out; screen so far: ${JSON.stringify(text)}`));
    }, opts.timeout ?? 30_000);
    let exited = false;
    const drive = async () => {
      for (const step of steps) {
        if (step.wait !== undefined) {
          while (!exited && text.indexOf(step.wait, seen) < 0) await new Promise<void>((r) => { waking = r; });
          waking = null;
          if (exited) return;
          seen = text.indexOf(step.wait, seen) + step.wait.length;
        }
        if (step.delay) await new Promise((r) => setTimeout(r, step.delay));
        if (step.action) await step.action();
        if (step.send !== undefined && !exited) child.stdin.write(step.send);
        if (step.until !== undefined) {
          const from = seen;
          while (!exited && text.indexOf(step.until, from) < 0) {
            await new Promise((r) => setTimeout(r, step.everyMs ?? 500));
            if (text.indexOf(step.until, from) >= 0) break;
            if (step.send !== undefined && !exited) child.stdin.write(step.send);
          }
          if (!exited) seen = text.indexOf(step.until, from) + step.until.length;
        }
      }
      if (opts.hangUpAfterMs !== undefined && !exited) {
        await new Promise((r) => setTimeout(r, opts.hangUpAfterMs));
        if (!exited) child.kill('SIGKILL');
      }
    };
    void drive();
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => {
      exited = true;
      waking?.();
      clearTimeout(timer);
      resolve({ code, text });
    });
  });
}
