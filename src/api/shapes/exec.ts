// Docker's exec wire shapes: the ExecConfig body of POST
// /containers/{id}/exec, the ExecStartConfig body of POST /exec/{id}/start,
// and the ExecInspectResponse of GET /exec/{id}/json.

import { invalid } from '../../core/errors.ts';
import type { ExecConfig, ExecView, TerminalSize } from '../../core/exec.ts';
import { parseDetachKeys } from '../detach.ts';
import { versionAtLeast } from '../version.ts';
import { JsonFields } from './json-fields.ts';

function object(body: unknown): Record<string, unknown> {
  if (body === undefined) throw invalid('got EOF while reading request body');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('invalid JSON: the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** ConsoleSize: [height, width], from API 1.42. */
function consoleSize(raw: Record<string, unknown>, version: string): TerminalSize | undefined {
  const v = raw.ConsoleSize;
  if (v === undefined || v === null || !versionAtLeast(version, '1.42')) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => Number.isInteger(n) && n >= 0)) {
    throw invalid(`invalid JSON: cannot use ${JSON.stringify(v)} as ConsoleSize: expected [height, width]`);
  }
  return { height: v[0] as number, width: v[1] as number };
}

export function decodeExecConfig(body: unknown, version: string): ExecConfig {
  const raw = object(body);
  const f = new JsonFields(raw, '');
  const cmd = f.command('Cmd') ?? [];
  if (cmd.length === 0) throw invalid('No exec command specified');
  const detachKeys = f.str('DetachKeys') ?? '';
  if (detachKeys) {
    try {
      parseDetachKeys(detachKeys);
    } catch {
      throw invalid(`Invalid escape keys (${detachKeys}) provided`);
    }
  }
  const env = f.strList('Env') ?? [];
  return {
    cmd,
    env,
    user: f.str('User') ?? '',
    workingDir: f.str('WorkingDir') ?? '',
    tty: f.bool('Tty') ?? false,
    privileged: f.bool('Privileged') ?? false,
    attachStdin: f.bool('AttachStdin') ?? false,
    attachStdout: f.bool('AttachStdout') ?? false,
    attachStderr: f.bool('AttachStderr') ?? false,
    detachKeys,
    consoleSize: consoleSize(raw, version),
  };
}

export interface ExecStartRequest {
  detach: boolean;
  /** Frames the stream: raw with a tty, multiplexed without (the process's terminal is the create's). */
  tty: boolean;
  consoleSize?: TerminalSize;
}

export function decodeExecStart(body: unknown, version: string): ExecStartRequest {
  const raw = object(body);
  const f = new JsonFields(raw, '');
  return { detach: f.bool('Detach') ?? false, tty: f.bool('Tty') ?? false, consoleSize: consoleSize(raw, version) };
}

export function toExecInspect(v: ExecView) {
  const processConfig: Record<string, unknown> = {
    tty: v.tty, entrypoint: v.entrypoint, arguments: v.arguments, privileged: v.privileged,
  };
  if (v.user) processConfig.user = v.user;
  return {
    ID: v.id,
    Running: v.running,
    ExitCode: v.exitCode,
    ProcessConfig: processConfig,
    OpenStdin: v.openStdin,
    OpenStderr: v.openStderr,
    OpenStdout: v.openStdout,
    CanRemove: false,
    ContainerID: v.containerId,
    // dockerd keeps the parsed bytes, which its JSON encoder writes as base64.
    DetachKeys: v.detachKeys ? parseDetachKeys(v.detachKeys).toString('base64') : '',
    Pid: v.pid,
  };
}
