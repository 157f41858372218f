import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord, ContainerStatus } from '../../../src/core/container.ts';
import { canTransition, checkVerb, transition, verbRefusal } from '../../../src/core/container-state.ts';
import { isCode } from '../../../src/core/errors.ts';

const ID = 'a'.repeat(64);
const ZERO = '0001-01-01T00:00:00Z';

function rec(status: ContainerStatus): ContainerRecord {
  return {
    id: ID, name: 'web', state: { status, pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO, finishedAt: ZERO },
  } as unknown as ContainerRecord;
}

test('state table: a run, a pause, an exit and a restart follow the table', () => {
  let s = rec('created').state;
  s = transition(s, 'start', { pid: 42 });
  assert.equal(s.status, 'running');
  assert.equal(s.pid, 42);
  s = transition(s, 'pause');
  assert.equal(s.status, 'paused');
  s = transition(s, 'exit', { pid: 0, exitCode: 137 });
  assert.deepEqual([s.status, s.exitCode, s.pid], ['exited', 137, 0]);
  s = transition(s, 'restart-wait');
  assert.equal(s.status, 'restarting');
  s = transition(s, 'start', { pid: 43 });
  assert.equal(s.status, 'running');
});

test('state table: a failed start keeps a never-run container created, and one that ran exited', () => {
  assert.equal(transition(rec('created').state, 'start-failed').status, 'created');
  assert.equal(transition(rec('exited').state, 'start-failed').status, 'exited');
  assert.equal(transition(rec('restarting').state, 'start-failed').status, 'exited');
});

test('state table: events that cannot happen are internal errors, never silent', () => {
  for (const [from, event] of [['created', 'exit'], ['exited', 'pause'], ['running', 'unpause'], ['running', 'start'], ['removing', 'start']] as const) {
    assert.equal(canTransition(from, event), false, `${from} --${event}-->`);
    assert.throws(() => transition(rec(from).state, event), (e) => isCode(e, 'internal') && /illegal container state transition/.test((e as Error).message));
  }
});

test('verbs: Docker answers 304 for start/stop that change nothing, 409 with its messages otherwise', () => {
  const code = (verb: Parameters<typeof checkVerb>[0], status: ContainerStatus) => verbRefusal(verb, rec(status), 'web')?.code ?? 'ok';
  assert.equal(code('start', 'running'), 'not_modified');
  assert.equal(code('start', 'exited'), 'ok');
  assert.equal(code('stop', 'exited'), 'not_modified');
  assert.equal(code('stop', 'paused'), 'ok');
  assert.equal(code('kill', 'paused'), 'ok');
  assert.equal(code('exec', 'running'), 'ok');
  assert.equal(code('attach', 'exited'), 'ok');
  const msg = (verb: Parameters<typeof checkVerb>[0], status: ContainerStatus) => verbRefusal(verb, rec(status), 'web')?.message;
  assert.equal(msg('kill', 'exited'), `Cannot kill container: web: Container ${ID} is not running`);
  assert.equal(msg('pause', 'paused'), `Container ${ID} is already paused`);
  assert.equal(msg('pause', 'exited'), `Container ${ID} is not running`);
  assert.equal(msg('unpause', 'running'), `Container ${ID} is not paused`);
  assert.equal(msg('exec', 'paused'), 'Container web is paused, unpause the container before exec');
  assert.equal(msg('exec', 'restarting'), `Container ${ID} is restarting, wait until the container is running`);
  assert.equal(msg('attach', 'paused'), 'You cannot attach to a paused container, unpause it first');
  assert.equal(msg('remove', 'running'), 'cannot remove container "/web": container is running: stop the container before removing or force remove');
  assert.equal(msg('start', 'removing'), 'cannot start container aaaaaaaaaaaa: container is marked for removal');
  assert.throws(() => checkVerb('resize', rec('exited')), (e) => isCode(e, 'conflict'));
});

test('every change of a container\'s status in the engine goes through the table', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const root = new URL('../../../src/', import.meta.url).pathname;
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !p.endsWith('core/container-state.ts')) {
        readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
          const assignsState = /\.state\s*=(?!=)/.test(line) && !/=\s*transition\(/.test(line);
          const assignsStatus = /\.state\.status\s*=(?!=)/.test(line) || /\.status\s*=\s*'(created|running|paused|restarting|removing|exited|dead)'/.test(line);
          if (assignsState || assignsStatus) offenders.push(`${p.slice(root.length)}:${i + 1}: ${line.trim()}`);
        });
      }
    }
  };
  for (const dir of ['engine', 'daemon', 'api']) walk(join(root, dir));
  assert.deepEqual(offenders, []);
});
