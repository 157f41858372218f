// An in-memory ExecService for the API tests: records what the API asked,
// and lets the test drive a session (output, exit) by hand.

import type { AttachOutput } from '../../../src/core/container.ts';
import { conflict, invalid, notFound } from '../../../src/core/errors.ts';
import type { ExecConfig, ExecService, ExecSession, ExecStartOptions, ExecView, TerminalSize } from '../../../src/core/exec.ts';

export interface FakeExec {
  view: ExecView;
  config: ExecConfig;
  started?: ExecStartOptions;
  out?: AttachOutput;
  written: Buffer[];
  stdinClosed: boolean;
  detached: boolean;
  resized: TerminalSize[];
}

export class FakeExecs implements ExecService {
  execs = new Map<string, FakeExec>();
  /** Set to make the next start fail with this error. */
  failStart: Error | null = null;
  #n = 0;

  async create(containerRef: string, config: ExecConfig): Promise<{ id: string }> {
    if (containerRef === 'stopped') throw conflict(`Container ${'c'.repeat(64)} is not running`);
    if (containerRef === 'nosuch') throw notFound(`No such container: ${containerRef}`);
    const id = `e${++this.#n}`.padEnd(64, '0');
    const [entrypoint = '', ...args] = config.cmd;
    this.execs.set(id, {
      config, written: [], stdinClosed: false, detached: false, resized: [],
      view: {
        id, containerId: 'c'.repeat(64), entrypoint, arguments: args, user: config.user, tty: config.tty,
        privileged: config.privileged, openStdin: config.attachStdin, openStdout: config.attachStdout,
        openStderr: config.attachStderr, detachKeys: config.detachKeys, running: false, exitCode: null, pid: 0,
      },
    });
    return { id };
  }

  get(id: string): FakeExec {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  inspect(id: string): ExecView {
    return { ...this.get(id).view };
  }

  execIds(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.view.containerId === containerId && e.view.exitCode === null).map((e) => e.view.id);
  }

  async start(id: string, opts: ExecStartOptions, out?: AttachOutput): Promise<ExecSession> {
    const e = this.get(id);
    if (e.view.exitCode !== null) throw conflict(`Error: Exec command ${id} has already run`);
    e.started = opts;
    if (this.failStart) {
      const err = this.failStart;
      this.failStart = null;
      e.view.exitCode = 126;
      throw err;
    }
    e.out = out;
    e.view.running = true;
    e.view.pid = 4242;
    return {
      tty: e.view.tty,
      write: (chunk) => { e.written.push(chunk); },
      closeStdin: () => { e.stdinClosed = true; },
      detach: () => { e.detached = true; },
    };
  }

  /** The process exits: exit code recorded, then the output ends. */
  exit(id: string, code: number): void {
    const e = this.get(id);
    e.view.running = false;
    e.view.exitCode = code;
    e.out?.end();
  }

  async resize(id: string, size: TerminalSize): Promise<void> {
    const e = this.get(id);
    if (size.height > 1000) throw invalid('too tall');
    if (!e.view.running) throw notFound('no such exec');
    e.resized.push(size);
  }
}
