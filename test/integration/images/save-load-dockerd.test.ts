// Images moving between berth and Docker through save / load, both ways,
// checked by image ID and by running them: an image dockerd built (its
// legacy archive layout, plain layer tars) loads into berthd and runs; an
// image berthd built (its OCI layout + manifest.json, gzip layers) loads
// into dockerd and runs there. Skipped where dockerd cannot start.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import {
  DOCKER_CLI, DaemonUnavailable, type PrivateDaemon, BERTH, runOk, skipUnlessRoot, startBerthd, startDockerd,
} from '../../helpers/daemon.ts';

describe('save / load between berthd and dockerd', { skip: skipUnlessRoot() }, () => {
  let berthd: PrivateDaemon | null = null;
  let dockerd: PrivateDaemon | null = null;
  let unavailable = '';

  before(async () => {
    berthd = await startBerthd();
    try {
      dockerd = await startDockerd();
    } catch (e) {
      if (!(e instanceof DaemonUnavailable)) throw e;
      unavailable = e.message;
    }
  });
  after(async () => {
    await dockerd?.cleanup();
    await berthd?.cleanup();
  });

  const docker = (d: PrivateDaemon, args: string[], input?: string) =>
    runOk(DOCKER_CLI, args, { env: { ...process.env, ...d.env }, ...(input ? { input } : {}) });
  const id = async (d: PrivateDaemon, ref: string) => (await docker(d, ['image', 'inspect', '-f', '{{.Id}}', ref])).stdout.trim();

  it('an image dockerd built loads into berthd with the same ID and runs', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const dk = dockerd!;
    const bt = berthd!;
    await docker(dk, ['run', '--name', 'src', '--network', 'none', 'busybox', 'sh', '-c', 'mkdir /app && echo from-docker > /app/msg']);
    await docker(dk, ['commit', '-c', 'CMD ["cat","/app/msg"]', '-c', 'ENV ORIGIN=docker', 'src', 'fromdocker:1']);
    const file = join(bt.dir, 'fromdocker.tar');
    await docker(dk, ['save', '-o', file, 'fromdocker:1']);
    // dockerd 20.10 writes its legacy layout.
    assert.ok(execFileSync('tar', ['-tf', file]).toString().includes('/layer.tar'));
    const load = await docker(bt, ['load', '-i', file]);
    assert.equal(load.stdout, 'Loaded image: fromdocker:1\n');
    assert.equal(await id(bt, 'fromdocker:1'), await id(dk, 'fromdocker:1'));
    assert.equal((await docker(bt, ['run', '--rm', 'fromdocker:1'])).stdout, 'from-docker\n');
    assert.equal((await docker(bt, ['run', '--rm', 'fromdocker:1', 'sh', '-c', 'echo $ORIGIN'])).stdout, 'docker\n');
  });

  it('an image berthd built loads into dockerd with the same ID and runs (berth save / docker load)', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const dk = dockerd!;
    const bt = berthd!;
    await docker(bt, ['run', '--name', 'src', '--network', 'none', 'busybox', 'sh', '-c', 'echo from-berth > /msg']);
    await docker(bt, ['commit', '-c', 'CMD ["cat","/msg"]', 'src', 'fromberth:1']);
    const file = join(bt.dir, 'fromberth.tar');
    // berth's own CLI this way.
    await runOk(BERTH, ['save', '-o', file, 'fromberth:1'], { env: { ...process.env, ...bt.env } });
    const names = execFileSync('tar', ['-tf', file]).toString();
    assert.match(names, /^index\.json$/m);
    assert.match(names, /^oci-layout$/m);
    const load = await docker(dk, ['load', '-i', file]);
    assert.equal(load.stdout, 'Loaded image: fromberth:1\n');
    assert.equal(await id(dk, 'fromberth:1'), await id(bt, 'fromberth:1'));
    assert.equal((await docker(dk, ['run', '--rm', '--network', 'none', 'fromberth:1'])).stdout, 'from-berth\n');
    // And back: dockerd's save of it loads into berth as the same image.
    const again = join(bt.dir, 'back.tar');
    await docker(dk, ['save', '-o', again, 'fromberth:1']);
    await docker(bt, ['rmi', 'fromberth:1']);
    const back = await runOk(BERTH, ['load', '-i', again], { env: { ...process.env, ...bt.env } });
    assert.equal(back.stdout, 'Loaded image: fromberth:1\n');
    assert.equal(await id(bt, 'fromberth:1'), await id(dk, 'fromberth:1'));
    assert.equal((await docker(bt, ['run', '--rm', 'fromberth:1'])).stdout, 'from-berth\n');
  });
});
