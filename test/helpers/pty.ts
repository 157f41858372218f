// Runs a command on a pseudo-terminal (util-linux `script`), feeds it input
// with pauses, and returns what the terminal showed. TTY behaviour (raw
// mode, echo, window size, detach keys) is asserted on this screen text.
//
//   const screen = await onPty(['docker', 'exec', '-it', 'c1', 'sh'], {
//     env, size: { rows: 30, cols: 100 },
//     steps: [{ wait: '# ', send: 'stty size\r' }, { wait: '30 100', send: 'exit 3\r' }],
//   });
//   screen.code === 3; screen.text includes '30 100'

import { spawn } from 'node:child_process';

export interface PtyStep {
  /** Text the screen must show (since the previous step's match) before `send`. */
  wait?: string;
  /** Milliseconds to pause before sending (after `wait`, if any). */
  delay?: number;
  send?: string;
}

export interface PtyOptions {
  env?: NodeJS.ProcessEnv;
  size?: { rows: number; cols: number };
  steps?: PtyStep[];
  /** Milliseconds before the whole run is killed (default 30 s). */
  timeout?: number;
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
        if (step.send !== undefined && !exited) child.stdin.write(step.send);
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
