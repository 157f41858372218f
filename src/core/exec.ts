// Exec sessions: a further process in a running container, joining its
// namespaces and cgroup with its security settings.
//
// Lifecycle, as the exec service runs it (docker exec c sh -c 'exit 3'):
//   create(ref, config)   -> the container must be running (not paused or
//                            restarting); the env is fixed now (container
//                            env, then the exec's -e); "exec_create" event.
//                            Nothing runs yet: the session is a record.
//   start(id, opts, out)  -> "exec_start"; the runtime spawns one conmon in
//                            exec mode, which runs `runc exec` once the
//                            caller's output sink is connected, so no output
//                            is missed. A start that fails (no such command,
//                            unknown user, bad cwd) leaves ExitCode 126.
//   exit                  -> conmon reports the exit code; Running false,
//                            ExitCode set; "exec_die" with exitCode. The
//                            record stays inspectable until its container
//                            is removed.
// A session runs once: a second start is a conflict. Sessions live in
// memory only, like dockerd's: after a daemon restart they are gone, while
// processes still running keep their conmon, which cleans up after them.

import type { AttachOutput } from './container.ts';
import type { AttachSink, ExitStatus, RuntimeAttach } from './runtime.ts';

/** What `docker exec` asks for (Docker's ExecConfig, in the engine's names). */
export interface ExecConfig {
  cmd: string[];
  /** The exec's own -e entries; the container's env comes first. */
  env: string[];
  /** Empty: the container's user. */
  user: string;
  /** Empty: the container's working directory. */
  workingDir: string;
  tty: boolean;
  privileged: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  /** As given ("ctrl-p,ctrl-q"); empty for the default. */
  detachKeys: string;
  consoleSize?: TerminalSize;
}

export interface TerminalSize {
  height: number;
  width: number;
}

/** One exec session as inspect shows it. */
export interface ExecView {
  id: string;
  containerId: string;
  /** The command split as Docker reports it: entrypoint + arguments. */
  entrypoint: string;
  arguments: string[];
  /** The effective user (the container's when the exec named none). */
  user: string;
  tty: boolean;
  privileged: boolean;
  openStdin: boolean;
  openStdout: boolean;
  openStderr: boolean;
  /** As given at create; empty for the default. */
  detachKeys: string;
  running: boolean;
  /** null until the session ran. */
  exitCode: number | null;
  pid: number;
}

export interface ExecStartOptions {
  /** Run in the background: no output, no input; start returns once the process runs. */
  detach: boolean;
  consoleSize?: TerminalSize;
}

/** A started, attached session. */
export interface ExecSession {
  readonly tty: boolean;
  write(chunk: Buffer): void;
  /** The client's input ended: the process's stdin is closed. */
  closeStdin(): void;
  /** Stops delivering output; the process runs on. */
  detach(): void;
}

export interface ExecService {
  create(containerRef: string, config: ExecConfig): Promise<{ id: string }>;
  /** Throws not_found "No such exec instance: <id>". */
  inspect(id: string): ExecView;
  /**
   * Runs the session. Attached (`out` given): output flows to `out`, which
   * ends after the process exited and its output was drained; the promise
   * resolves once the process runs. A process that cannot start rejects,
   * and the session's ExitCode is 126.
   */
  start(id: string, opts: ExecStartOptions, out?: AttachOutput): Promise<ExecSession>;
  /** Waits (a while) for a session that is starting; a finished one is not_found. */
  resize(id: string, size: TerminalSize): Promise<void>;
  /**
   * The container's sessions that have not ended (created or running,
   * health probes included), oldest first: inspect's ExecIDs.
   */
  execIds(containerId: string): string[];
}

// ---- the runtime side ------------------------------------------------------

export interface RuntimeExecOptions {
  containerId: string;
  execId: string;
  args: string[];
  /** The complete environment. */
  env: string[];
  /** Empty: "/". Passed through: the runtime reports a relative one. */
  cwd: string;
  /** Empty: the container process's user; else resolved in the container's rootfs. */
  user: string;
  tty: boolean;
  /** Every capability this host grants, instead of the container's set. */
  privileged: boolean;
  consoleSize?: TerminalSize;
  /**
   * Receives the output. With a sink the process starts only once it is
   * connected; without one, output is discarded and there is no stdin.
   */
  sink?: AttachSink;
  /** Give the process a stdin fed by `io.write` (needs a sink). */
  openStdin?: boolean;
}

export interface RuntimeExecProcess {
  /** Host pid of the exec'd process. */
  readonly pid: number;
  /** Input of an attached process; null when detached. */
  readonly io: RuntimeAttach | null;
  /** Settles when the process exited (its monitor is gone by then too). */
  readonly exited: Promise<ExitStatus>;
  resize(size: TerminalSize): Promise<void>;
  /** Signals the process's group (runc makes it a session leader): children die with it. */
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs further processes in a running container. Errors: not_found or
 * conflict when the container has no process; invalid_argument for a
 * command, user or directory that cannot be used; internal otherwise.
 */
export interface ExecRuntime {
  exec(opts: RuntimeExecOptions): Promise<RuntimeExecProcess>;
}
