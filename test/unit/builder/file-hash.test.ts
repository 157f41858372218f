// The content hash cache behind COPY/ADD cache keys: an unchanged file is
// not read again (in this daemon or, through the saved file, the next one),
// and any change to a file makes it miss, even one that keeps its size and
// puts its mtime back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { extractedTree, fileHash, forgetUnder, hashedBytes, setHashFile, rememberFile, saveHashes } from '../../../src/builder/file-hash.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function tmp(): string {
  return fs.mkdtempSync(`${os.tmpdir()}/file-hash-`);
}

test('a hit reads nothing; a rewrite of the same size with its mtime put back misses', () => {
  const dir = tmp();
  try {
    const f = `${dir}/a`;
    fs.writeFileSync(f, 'aaaa');
    assert.equal(fileHash(f), sha('aaaa'));
    const before = hashedBytes();
    assert.equal(fileHash(f), sha('aaaa'));
    assert.equal(hashedBytes(), before, 'an unchanged file is not read again');

    const st = fs.statSync(f);
    fs.writeFileSync(f, 'bbbb');
    fs.utimesSync(f, st.atime, st.mtime);
    assert.equal(fs.statSync(f, { bigint: true }).mtimeNs, fs.statSync(f, { bigint: true }).mtimeNs);
    assert.equal(fileHash(f), sha('bbbb'), 'same size and mtime, new content: the ctime tells');

    // A file replaced by another one (new inode) under the same name.
    fs.writeFileSync(`${dir}/b`, 'cccc');
    fs.renameSync(`${dir}/b`, f);
    assert.equal(fileHash(f), sha('cccc'));

    // A mode change alone re-reads (the content is the same).
    const n = hashedBytes();
    fs.chmodSync(f, 0o600);
    assert.equal(fileHash(f), sha('cccc'));
    assert.equal(hashedBytes(), n + 4);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('entries are saved for the next daemon; an extracted context\'s entries are not, and go with it', () => {
  const dir = tmp();
  try {
    const f = `${dir}/in-place`;
    fs.writeFileSync(f, 'x'.repeat(5000));
    const extracted = `${dir}/ctx`;
    fs.mkdirSync(extracted);
    extractedTree(extracted);
    fs.writeFileSync(`${extracted}/e`, 'e');
    rememberFile(`${extracted}/e`, sha('e'));
    setHashFile(`${dir}/hashes.json`);
    assert.equal(fileHash(f), sha('x'.repeat(5000)));
    saveHashes();
    const saved = fs.readFileSync(`${dir}/hashes.json`, 'utf8');
    assert.ok(saved.includes(f));
    assert.ok(!saved.includes(extracted), 'an extracted context is not kept');

    // A new process (a restarted daemon) loads the file: no byte is read for the unchanged file.
    const script = `
      import { fileHash, hashedBytes, setHashFile } from ${JSON.stringify(new URL('../../../src/builder/file-hash.ts', import.meta.url).pathname)};
      setHashFile(${JSON.stringify(`${dir}/hashes.json`)});
      const h = fileHash(${JSON.stringify(f)});
      console.log(JSON.stringify({ h, read: hashedBytes() }));`;
    const run = () => JSON.parse(execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script], { encoding: 'utf8' })) as { h: string; read: number };
    assert.deepEqual(run(), { h: sha('x'.repeat(5000)), read: 0 });
    // Changed since it was saved: read again.
    fs.appendFileSync(f, 'y');
    assert.deepEqual(run(), { h: sha(`${'x'.repeat(5000)}y`), read: 5001 });

    // The extracted tree's entry is forgotten with it: a new file there is read.
    forgetUnder(extracted);
    const n = hashedBytes();
    assert.equal(fileHash(`${extracted}/e`), sha('e'));
    assert.equal(hashedBytes(), n + 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt or foreign saved file is an empty cache', () => {
  const dir = tmp();
  try {
    const f = `${dir}/f`;
    fs.writeFileSync(f, 'ff');
    const key = (st: fs.BigIntStats) => `${st.dev}:${st.ino}:${st.mode}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const forged = key(fs.lstatSync(f, { bigint: true }));
    // Each names f with its current stat key, so only the checks on the file's shape keep it out.
    for (const text of ['{', '[]', JSON.stringify({ version: 1, entries: [[f, forged, 'not-a-hash'], 5] }), JSON.stringify({ version: 2, entries: [[f, forged, sha('other')]] })]) {
      fs.writeFileSync(`${dir}/h.json`, text);
      setHashFile(`${dir}/h.json`);
      forgetUnder(dir); // nothing of f left from the last round
      extractedTree(dir);
      forgetUnder(dir);
      const n = hashedBytes();
      assert.equal(fileHash(f), sha('ff'), text);
      assert.equal(hashedBytes(), n + 2, `read, not taken from ${text}`);
    }
    // The same entry with the right version is taken as it is (so the refusals above are the checks' doing).
    fs.writeFileSync(`${dir}/h.json`, JSON.stringify({ version: 1, entries: [[f, forged, sha('other')]] }));
    setHashFile(`${dir}/h.json`);
    extractedTree(dir);
    forgetUnder(dir);
    assert.equal(fileHash(f), sha('other'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
