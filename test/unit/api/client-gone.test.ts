// A client that leaves is not a server error: a cut request body is logged
// at debug, never as "api request failed ... 500" with a stack; and a 404
// from wait leaves no promise rejection unhandled.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../../src/core/logger.ts';
import { notFound } from '../../../src/core/errors.ts';
import { startApi, tick } from './harness.ts';

function recordingLogger(): { logger: Logger; lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> } {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => { lines.push({ level, msg, ...(fields ? { fields } : {}) }); };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return { logger, lines };
}

test('a request body the client cuts short is logged as the client leaving, not as a 500', async (t) => {
  const { logger, lines } = recordingLogger();
  const api = await startApi(t, { logger });
  for (const path of ['/containers/create', '/images/create?fromSrc=-']) {
    const c = await api.connect();
    c.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"Image":`);
    await tick(50);
    c.socket.destroy();
  }
  for (let i = 0; i < 50 && lines.filter((l) => l.msg === 'api client went away').length < 1; i++) await tick(10);
  assert.deepEqual(lines.filter((l) => l.level === 'error' || l.level === 'warn'), []);
  assert.ok(lines.some((l) => l.msg === 'api client went away' && l.fields?.url === '/containers/create'), JSON.stringify(lines));
});

test('wait on a missing container: 404, and no unhandled rejection even when the service throws synchronously', async (t) => {
  const api = await startApi(t);
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => { unhandled.push(e); };
  process.on('unhandledRejection', onUnhandled);
  t.after(() => { process.off('unhandledRejection', onUnhandled); });
  // The engine's inspect resolves the reference before it returns a promise: it throws.
  api.containers.inspect = (ref: string) => { throw notFound(`No such container: ${ref}`); };
  const r = await api.request('POST', '/containers/nope/wait');
  assert.equal(r.status, 404);
  assert.equal(r.json().message, 'No such container: nope');
  await tick(50);
  assert.deepEqual(unhandled.map(String), []);
});
