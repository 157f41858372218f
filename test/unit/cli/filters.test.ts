import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addFilter, filtersToJson, parseFilters, validateFilter } from '../../../src/cli/options/filters.ts';

test('filters encode as docker sends them: sorted keys, values as sets', () => {
  const f = parseFilters(['status=running', 'label=b=2', 'Label = a=1 ', 'status=exited', 'status=running']);
  assert.equal(filtersToJson(f), '{"label":{"a=1":true,"b=2":true},"status":{"exited":true,"running":true}}');
  addFilter(f, 'reference', 'busybox');
  assert.match(filtersToJson(f), /"reference":\{"busybox":true\}/);
  assert.equal(filtersToJson(parseFilters([])), '');
  assert.equal(filtersToJson(parseFilters([''])), '');
});

test('a filter without "=" is rejected with docker\'s message', () => {
  assert.throws(() => validateFilter('status'), /bad format of filter \(expected name=value\)/);
  assert.throws(() => parseFilters(['x']), /bad format of filter/);
});
