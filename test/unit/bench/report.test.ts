import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replaceSection } from '../../../bench/lib/report.ts';
import { median, percentile, summarize } from '../../../bench/lib/stats.ts';

describe('bench stats', () => {
  it('nearest-rank percentiles and the median', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(sorted, 90), 9);
    assert.equal(percentile(sorted, 100), 10);
    assert.equal(percentile([7], 90), 7);
    assert.equal(median(sorted), 5.5);
    assert.equal(median([3, 1, 2].sort()), 2);
  });

  it('summarize sorts its samples', () => {
    assert.deepEqual(summarize([30, 10, 20]), { n: 3, min: 10, median: 20, p90: 30, mean: 20, max: 30 });
  });
});

describe('benchmarks.md sections', () => {
  it('appends a new section and replaces it in place later', () => {
    const doc = '# Benchmarks\n\nintro\n\n<!-- bench:other:start -->\nother\n<!-- bench:other:end -->\n';
    const once = replaceSection(doc, 'run-latency', 'first');
    assert.match(once, /<!-- bench:run-latency:start -->\nfirst\n<!-- bench:run-latency:end -->\n$/);
    const twice = replaceSection(once, 'run-latency', 'second\n');
    assert.equal(twice, once.replace('first', 'second'));
    assert.ok(twice.includes('<!-- bench:other:start -->\nother\n<!-- bench:other:end -->'), 'other sections stay');
  });
});
