import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, formatG, humanDuration, humanSize } from '../../../src/cli/format/units.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('HumanDuration boundaries as go-units draws them', () => {
  const cases: Array<[number, string]> = [
    [0, 'Less than a second'], [999, 'Less than a second'], [1 * S, '1 second'], [1999, '1 second'],
    [2 * S, '2 seconds'], [59 * S + 999, '59 seconds'], [60 * S, 'About a minute'], [119 * S, 'About a minute'],
    [2 * M, '2 minutes'], [59 * M, '59 minutes'], [60 * M, 'About an hour'], [89 * M, 'About an hour'],
    [90 * M, '2 hours'], [47 * H + 29 * M, '47 hours'], [47 * H + 30 * M, '2 days'], [13 * D, '13 days'],
    [14 * D, '2 weeks'], [59 * D, '8 weeks'], [60 * D, '2 months'], [729 * D, '24 months'], [730 * D, '2 years'],
    [3650 * D, '10 years'],
  ];
  for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, `${ms}ms`);
});

test('HumanSizeWithPrecision(3): decimal units, Go %g rounding', () => {
  const cases: Array<[number, string]> = [
    [0, '0B'], [1, '1B'], [999, '999B'], [1000, '1kB'], [1125, '1.12kB'], [1135, '1.14kB'], [12345, '12.3kB'],
    [4261234, '4.26MB'], [999999, '1e+03kB'], [100000, '100kB'], [1500000000, '1.5GB'], [2 ** 53, '9.01PB'],
  ];
  for (const [n, text] of cases) assert.equal(humanSize(n), text, String(n));
  assert.equal(humanSize(4261234, 4), '4.261MB');
});

test('BytesSize: binary units with 4 significant digits', () => {
  assert.equal(bytesSize(8208072704), '7.644GiB');
  assert.equal(bytesSize(1024), '1KiB');
  assert.equal(bytesSize(1536), '1.5KiB');
  assert.equal(bytesSize(100), '100B');
});

test('formatG matches Go %g', () => {
  assert.equal(formatG(0.0001234, 3), '0.000123');
  assert.equal(formatG(0.00001234, 3), '1.23e-05');
  assert.equal(formatG(123456, 3), '1.23e+05');
  assert.equal(formatG(2.5, 1), '2');
  assert.equal(formatG(3.5, 1), '4');
  assert.equal(formatG(-1.5, 3), '-1.5');
  assert.equal(formatG(10, 3), '10');
});
