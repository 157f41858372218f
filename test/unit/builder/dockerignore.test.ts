// .dockerignore matching: Go filepath.Match segments, **, ! exceptions
// (last match wins), parent directories, and the file's own syntax.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IgnoreMatcher, readIgnoreFile } from '../../../src/builder/dockerignore.ts';
import { cleanRel } from '../../../src/builder/context.ts';

test('patterns', () => {
  const m = new IgnoreMatcher(readIgnoreFile('# comment\n*.md\n!README.md\nbuild/\n**/*.tmp\n/abs\n  docs/?.txt  \n[a-c]x\n'));
  assert.equal(m.excluded('notes.md'), true);
  assert.equal(m.excluded('README.md'), false, '! re-includes');
  assert.equal(m.excluded('sub/notes.md'), false, '* stays in one segment');
  assert.equal(m.excluded('build/out/x.o'), true, 'a matching parent dir excludes its contents');
  assert.equal(m.excluded('a/b/c.tmp'), true);
  assert.equal(m.excluded('c.tmp'), true, '**/ matches zero directories');
  assert.equal(m.excluded('abs'), true, 'a leading / is the context root');
  assert.equal(m.excluded('docs/a.txt'), true);
  assert.equal(m.excluded('docs/ab.txt'), false);
  assert.equal(m.excluded('bx'), true);
  assert.equal(m.excluded('dx'), false);
  const last = new IgnoreMatcher(readIgnoreFile('!keep\n*\n'));
  assert.equal(last.excluded('keep'), true, 'the last matching pattern wins');
});

test('context paths cannot climb out', () => {
  assert.equal(cleanRel('/a/./b/../c/'), 'a/c');
  assert.throws(() => cleanRel('a/../../x'), /forbidden path outside the build context: a\/..\/..\/x/);
  assert.throws(() => cleanRel('../x'), /outside the build context/);
});
