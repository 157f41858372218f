// Log drivers' options as dockerd checks them: at create (driver, option
// names), at start (values), and --details' attributes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logAttrs, logFileOptions, resolveLogConfig } from '../../../src/engine/containers/log-config.ts';

test('resolveLogConfig: the daemon default fills in; unknown drivers and options are 400s', () => {
  assert.deepEqual(resolveLogConfig(undefined), { type: 'json-file', config: {} });
  const dflt = { type: 'local', config: { 'max-size': '2k', 'max-file': '2' } };
  assert.deepEqual(resolveLogConfig({ type: '', config: { 'max-file': '4' } }, dflt), { type: 'local', config: { 'max-file': '4', 'max-size': '2k' } });
  assert.deepEqual(resolveLogConfig({ type: 'json-file', config: {} }, dflt), { type: 'json-file', config: {} });
  assert.deepEqual(resolveLogConfig({ type: 'none', config: { anything: 'x' } }), { type: 'none', config: { anything: 'x' } });
  const code = (f: () => unknown, msg: RegExp) => assert.throws(f, (e: Error & { code?: string }) => e.code === 'invalid_argument' && msg.test(e.message));
  code(() => resolveLogConfig({ type: 'syslog', config: {} }), /^error looking up logging plugin syslog: plugin "syslog" not found$/);
  code(() => resolveLogConfig({ type: 'json-file', config: { foo: '1' } }), /^unknown log opt 'foo' for json-file log driver$/);
  code(() => resolveLogConfig({ type: 'local', config: { env: 'A' } }), /^unknown log opt 'env' for log driver local$/);
  code(() => resolveLogConfig({ type: 'json-file', config: { mode: 'fast' } }), /logging mode not supported: fast/);
  code(() => resolveLogConfig({ type: 'json-file', config: { 'max-buffer-size': '1m' } }), /only supported with 'mode=non-blocking'/);
});

test('logFileOptions: sizes, counts and compress with dockerd messages; local defaults', () => {
  assert.deepEqual(logFileOptions(undefined), { keep: true });
  assert.deepEqual(logFileOptions({ type: 'none', config: {} }), { keep: false });
  assert.deepEqual(logFileOptions({ type: 'json-file', config: { 'max-file': '3' } }), { keep: true });
  assert.deepEqual(logFileOptions({ type: 'json-file', config: { 'max-size': '1k', 'max-file': '3', compress: 'true' } }),
    { keep: true, maxSize: 1024, maxFiles: 3, compress: true });
  assert.deepEqual(logFileOptions({ type: 'json-file', config: { 'max-size': '10m' } }), { keep: true, maxSize: 10 * 1024 * 1024, maxFiles: 1, compress: false });
  assert.deepEqual(logFileOptions({ type: 'local', config: {} }), { keep: true, maxSize: 20 * 1024 * 1024, maxFiles: 5, compress: true });
  assert.deepEqual(logFileOptions({ type: 'local', config: { 'max-size': '1k', compress: 'false', 'max-file': '1' } }), { keep: true, maxSize: 1000, maxFiles: 1, compress: false });
  const bad = (config: Record<string, string>, msg: string, type = 'json-file') =>
    assert.throws(() => logFileOptions({ type, config }), { message: `failed to initialize logging driver: ${msg}` });
  bad({ 'max-size': 'abc' }, "invalid size: 'abc'");
  bad({ 'max-size': '-1' }, "invalid size: '-1'");
  bad({ 'max-size': '0' }, 'max-size must be a positive number');
  bad({ 'max-size': '1k', 'max-file': 'x' }, 'strconv.Atoi: parsing "x": invalid syntax');
  bad({ 'max-size': '1k', 'max-file': '0' }, 'max-file cannot be less than 1');
  bad({ compress: 'maybe' }, 'strconv.ParseBool: parsing "maybe": invalid syntax');
  bad({ compress: 'true', 'max-size': '1k' }, 'compress cannot be true when max-file is less than 2 or max-size is not set');
  bad({ 'max-file': '1' }, 'compression cannot be enabled when max file count is 1', 'local');
  bad({ 'max-file': 'z' }, 'error reading max-file: strconv.Atoi: parsing "z": invalid syntax', 'local');
});

test('logAttrs: named labels and env, regex matches, sorted; only json-file has them', () => {
  const config = { labels: { b: '2', a: '1', other: 'o' }, env: ['PATH=/bin', 'E1=x', 'E2=y=z', 'BARE'] };
  assert.deepEqual(logAttrs({ type: 'json-file', config: { labels: 'b,missing', env: 'E2,BARE', 'labels-regex': '^a$', 'env-regex': '^E1' } }, config),
    [['E1', 'x'], ['E2', 'y=z'], ['a', '1'], ['b', '2']]);
  assert.deepEqual(logAttrs({ type: 'json-file', config: {} }, config), []);
  assert.deepEqual(logAttrs({ type: 'local', config: {} }, config), []);
});
