// docker diff and docker commit: a container's writable layer as A/C/D
// lines, and as a new image layer (deletions, opaque dirs, --change,
// -m/-a, history, the commit of a running container).

import assert from 'node:assert/strict';
import { compatSuite, lines } from './target.ts';

compatSuite('commit and diff', (s) => {
  s.test('diff lists added, changed and deleted paths', async (tgt) => {
    await tgt.ok(['run', '--name', 'd1', 'busybox', 'sh', '-c',
      'echo new > /tmp/added; rm /etc/group; echo more >> /etc/passwd; mkdir -p /data/sub; touch /data/sub/f']);
    const out = lines((await tgt.ok(['diff', 'd1'])).stdout);
    for (const l of ['C /tmp', 'A /tmp/added', 'C /etc', 'D /etc/group', 'C /etc/passwd', 'A /data', 'A /data/sub', 'A /data/sub/f']) {
      assert.ok(out.includes(l), `${l} in ${JSON.stringify(out)}`);
    }
    await tgt.ok(['create', '--name', 'd2', 'busybox']);
    assert.equal((await tgt.ok(['diff', 'd2'])).stdout, '');
    // dockerd's init layer: an empty /.dockerenv and /etc/mtab -> /proc/mounts in every container, not changes either.
    const init = await tgt.ok(['run', '--name', 'd3', 'busybox', 'sh', '-c', 'stat -c "%s %a %U" /.dockerenv; readlink /etc/mtab']);
    assert.equal(init.stdout, '0 755 root\n/proc/mounts\n');
    assert.equal((await tgt.ok(['diff', 'd3'])).stdout, '', 'the runtime\'s mount points are not changes');
    // Nothing changed: dockerd adds no layer, only a history entry (empty_layer).
    await tgt.ok(['commit', 'd3', 'd3img']);
    assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'd3img'])).stdout, '1\n');
    assert.match((await tgt.ok(['history', '--format', '{{.Size}}', 'd3img'])).stdout, /^0B\n/);
    const layer = await tgt.ok(['run', '--rm', 'd3img', 'sh', '-c', 'stat -c "%s" /.dockerenv; readlink /etc/mtab']);
    assert.equal(layer.stdout, '0\n/proc/mounts\n');
    const missing = await tgt.fails(['diff', 'nosuchcontainer'], 1);
    assert.match(missing.stderr, /No such container: nosuchcontainer/);
  });

  s.test('commit makes a layer of the changes, with --change, -m and -a', async (tgt) => {
    await tgt.ok(['run', '--name', 'c1', '-e', 'FROMRUN=1', 'busybox', 'sh', '-c',
      'echo hello > /hello; rm -r /var/spool; mkdir /opq; echo x > /opq/keep; chmod 1777 /opq']);
    const id = (await tgt.ok(['commit', '-c', 'CMD ["cat", "/hello"]', '-c', 'ENV COMMITTED=yes', '-m', 'my message',
      '-a', 'Jane <jane@example.com>', 'c1', 'committed:v1'])).stdout.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await tgt.ok(['run', '--rm', 'committed:v1'])).stdout, 'hello\n');
    const check = await tgt.ok(['run', '--rm', 'committed:v1', 'sh', '-c',
      'test -e /var/spool && echo spool; ls /opq; stat -c %a /opq; echo $FROMRUN $COMMITTED']);
    assert.equal(check.stdout, 'keep\n1777\n1 yes\n');
    const meta = (await tgt.ok(['image', 'inspect', '-f', '{{.Comment}}|{{.Author}}|{{len .RootFS.Layers}}|{{json .Config.Cmd}}', 'committed:v1'])).stdout.trim();
    assert.equal(meta, 'my message|Jane <jane@example.com>|2|["cat","/hello"]');
    const hist = lines((await tgt.ok(['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Comment}}', 'committed:v1'])).stdout);
    assert.equal(hist[0], `${id}|sh -c echo hello > /hello; rm -r /var/spool; mkdir /opq; echo x > /opq/keep; chmod 1777 /opq|my message`);
  });

  s.test('a commit of a commit sees deletions through both layers; a running container can be committed', async (tgt) => {
    await tgt.ok(['run', '--name', 'r1', 'busybox', 'sh', '-c', 'mkdir -p /a/b; echo 1 > /a/b/one; echo 2 > /a/two']);
    await tgt.ok(['commit', 'r1', 'stack:1']);
    await tgt.ok(['run', '--name', 'r2', 'stack:1', 'sh', '-c', 'rm -r /a/b; echo 3 > /a/three']);
    assert.deepEqual(lines((await tgt.ok(['diff', 'r2'])).stdout).sort(), ['A /a/three', 'C /a', 'D /a/b'].sort());
    await tgt.ok(['commit', 'r2', 'stack:2']);
    assert.equal((await tgt.ok(['run', '--rm', 'stack:2', 'ls', '/a'])).stdout, 'three\ntwo\n');

    await tgt.ok(['run', '-d', '--name', 'live', 'busybox', 'sh', '-c', 'echo up > /up; sleep 60']);
    // Wait for the write before committing.
    for (let i = 0; i < 50; i++) {
      if ((await tgt.docker(['diff', 'live'])).stdout.includes('A /up')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await tgt.ok(['commit', 'live', 'live:snap']);
    const st = (await tgt.ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'live'])).stdout.trim();
    assert.equal(st, 'running false', 'the container runs on, not paused');
    assert.equal((await tgt.ok(['run', '--rm', 'live:snap', 'cat', '/up'])).stdout, 'up\n');
    await tgt.ok(['rm', '-f', 'live']);
  });

  s.test('bad input', async (tgt) => {
    const r = await tgt.fails(['commit', 'nosuch'], 1);
    assert.match(r.stderr, /No such container: nosuch/);
    await tgt.ok(['create', '--name', 'bad1', 'busybox']);
    const bad = await tgt.fails(['commit', '-c', 'BOGUS x', 'bad1'], 1);
    assert.match(bad.stderr, /bogus is not a valid change command/);
  });
});
