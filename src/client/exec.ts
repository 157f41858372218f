// Exec sessions: POST /containers/{id}/exec creates one, POST /exec/{id}/start
// runs it (detached: an empty answer once the process runs; attached: the
// connection is taken over like an attach, the start body sent before the
// upgrade), /exec/{id}/resize follows the terminal, /exec/{id}/json has the
// exit code once the process ended.

import type { Requester } from './client.ts';
import { compareVersions } from './client.ts';
import { escapeSegment } from './containers.ts';
import type { Upgraded } from './transport.ts';

export interface ExecCreateBody {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Env?: string[];
  WorkingDir?: string;
  Cmd: string[];
  /** [height, width]; API 1.42 and later. */
  ConsoleSize?: [number, number];
}

export interface ExecStartBody {
  Detach: boolean;
  Tty: boolean;
  ConsoleSize?: [number, number];
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  ContainerID: string;
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
}

export class ExecApi {
  #r: Requester;

  constructor(requester: Requester) {
    this.#r = requester;
  }

  async create(container: string, body: ExecCreateBody): Promise<{ Id: string }> {
    const sent = { ...body };
    if (compareVersions(await this.#r.apiVersion(), '1.42') < 0) delete sent.ConsoleSize;
    return (await this.#r.callJson<{ Id: string }>('POST', `/containers/${escapeSegment(container)}/exec`, { json: sent })).value;
  }

  /** Detached start: resolves once the daemon started the process. */
  async startDetached(id: string, body: Omit<ExecStartBody, 'Detach'>): Promise<void> {
    (await this.#r.call('POST', `/exec/${escapeSegment(id)}/start`, { json: { ...body, Detach: true } })).resume();
  }

  /** Attached start: the hijacked connection carrying the process's stdio. */
  async attach(id: string, body: Omit<ExecStartBody, 'Detach'>): Promise<Upgraded> {
    const sent: ExecStartBody = { ...body, Detach: false };
    if (compareVersions(await this.#r.apiVersion(), '1.42') < 0) delete sent.ConsoleSize;
    return this.#r.upgrade(`/exec/${escapeSegment(id)}/start`, undefined, sent);
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    (await this.#r.call('POST', `/exec/${escapeSegment(id)}/resize`, { query: { h: height, w: width } })).resume();
  }

  async inspect(id: string): Promise<ExecInspect> {
    return (await this.#r.callJson<ExecInspect>('GET', `/exec/${escapeSegment(id)}/json`)).value;
  }
}
