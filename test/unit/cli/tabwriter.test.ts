import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayWidth, tabwrite } from '../../../src/cli/format/tabwriter.ts';

test('columns are as wide as their widest cell plus 3, at least 10; the last cell is not padded', () => {
  const out = tabwrite('CONTAINER ID\tIMAGE\tNAMES\nabc\tbusybox\tweb\n');
  assert.equal(out, 'CONTAINER ID   IMAGE     NAMES\nabc            busybox   web\n');
});

test('empty cells are padded; trailing empty last cells stay empty', () => {
  const out = tabwrite('A\tB\tC\n1\t\t3\nx\ty\t\n');
  assert.equal(out, 'A         B         C\n1                   3\nx         y         \n');
});

test('a line without tabs ends the column block', () => {
  const out = tabwrite('a\tb\nlong cell here\nxxxxxxxxxxxxxxx\ty\n');
  assert.equal(out, 'a         b\nlong cell here\nxxxxxxxxxxxxxxx   y\n');
});

test('column blocks: a shorter line ends the inner column only', () => {
  const out = tabwrite('a\tb\tc\nd\te\nffffffffffff\tg\th\n');
  assert.equal(out, 'a              b         c\nd              e\nffffffffffff   g         h\n');
});

test('widths count characters, wide characters twice', () => {
  assert.equal(displayWidth('ünï→…'), 5);
  assert.equal(displayWidth('日本'), 4);
  // Combining marks (U+0300 on) take no column; text before U+0300 skips that check.
  assert.equal(displayWidth('e\u0301a\u20dd\u200b'), 2);
  assert.equal(displayWidth('a\u00e9\u00ff\u02ff'), 4);
  assert.equal(tabwrite('日本\tx\nab\ty\n', { minwidth: 0, padding: 1 }), '日本 x\nab   y\n');
});

test('no trailing newline: the last line is flushed as is', () => {
  assert.equal(tabwrite('a\tb\nc\td'), 'a         b\nc         d');
});
