import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTimestamp, parseGoDuration } from '../../../src/cli/options/timestamp.ts';

test('Go durations', () => {
  assert.equal(parseGoDuration('10m'), 600e9);
  assert.equal(parseGoDuration('1h30m'), 5400e9);
  assert.equal(parseGoDuration('1.5s'), 1.5e9);
  assert.equal(parseGoDuration('-2ms'), -2e6);
  assert.equal(parseGoDuration('0'), 0);
  assert.throws(() => parseGoDuration('10'), /time: missing unit in duration "10"/);
  assert.throws(() => parseGoDuration('1d'), /time: unknown unit "d" in duration "1d"/);
  assert.throws(() => parseGoDuration(''), /time: invalid duration ""/);
});

test('since/until values become API timestamps', () => {
  const prevTz = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    const now = Date.UTC(2024, 0, 2, 12, 0, 0, 500);
    assert.equal(getTimestamp('10m', now), String(now / 1000 - 600 - 0.5));
    assert.equal(getTimestamp('2013-01-02T13:23:37Z', now), '1357133017.000000000');
    assert.equal(getTimestamp('2013-01-02T13:23:37.123456789Z', now), '1357133017.123456789');
    assert.equal(getTimestamp('2013-01-02T13:23:37+01:00', now), '1357129417.000000000');
    assert.equal(getTimestamp('2013-01-02T13:23:37', now), '1357133017.000000000');
    assert.equal(getTimestamp('2013-01-02', now), '1357084800.000000000');
    assert.equal(getTimestamp('2013-01-02T13', now), '1357131600.000000000');
    assert.equal(getTimestamp('1357133017', now), '1357133017');
    assert.equal(getTimestamp('1357133017.5', now), '1357133017.5');
    assert.throws(() => getTimestamp('yesterday', now), /failed to parse value as time or duration: "yesterday"/);
    assert.throws(() => getTimestamp('2013-13-02', now), /parsing time/);
  } finally {
    if (prevTz === undefined) delete process.env.TZ;
    else process.env.TZ = prevTz;
  }
});
