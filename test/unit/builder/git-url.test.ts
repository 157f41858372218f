// Which build contexts are git repositories and how their fragment is read
// (Docker's urlutil.IsGitURL and the classic builder's parseRemoteURL).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isGitUrl } from '../../../src/core/git-url.ts';
import { parseGitUrl } from '../../../src/builder/git.ts';

test('git URLs: git://, git@, github.com/, http(s) ending in .git (with a fragment)', () => {
  for (const u of ['git://127.0.0.1/r.git', 'git@github.com:o/r.git', 'github.com/o/r', 'https://h/o/r.git', 'http://h/r.git#main:sub']) {
    assert.equal(isGitUrl(u), true, u);
  }
  for (const u of ['https://h/ctx.tar.gz', 'http://h/Dockerfile', '/tmp/x.git', 'file:///tmp/r.git', 'https://h/r.github']) {
    assert.equal(isGitUrl(u), false, u);
  }
});

test('fragment: ref (default master) and subdir; refs starting with "-" refused', () => {
  assert.deepEqual(parseGitUrl('git://h/r.git'), { remote: 'git://h/r.git', ref: 'master', subdir: '' });
  assert.deepEqual(parseGitUrl('git://h/r.git#v1:a/b'), { remote: 'git://h/r.git', ref: 'v1', subdir: 'a/b' });
  assert.deepEqual(parseGitUrl('git://h/r.git#:sub'), { remote: 'git://h/r.git', ref: 'master', subdir: 'sub' });
  assert.deepEqual(parseGitUrl('github.com/o/r#dev'), { remote: 'https://github.com/o/r', ref: 'dev', subdir: '' });
  assert.deepEqual(parseGitUrl('git@github.com:o/r.git#main:d'), { remote: 'git@github.com:o/r.git', ref: 'main', subdir: 'd' });
  assert.throws(() => parseGitUrl('git://h/r.git#--upload-pack=x'), /invalid refspec: --upload-pack=x/);
});
