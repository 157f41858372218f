// Volumes against a private berthd, for what the compat suite cannot check
// against dockerd 20.10: symlinks planted in an image must not send a mount
// or a copy-up onto the host, API >= 1.42 prune semantics, driver-option
// volumes mounted only while used, volumes surviving a daemon restart, bad
// API input refused with nothing created, and no mount left behind.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { apiRequest } from '../../helpers/api.ts';
import { DOCKER_CLI, run, runOk, skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';
import { readMounts } from '../../helpers/mounts.ts';

describe('volumes on a private berthd', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  const docker = (args: string[]) => run(DOCKER_CLI, args, { env: d.env, timeout: 60_000 });
  const ok = async (args: string[]) => {
    const r = await docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const api = (method: string, path: string, body?: unknown) => apiRequest(d.socket, method, path, { body });
  const volumeMounts = () => readMounts().filter((m) => m.mountPoint.startsWith(join(d.dataRoot, 'volumes')));

  before(async () => { d = await startBerthd(); });
  after(async () => { await d?.cleanup(); });

  test("an image's symlinks cannot send a mount or a copy-up onto the host", async () => {
    const host = mkdtempSync('/tmp/berth-escape-');
    try {
      mkdirSync(join(host, 'target'));
      writeFileSync(join(host, 'target', 'secret'), 'host secret\n');
      mkdirSync(join(host, 'target2'));
      writeFileSync(join(host, 'target2', 'secret'), 'host secret\n');
      // An image whose /evil and /rel point at the host directory (absolute and by ..).
      const stage = join(d.dir, 'evil-rootfs');
      await ok(['create', '--name', 'ex', 'busybox']);
      await ok(['export', '-o', join(d.dir, 'bb.tar'), 'ex']);
      await ok(['rm', 'ex']);
      mkdirSync(stage);
      await runOk('tar', ['-xf', join(d.dir, 'bb.tar'), '-C', stage]);
      symlinkSync(join(host, 'target'), join(stage, 'evil'));
      symlinkSync(`../../../../../../..${host}/target2`, join(stage, 'rel'));
      await runOk('tar', ['-cf', join(d.dir, 'evil.tar'), '-C', stage, '.']);
      await ok(['import', join(d.dir, 'evil.tar'), 'evil:1']);

      // Copy-up resolves /evil inside the rootfs, where nothing is: the volume stays empty.
      const r = await ok(['run', '--rm', '-v', 'cu:/evil', '-v', 'cu2:/rel', 'evil:1', 'sh', '-c', 'ls -A /evil /rel; mkdir -p /evil/made']);
      assert.doesNotMatch(r.stdout, /secret/);
      const cu = JSON.parse((await ok(['volume', 'inspect', 'cu'])).stdout)[0].Mountpoint;
      assert.deepEqual(readdirSync(cu), ['made'], 'what the container wrote landed in the volume');
      // Mounts below the symlink land inside the rootfs, never in the host directory.
      await ok(['run', '--rm', '-v', 'below:/evil/sub', '--tmpfs', '/rel/t', 'evil:1', 'sh', '-c', 'touch /evil/sub/x']);
      assert.deepEqual(readdirSync(join(host, 'target')), ['secret'], 'the host directory is untouched');
      assert.deepEqual(readdirSync(join(host, 'target2')), ['secret'], 'the host directory is untouched');
    } finally {
      await docker(['volume', 'rm', '-f', 'cu', 'cu2', 'below']);
      await docker(['rmi', 'evil:1']);
      rmSync(host, { recursive: true, force: true });
    }
  });

  test('prune: API >= 1.42 takes anonymous volumes only unless all=true; older APIs take every unused one', async () => {
    await ok(['volume', 'create', 'named1']);
    const anon = JSON.parse((await api('POST', '/v1.44/volumes/create', {})).body).Name;
    assert.match(anon, /^[0-9a-f]{64}$/);
    const inUse = JSON.parse((await api('POST', '/v1.44/volumes/create', {})).body).Name;
    await ok(['create', '--name', 'holder', '-v', `${inUse}:/x`, 'busybox']);
    let r = await api('POST', '/v1.44/volumes/prune');
    assert.deepEqual(JSON.parse(r.body), { VolumesDeleted: [anon], SpaceReclaimed: 0 });
    r = await api('POST', `/v1.44/volumes/prune?filters=${encodeURIComponent('{"all":["x"]}')}`);
    assert.equal(r.status, 400);
    r = await api('POST', `/v1.44/volumes/prune?filters=${encodeURIComponent('{"nope":["1"]}')}`);
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).message, /invalid filter 'nope'/);
    await ok(['volume', 'create', 'named2', '--label', 'keep=1']);
    r = await api('POST', `/v1.44/volumes/prune?filters=${encodeURIComponent('{"all":["true"],"label!":["keep"]}')}`);
    assert.deepEqual(JSON.parse(r.body).VolumesDeleted, ['named1']);
    r = await api('POST', '/v1.41/volumes/prune');
    assert.deepEqual(JSON.parse(r.body).VolumesDeleted, ['named2']);
    await ok(['rm', '-v', 'holder']);
    await ok(['volume', 'rm', inUse]);
  });

  test('a volume with driver options is mounted only while a container uses it', async () => {
    await ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m,mode=0700', 'tv']);
    const mp = join(d.dataRoot, 'volumes', 'tv', '_data');
    assert.deepEqual(volumeMounts(), []);
    await ok(['run', '-d', '--name', 'u1', '-v', 'tv:/t', 'busybox', 'sleep', '100']);
    await ok(['run', '-d', '--name', 'u2', '-v', 'tv:/t', 'busybox', 'sleep', '100']);
    assert.deepEqual(volumeMounts().map((m) => [m.mountPoint, m.fsType]), [[mp, 'tmpfs']], 'mounted once for two users');
    const full = await docker(['exec', 'u1', 'dd', 'if=/dev/zero', 'of=/t/big', 'bs=1024', 'count=2048']);
    if (full.code !== 127 && !/unknown command|not supported/.test(full.stderr)) assert.match(full.stderr, /No space left on device/);
    await ok(['rm', '-f', 'u1']);
    assert.equal(volumeMounts().length, 1, 'still used by u2');
    await ok(['rm', '-f', 'u2']);
    assert.deepEqual(volumeMounts(), []);
    await ok(['volume', 'rm', 'tv']);
    assert.ok(!existsSync(join(d.dataRoot, 'volumes', 'tv')));
  });

  test('volumes and their data survive a daemon restart', async () => {
    await ok(['run', '--rm', '-v', 'lasting:/d', 'busybox', 'sh', '-c', 'echo kept > /d/f']);
    await d.stop();
    // What a crash between the directory and the record leaves: swept at boot.
    mkdirSync(join(d.dataRoot, 'volumes', 'halfmade', '_data'), { recursive: true });
    await d.start();
    assert.ok(!existsSync(join(d.dataRoot, 'volumes', 'halfmade')));
    assert.equal((await ok(['volume', 'ls', '-q'])).stdout, 'lasting\n');
    assert.equal((await ok(['run', '--rm', '-v', 'lasting:/d', 'busybox', 'cat', '/d/f'])).stdout, 'kept\n');
    await ok(['volume', 'rm', 'lasting']);
  });

  test('bad API input is a 400 naming the value, and nothing is created', async () => {
    const create = (hostConfig: Record<string, unknown>) => api('POST', '/v1.44/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: hostConfig });
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ Mounts: [{ Type: 'volume', Source: 'good', Target: '/a' }, { Type: 'bind', Source: '/nonexistent-berth', Target: '/b' }] }, 400, /bind source path does not exist: \/nonexistent-berth/],
      [{ Binds: ['okvol:/a', 'bad name:/b'] }, 400, /"bad name" includes invalid characters/],
      [{ Mounts: [{ Type: 'tmpfs', Target: 'rel' }] }, 400, /invalid mount path: 'rel' mount path must be absolute/],
      [{ Mounts: 'nope' }, 400, /HostConfig.Mounts/],
      [{ VolumeDriver: 'convoy' }, 400, /VolumeDriver/],
      [{ Tmpfs: { '/t': 'size=1m' }, Binds: ['/tmp:/t'] }, 400, /Duplicate mount point: \/t/],
      [{ VolumesFrom: ['nosuchcontainer'] }, 400, /No such container: nosuchcontainer/],
      [{ Mounts: [{ Type: 'volume', Source: 'x1', Target: '/a', VolumeOptions: { DriverConfig: { Options: { bogus: '1' } } } }] }, 400, /create x1: invalid option: "bogus"/],
    ];
    for (const [hc, status, want] of cases) {
      const r = await create(hc);
      assert.equal(r.status, status, `${JSON.stringify(hc)}: ${r.body}`);
      assert.match(JSON.parse(r.body).message, want);
    }
    assert.equal((await ok(['volume', 'ls', '-q'])).stdout, '');
    assert.equal((await ok(['ps', '-a', '-q'])).stdout, '');
    const missing = await api('GET', '/v1.44/volumes/nope');
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).message, 'get nope: no such volume');
    const bad = await api('POST', '/v1.44/volumes/create', { Name: 'x/y' });
    assert.equal(bad.status, 400);
  });

  test('no volume mount is left on the host', () => {
    assert.deepEqual(volumeMounts(), []);
  });
});
