import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { JsonObjectSplitter, jsonMessages } from '../../../src/client/jsonstream.ts';

test('splits concatenated objects regardless of chunk boundaries and line endings', () => {
  const text = '{"status":"a {brace}"}\r\n{"id":"x","progressDetail":{"current":1}}{"status":"\\"q\\""}\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const s = new JsonObjectSplitter();
    const values = [...s.push(text.slice(0, cut)), ...s.push(text.slice(cut))];
    assert.deepEqual(values, [{ status: 'a {brace}' }, { id: 'x', progressDetail: { current: 1 } }, { status: '"q"' }], `cut ${cut}`);
    assert.equal(s.incomplete, false);
  }
});

test('rejects garbage between objects and reports a truncated stream', async () => {
  assert.throws(() => new JsonObjectSplitter().push('{"a":1} x'), /invalid character 'x'/);
  await assert.rejects(async () => {
    for await (const _ of jsonMessages(Readable.from(['{"status":"a"}{"sta']))) { /* drain */ }
  }, /unexpected EOF/);
});
