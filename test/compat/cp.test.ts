// docker cp both ways (GET/PUT/HEAD /containers/{id}/archive), running and
// stopped containers, stdin/stdout tars, -L and -a, and paths or tars that
// try to leave the container's root.

import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compatSuite, lines, sleep, type CompatTarget } from './target.ts';
import { run } from '../helpers/run.ts';

/** A tar built by python's tarfile from [name, type, data-or-linkname] entries (names kept verbatim). */
async function rawTar(entries: Array<[string, 'file' | 'sym' | 'hard' | 'dir', string]>): Promise<Buffer> {
  const script = `
import io, json, sys, tarfile
out = io.BytesIO()
with tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT) as t:
    for name, kind, data in json.loads(sys.argv[1]):
        ti = tarfile.TarInfo(name)
        if kind == 'sym': ti.type = tarfile.SYMTYPE; ti.linkname = data; t.addfile(ti)
        elif kind == 'hard': ti.type = tarfile.LNKTYPE; ti.linkname = data; t.addfile(ti)
        elif kind == 'dir': ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
        else:
            b = data.encode(); ti.size = len(b); ti.mode = 0o644; t.addfile(ti, io.BytesIO(b))
sys.stdout.buffer.write(out.getvalue())
`;
  const r = await run('python3', ['-c', script, JSON.stringify(entries)]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdoutBuf;
}

async function tarList(tar: Buffer | string): Promise<string[]> {
  const r = await run('tar', ['-tv'], { input: tar });
  assert.equal(r.code, 0, r.stderr);
  return lines(r.stdout).map((l) => l.replace(/^(\S+)\s+\S+\s+\d+\s+\S+\s+\S+\s+/, '$1 '));
}

compatSuite('cp', (s) => {
  s.test('out of a running container: a file, a directory, "/." contents, a symlink, -L', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'src', '-h', 'cphost', 'busybox', 'sh', '-c',
      'mkdir -p /data/sub && echo one > /data/f && echo two > /data/sub/g && ln -s f /data/lnk && touch /ready && sleep 1000']);
    await waitForFile(tgt, 'src', '/ready');
    const dir = tgt.tmpDir('out');
    await tgt.ok(['cp', 'src:/data/f', dir]);
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'one\n');
    await tgt.ok(['cp', 'src:/data', join(dir, 'copy')]);
    assert.equal(readFileSync(join(dir, 'copy/sub/g'), 'utf8'), 'two\n');
    assert.equal(readlinkSync(join(dir, 'copy/lnk')), 'f');
    mkdirSync(join(dir, 'contents'));
    await tgt.ok(['cp', 'src:/data/.', join(dir, 'contents')]);
    assert.ok(existsSync(join(dir, 'contents/sub/g')) && !existsSync(join(dir, 'contents/data')));
    await tgt.ok(['cp', 'src:/data/lnk', join(dir, 'link')]);
    assert.ok(lstatSync(join(dir, 'link')).isSymbolicLink());
    await tgt.ok(['cp', '-L', 'src:/data/lnk', join(dir, 'followed')]);
    assert.equal(readFileSync(join(dir, 'followed'), 'utf8'), 'one\n');
    // The container's own view: its /etc/hostname is the one it was given.
    await tgt.ok(['cp', 'src:/etc/hostname', join(dir, 'hostname')]);
    assert.equal(readFileSync(join(dir, 'hostname'), 'utf8'), 'cphost\n');
  });

  s.test('"-" writes a tar to stdout named like docker', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'src', 'busybox', 'sh', '-c', 'mkdir /d && echo x > /d/x && touch /ready && sleep 1000']);
    await waitForFile(tgt, 'src', '/ready');
    const one = await tgt.docker(['cp', 'src:/d/x', '-']);
    assert.equal(one.code, 0);
    assert.deepEqual(await tarList(one.stdoutBuf), ['-rw-r--r-- x']);
    const tree = await tgt.docker(['cp', 'src:/d', '-']);
    assert.deepEqual(await tarList(tree.stdoutBuf), ['drwxr-xr-x d/', '-rw-r--r-- d/x']);
  });

  s.test('the kernel\'s files are not the container\'s: /proc and /sys are empty, what is under them is not found', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'kfs', 'busybox', 'sh', '-c', 'touch /ready && sleep 1000']);
    await waitForFile(tgt, 'kfs', '/ready');
    for (const p of ['/proc/1/status', '/proc/self/environ', '/sys/kernel/mm/transparent_hugepage/enabled']) {
      const r = await tgt.fails(['cp', `kfs:${p}`, '-'], 1);
      assert.match(r.stderr, new RegExp(`Could not find the file ${p} in container kfs`));
    }
    for (const d of ['proc', 'sys']) {
      const r = await tgt.docker(['cp', `kfs:/${d}`, '-']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual((await tarList(r.stdoutBuf)).map((l) => l.split(' ')[1]), [`${d}/`]);
    }
  });

  s.test('into a container: a file, a renamed file, a directory, its contents, a tar on stdin', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'dst', 'busybox', 'sleep', '1000']);
    const dir = tgt.tmpDir('in');
    mkdirSync(join(dir, 'tree/sub'), { recursive: true });
    writeFileSync(join(dir, 'tree/a'), 'A\n');
    writeFileSync(join(dir, 'tree/sub/b'), 'B\n');
    symlinkSync('a', join(dir, 'tree/l'));
    await tgt.ok(['cp', join(dir, 'tree/a'), 'dst:/tmp/']);
    await tgt.ok(['cp', join(dir, 'tree/a'), 'dst:/tmp/renamed']);
    await tgt.ok(['cp', join(dir, 'tree'), 'dst:/tmp/tree']);
    await tgt.ok(['cp', `${join(dir, 'tree')}/.`, 'dst:/root']);
    const stdinTar = await rawTar([['piped', 'file', 'P\n']]);
    await tgt.ok(['cp', '-', 'dst:/tmp'], { input: stdinTar });
    const out = tgt.tmpDir('check');
    await tgt.ok(['cp', 'dst:/tmp', out]);
    assert.equal(readFileSync(join(out, 'tmp/a'), 'utf8'), 'A\n');
    assert.equal(readFileSync(join(out, 'tmp/renamed'), 'utf8'), 'A\n');
    assert.equal(readFileSync(join(out, 'tmp/tree/sub/b'), 'utf8'), 'B\n');
    assert.equal(readlinkSync(join(out, 'tmp/tree/l')), 'a');
    assert.equal(readFileSync(join(out, 'tmp/piped'), 'utf8'), 'P\n');
    await tgt.ok(['cp', 'dst:/root/sub/b', join(out, 'b')]);
    assert.equal(readFileSync(join(out, 'b'), 'utf8'), 'B\n');
  });

  s.test('stopped and never-started containers; ownership kept, -a maps to the container user', async (tgt) => {
    await tgt.ok(['create', '--name', 'cold', '-u', 'nobody', 'busybox', 'true']);
    const dir = tgt.tmpDir('cold');
    writeFileSync(join(dir, 'f'), 'cold\n');
    await run('chown', ['1234:55', join(dir, 'f')]);
    await tgt.ok(['cp', join(dir, 'f'), 'cold:/f-kept']);
    await tgt.ok(['cp', '-a', join(dir, 'f'), 'cold:/f-mapped']);
    const kept = await tgt.docker(['cp', 'cold:/f-kept', '-']);
    const mapped = await tgt.docker(['cp', 'cold:/f-mapped', '-']);
    const owner = async (b: Buffer) => lines((await run('tar', ['-tv', '--numeric-owner'], { input: b })).stdout)[0]!.split(/\s+/)[1];
    assert.equal(await owner(kept.stdoutBuf), '1234/55');
    assert.equal(await owner(mapped.stdoutBuf), '65534/65534');
    await tgt.ok(['run', '-d', '--name', 'ran', 'busybox', 'sh', '-c', 'echo ran > /ran']);
    await tgt.ok(['wait', 'ran']);
    await tgt.ok(['cp', 'ran:/ran', join(dir, 'ran')]);
    assert.equal(readFileSync(join(dir, 'ran'), 'utf8'), 'ran\n');
  });

  s.test('errors: missing path, missing container, file as a directory, read-only rootfs', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'err1', 'busybox', 'sleep', '1000']);
    await tgt.ok(['run', '-d', '--read-only', '--name', 'ro', 'busybox', 'sleep', '1000']);
    const dir = tgt.tmpDir('err');
    writeFileSync(join(dir, 'f'), 'x');
    let r = await tgt.fails(['cp', 'err1:/nope', dir], 1);
    assert.match(r.stderr, /Could not find the file \/nope in container err1/);
    r = await tgt.fails(['cp', join(dir, 'f'), 'nosuch:/tmp'], 1);
    assert.match(r.stderr, /No such container: nosuch/);
    await tgt.fails(['cp', join(dir, 'f'), 'err1:/etc/passwd/'], 1);
    r = await tgt.fails(['cp', '-', 'err1:/etc/passwd'], 1, { input: await rawTar([['x', 'file', 'x']]) });
    assert.match(r.stderr, /must be a directory/);
    r = await tgt.fails(['cp', join(dir, 'f'), 'ro:/tmp/'], 1);
    assert.match(r.stderr, /container rootfs is marked read-only/);
  });

  s.test('symlinks in the container never reach the host, even while being swapped', async (tgt) => {
    const hostDir = tgt.tmpDir('host');
    writeFileSync(join(hostDir, 'secret'), 'host secret\n');
    await tgt.ok(['run', '-d', '--name', 'evil', 'busybox', 'sh', '-c',
      `ln -s / /hostroot; ln -s ../../../../../..${hostDir} /up; mkdir -p /w/d${hostDir}; echo decoy > /w/d${hostDir}/secret; ` +
      // The CVE-2018-15664 race: /w/d flips between a directory and a symlink to "/".
      'touch /ready; while true; do mv /w/d /w/real; ln -s / /w/d; rm /w/d; mv /w/real /w/d; done']);
    await waitForFile(tgt, 'evil', '/ready');
    const out = tgt.tmpDir('leak');
    for (const p of [`/hostroot${hostDir}/secret`, `/up/secret`]) {
      const r = await tgt.docker(['cp', `evil:${p}`, '-']);
      assert.ok(!r.stdout.includes('host secret'), `${p} read the host's file`);
    }
    for (let i = 0; i < 15; i++) {
      const r = await tgt.docker(['cp', `evil:/w/d${hostDir}/secret`, '-']);
      assert.ok(!r.stdout.includes('host secret'), 'the swap race read the host file');
      await tgt.docker(['cp', join(hostDir, 'secret'), `evil:/w/d${hostDir}/planted-${i}`]);
    }
    await tgt.docker(['cp', join(hostDir, 'secret'), `evil:/hostroot${out}/`]);
    await tgt.docker(['cp', join(hostDir, 'secret'), `evil:/up/`]);
    assert.deepEqual(lines((await run('ls', [out])).stdout), []);
    assert.deepEqual(lines((await run('ls', [hostDir])).stdout), ['secret']);
  }, { timeout: 180_000 });

  s.test('a hostile tar is refused and writes nothing outside the container', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'hostile', 'busybox', 'sh', '-c', 'mkdir /d && sleep 1000']);
    const host = tgt.tmpDir('victim');
    const tars: Array<Array<[string, 'file' | 'sym' | 'hard' | 'dir', string]>> = [
      [[`../../../../../../..${host}/dotdot`, 'file', 'x']],
      [['esc', 'sym', host], ['esc/through-abs-link', 'file', 'x']],
      [['rel', 'sym', `../../../../../../..${host}`], ['rel/through-rel-link', 'file', 'x']],
      [['hl', 'hard', '../../../../../../../etc/passwd']],
    ];
    for (const entries of tars) {
      const r = await tgt.docker(['cp', '-', 'hostile:/d'], { input: await rawTar(entries) });
      if (tgt.name === 'berthd') assert.equal(r.code, 1, `accepted ${JSON.stringify(entries)}`);
    }
    assert.deepEqual(lines((await run('ls', [host])).stdout), []);
  }, { only: 'berthd' });
});

async function waitForFile(tgt: CompatTarget, name: string, path: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await tgt.docker(['cp', `${name}:${path}`, '-'])).code === 0) return;
    await sleep(100);
  }
  throw new Error(`${path} never appeared in ${name}`);
}
