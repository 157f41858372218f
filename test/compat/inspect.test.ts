// docker inspect of containers and images: the fields scripts read with -f,
// checked against what the container and the host really see.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountsUnder } from '../helpers/mounts.ts';
import { type CompatTarget, compatSuite } from './target.ts';

const NEVER = '0001-01-01T00:00:00Z';
const RFC3339NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

async function f(tgt: CompatTarget, format: string, ...refs: string[]): Promise<string> {
  return (await tgt.ok(['inspect', '-f', format, ...refs])).stdout.replace(/\n$/, '');
}

compatSuite('inspect', (s) => {
  s.test('State through created, running and exited', async (tgt) => {
    await tgt.ok(['create', '--name', 'st', 'busybox', 'sleep', '1000']);
    assert.equal(await f(tgt, '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}', 'st'), 'created false 0 0');
    assert.equal(await f(tgt, '{{.State.StartedAt}} {{.State.FinishedAt}}', 'st'), `${NEVER} ${NEVER}`);
    await tgt.ok(['start', 'st']);
    const [status, running, pid] = (await f(tgt, '{{.State.Status}} {{.State.Running}} {{.State.Pid}}', 'st')).split(' ');
    assert.deepEqual([status, running], ['running', 'true']);
    assert.ok(existsSync(`/proc/${pid}`), `State.Pid ${pid} is a host process`);
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\x001000\x00');
    assert.match(await f(tgt, '{{.State.StartedAt}}', 'st'), RFC3339NANO);
    await tgt.ok(['kill', 'st']);
    await tgt.ok(['wait', 'st']);
    assert.equal(await f(tgt, '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}} {{.State.OOMKilled}}', 'st'),
      'exited false 0 137 false');
    const [started, finished] = (await f(tgt, '{{.State.StartedAt}} {{.State.FinishedAt}}', 'st')).split(' ');
    assert.match(finished, RFC3339NANO);
    assert.ok(Date.parse(finished) >= Date.parse(started));
  });

  s.test('Config, Name, Path, Args, Image, Created', async (tgt) => {
    const id = (await tgt.ok(['create', '--name', 'cfg', '-e', 'FOO=bar', '-l', 'k=v', '-w', '/tmp', '-u', 'nobody',
      '-h', 'hh', 'busybox', 'sleep', '1000'])).stdout.trim();
    const env = JSON.parse(await f(tgt, '{{json .Config.Env}}', 'cfg')) as string[];
    assert.ok(env.includes('FOO=bar'), JSON.stringify(env));
    assert.ok(env.some((e) => e.startsWith('PATH=')), `image PATH merged: ${JSON.stringify(env)}`);
    assert.equal(await f(tgt, '{{.Config.Env}}', 'cfg'), `[${env.join(' ')}]`);
    assert.equal(await f(tgt, '{{json .Config.Labels}}', 'cfg'), '{"k":"v"}');
    assert.equal(await f(tgt, '{{.Config.WorkingDir}}|{{.Config.User}}|{{.Config.Hostname}}|{{.Config.Image}}', 'cfg'),
      '/tmp|nobody|hh|busybox');
    assert.equal(await f(tgt, '{{.Id}}|{{.Name}}|{{.Path}}|{{json .Args}}|{{json .Config.Cmd}}', 'cfg'),
      `${id}|/cfg|sleep|["1000"]|["sleep","1000"]`);
    assert.match(await f(tgt, '{{.Created}}', 'cfg'), RFC3339NANO);
    const imageId = (await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
    assert.equal(await f(tgt, '{{.Image}}', 'cfg'), imageId);
    assert.equal(await f(tgt, '{{.HostConfig.NetworkMode}}|{{.RestartCount}}', 'cfg').then((v) => v.split('|')[1]), '0');
    // By id prefix as well as by name.
    assert.equal(await f(tgt, '{{.Name}}', id.slice(0, 10)), '/cfg');
  });

  s.test('Mounts: none, and binds the container really uses', async (tgt) => {
    await tgt.ok(['run', '--name', 'nomounts', 'busybox', 'true']);
    assert.equal(await f(tgt, '{{json .Mounts}}', 'nomounts'), '[]');

    const dir = tgt.tmpDir('bind');
    writeFileSync(join(dir, 'from-host'), 'host data\n');
    const r = await tgt.docker(['run', '--name', 'binds', '-v', `${dir}:/data`, '-v', `${dir}:/ro:ro`, 'busybox', 'sh', '-c',
      'cat /data/from-host; echo container > /data/from-container; echo x > /ro/denied']);
    assert.equal(r.code, 1, 'writing to the read-only bind fails');
    assert.equal(r.stdout, 'host data\n');
    assert.match(r.stderr, /Read-only file system/);
    assert.equal(readFileSync(join(dir, 'from-container'), 'utf8'), 'container\n');
    const mounts = JSON.parse(await f(tgt, '{{json .Mounts}}', 'binds')) as Array<Record<string, unknown>>;
    const byDest = Object.fromEntries(mounts.map((m) => [m.Destination, m]));
    assert.deepEqual(Object.keys(byDest).sort(), ['/data', '/ro']);
    assert.deepEqual(
      { Type: byDest['/data'].Type, Source: byDest['/data'].Source, RW: byDest['/data'].RW, Propagation: byDest['/data'].Propagation },
      { Type: 'bind', Source: dir, RW: true, Propagation: 'rprivate' });
    assert.deepEqual({ Mode: byDest['/ro'].Mode, RW: byDest['/ro'].RW }, { Mode: 'ro', RW: false });
    // dockerd does not keep the order of Binds.
    const binds = JSON.parse(await f(tgt, '{{json .HostConfig.Binds}}', 'binds')) as string[];
    assert.deepEqual(binds.sort(), [`${dir}:/data`, `${dir}:/ro:ro`]);
  });

  s.test('GraphDriver names the storage driver and its live dirs', async (tgt) => {
    const driver = (await tgt.ok(['info', '-f', '{{.Driver}}'])).stdout.trim();
    await tgt.ok(['run', '-d', '--name', 'gd', 'busybox', 'sh', '-c', 'echo mark > /marker; sleep 1000']);
    assert.equal(await f(tgt, '{{.GraphDriver.Name}}', 'gd'), driver);
    assert.match(driver, /^overlay/);
    const data = JSON.parse(await f(tgt, '{{json .GraphDriver.Data}}', 'gd')) as Record<string, string>;
    for (const key of ['LowerDir', 'UpperDir', 'WorkDir', 'MergedDir']) {
      assert.ok(data[key]?.startsWith(`${tgt.daemon.dir}/`), `${key} ${data[key]} lies under the daemon's dirs`);
    }
    assert.ok(mountsUnder(data.MergedDir).some((m) => m.mountPoint === data.MergedDir && m.fsType === 'overlay'),
      'MergedDir is an overlay mount while the container runs');
    assert.ok(existsSync(join(data.MergedDir, 'bin/busybox')));
    let marker = '';
    for (let i = 0; i < 50 && !marker; i++) {
      try { marker = readFileSync(join(data.UpperDir, 'marker'), 'utf8'); } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    assert.equal(marker, 'mark\n', 'the container writes land in UpperDir');
  });

  s.test('image inspect', async (tgt) => {
    const out = (await tgt.ok(['image', 'inspect', '-f',
      '{{json .RepoTags}}|{{json .Config.Cmd}}|{{.Os}}|{{.Architecture}}|{{.RootFS.Type}}|{{len .RootFS.Layers}}', 'busybox'])).stdout.trim();
    const [tags, cmd, os, arch, rootfsType, layers] = out.split('|');
    assert.ok((JSON.parse(tags) as string[]).includes('busybox:latest'));
    assert.equal(cmd, '["sh"]');
    assert.deepEqual([os, arch, rootfsType], ['linux', 'amd64', 'layers']);
    assert.ok(Number(layers) >= 1);
    assert.match((await tgt.ok(['inspect', '--type', 'image', '-f', '{{.Id}}', 'busybox'])).stdout, /^sha256:[0-9a-f]{64}\n$/);
  });

  s.test('inspect of several objects, one unknown', async (tgt) => {
    await tgt.ok(['create', '--name', 'known', 'busybox']);
    const r = await tgt.fails(['inspect', 'known', 'nosuch-object'], 1);
    const found = JSON.parse(r.stdout) as Array<{ Name: string }>;
    assert.deepEqual(found.map((c) => c.Name), ['/known']);
    assert.match(r.stderr, /No such object: nosuch-object/);
    const typed = await tgt.fails(['inspect', '--type', 'container', 'busybox'], 1);
    assert.match(typed.stderr, /No such container: busybox/);
  });
});
