// A container's state machine: which status follows which event, and which
// verb a user may run in which status (with Docker's answer when not).
//
// Worked example, `docker run --restart on-failure:1 img false`:
//   created --start--> running --exit--> exited            (exit code 1)
//   exited  --start--> running --exit--> exited            (the policy's one retry)
//   `docker start` on it now is allowed (exited), `docker pause` is a 409
//   "Container <id> is not running", `docker stop` is a 304.
//   `docker pause` on a running one: running --pause--> paused; its exit
//   (a SIGKILL thaws it) goes paused --exit--> exited.
//   A start that fails leaves a container that never ran "created" and one
//   that ran before "exited" (dockerd's rule), both through start-failed.
//
// The engine changes `state.status` only through `transition()`, and checks
// a verb with `checkVerb()` before touching anything: an event that is not
// in the table is a bug in the engine (an internal error), a verb that is not
// allowed is the user's (Docker's 304 or 409).

import type { ContainerRecord, ContainerState, ContainerStatus } from './container.ts';
import { BerthError, conflict, notModified } from './errors.ts';

/** What happened to the container's process. */
export type StateEvent =
  | 'start'          // the runtime started the process
  | 'start-failed'   // a start did not get that far
  | 'exit'           // the process exited (conmon's exit file)
  | 'pause'          // frozen
  | 'unpause'        // thawed
  | 'restart-wait'   // a restart policy will start it again after its back-off
  | 'remove'         // removal began
  | 'remove-failed'; // removal could not finish: only another removal may follow

const TRANSITIONS: Record<ContainerStatus, Partial<Record<StateEvent, ContainerStatus>>> = {
  created: { start: 'running', 'start-failed': 'created', remove: 'removing' },
  running: { exit: 'exited', pause: 'paused', remove: 'removing' },
  paused: { exit: 'exited', unpause: 'running', remove: 'removing' },
  restarting: { start: 'running', 'start-failed': 'exited', exit: 'exited', remove: 'removing' },
  exited: { start: 'running', 'start-failed': 'exited', 'restart-wait': 'restarting', remove: 'removing' },
  removing: { 'remove-failed': 'dead' },
  dead: { remove: 'removing' },
};

/** The status after `event`, or undefined when the table has no such edge. */
export function nextStatus(from: ContainerStatus, event: StateEvent): ContainerStatus | undefined {
  return TRANSITIONS[from][event];
}

/** The new state after `event`, with `fields` (pid, exit code, times...) merged in. */
export function transition(state: ContainerState, event: StateEvent, fields: Partial<Omit<ContainerState, 'status'>> = {}): ContainerState {
  const status = nextStatus(state.status, event);
  if (!status) throw new BerthError('internal', `illegal container state transition: ${state.status} --${event}-->`);
  return { ...state, ...fields, status };
}

/** Whether the event is allowed from this status (for callers that skip rather than fail). */
export function canTransition(from: ContainerStatus, event: StateEvent): boolean {
  return nextStatus(from, event) !== undefined;
}

/** A status with a process behind it (running, frozen, or between policy restarts as dockerd counts it). */
export function hasProcess(status: ContainerStatus): boolean {
  return status === 'running' || status === 'paused' || status === 'restarting';
}

export type Verb = 'start' | 'stop' | 'kill' | 'remove' | 'pause' | 'unpause' | 'exec' | 'attach' | 'resize' | 'top';

type Refusal = (rec: ContainerRecord, ref: string) => BerthError;

const notRunning: Refusal = (rec) => conflict(`Container ${rec.id} is not running`);
const markedForRemoval: Refusal = (rec) => conflict(`cannot start container ${rec.id.slice(0, 12)}: container is marked for removal`);
const removeRunning: Refusal = (rec) => conflict(`cannot remove container "/${rec.name}": container is running: stop the container before removing or force remove`);
const restarting: Refusal = (rec) => conflict(`Container ${rec.id} is restarting, wait until the container is running`);

/**
 * Docker's answer per verb and status; a status not listed for a verb is
 * allowed. (`remove` of a running container is allowed with force: the
 * caller checks the force flag, the table gives the message.)
 */
const REFUSALS: Record<Verb, Partial<Record<ContainerStatus, Refusal>>> = {
  start: {
    running: () => notModified('container already started'),
    paused: () => notModified('container already started'),
    restarting: () => notModified('container already started'),
    removing: markedForRemoval,
    dead: markedForRemoval,
  },
  stop: {
    created: () => notModified('container already stopped'),
    exited: () => notModified('container already stopped'),
    removing: () => notModified('container already stopped'),
    dead: () => notModified('container already stopped'),
  },
  kill: {
    created: (rec, ref) => conflict(`Cannot kill container: ${ref}: Container ${rec.id} is not running`),
    exited: (rec, ref) => conflict(`Cannot kill container: ${ref}: Container ${rec.id} is not running`),
    removing: (rec, ref) => conflict(`Cannot kill container: ${ref}: Container ${rec.id} is not running`),
    dead: (rec, ref) => conflict(`Cannot kill container: ${ref}: Container ${rec.id} is not running`),
  },
  remove: { running: removeRunning, paused: removeRunning, restarting: removeRunning },
  pause: {
    paused: (rec) => conflict(`Container ${rec.id} is already paused`),
    restarting,
    created: notRunning, exited: notRunning, removing: notRunning, dead: notRunning,
  },
  unpause: {
    created: (rec) => conflict(`Container ${rec.id} is not paused`),
    running: (rec) => conflict(`Container ${rec.id} is not paused`),
    restarting: (rec) => conflict(`Container ${rec.id} is not paused`),
    exited: (rec) => conflict(`Container ${rec.id} is not paused`),
    removing: (rec) => conflict(`Container ${rec.id} is not paused`),
    dead: (rec) => conflict(`Container ${rec.id} is not paused`),
  },
  exec: {
    paused: (_rec, ref) => conflict(`Container ${ref} is paused, unpause the container before exec`),
    restarting,
    created: notRunning, exited: notRunning, removing: notRunning, dead: notRunning,
  },
  attach: {
    paused: () => conflict('You cannot attach to a paused container, unpause it first'),
  },
  resize: {
    paused: notRunning, restarting: notRunning,
    created: notRunning, exited: notRunning, removing: notRunning, dead: notRunning,
  },
  top: {
    restarting: notRunning,
    created: notRunning, exited: notRunning, removing: notRunning, dead: notRunning,
  },
};

/** The error Docker answers for `verb` on this container, or null when allowed. */
export function verbRefusal(verb: Verb, rec: ContainerRecord, ref: string = rec.id): BerthError | null {
  return REFUSALS[verb][rec.state.status]?.(rec, ref) ?? null;
}

/** Throws Docker's answer when `verb` is not allowed in the container's status. */
export function checkVerb(verb: Verb, rec: ContainerRecord, ref: string = rec.id): void {
  const refusal = verbRefusal(verb, rec, ref);
  if (refusal) throw refusal;
}
