// Volumes, binds and tmpfs through the real docker CLI: volume create, ls,
// inspect, rm, prune; -v named/anonymous/bind, --mount, --tmpfs,
// --volumes-from, --read-only; what the container sees, what inspect says,
// and what is left on the host afterwards.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compatSuite, lines } from './target.ts';
import { readMounts } from '../helpers/mounts.ts';

const volumeNames = async (tgt: { ok(a: string[]): Promise<{ stdout: string }> }) => lines((await tgt.ok(['volume', 'ls', '-q'])).stdout).sort();

compatSuite('volumes', (s) => {
  s.test('volume create, ls, inspect, rm', async (tgt) => {
    assert.equal((await tgt.ok(['volume', 'create', 'plain'])).stdout, 'plain\n');
    assert.equal((await tgt.ok(['volume', 'create', '--label', 'tier=db', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'withopts'])).stdout, 'withopts\n');
    // Creating an existing volume again is not an error.
    await tgt.ok(['volume', 'create', 'plain']);
    const [plain, withopts] = JSON.parse((await tgt.ok(['volume', 'inspect', 'plain', 'withopts'])).stdout);
    assert.equal(plain.Name, 'plain');
    assert.equal(plain.Driver, 'local');
    assert.equal(plain.Scope, 'local');
    assert.equal(plain.Mountpoint, join(tgt.daemon.dataRoot, 'volumes', 'plain', '_data'));
    assert.ok(existsSync(plain.Mountpoint));
    assert.equal(plain.Options, null);
    assert.match(plain.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    assert.deepEqual(withopts.Labels, { tier: 'db' });
    assert.deepEqual(withopts.Options, { device: 'tmpfs', o: 'size=1m', type: 'tmpfs' });
    const ls = (await tgt.ok(['volume', 'ls'])).stdout;
    assert.deepEqual(lines(ls), ['DRIVER    VOLUME NAME', 'local     plain', 'local     withopts']);
    assert.deepEqual(lines((await tgt.ok(['volume', 'ls', '-q', '-f', 'label=tier=db'])).stdout), ['withopts']);
    assert.deepEqual(lines((await tgt.ok(['volume', 'ls', '-q', '-f', 'name=with'])).stdout), ['withopts']);
    assert.deepEqual(lines((await tgt.ok(['volume', 'ls', '-q', '-f', 'driver=loc'])).stdout), []);
    assert.equal((await tgt.ok(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'withopts'])).stdout, 'withopts local\n');
    assert.equal((await tgt.ok(['volume', 'rm', 'plain', 'withopts'])).stdout, 'plain\nwithopts\n');
    assert.ok(!existsSync(plain.Mountpoint));
    assert.deepEqual(await volumeNames(tgt), []);
  });

  s.test('bad volume names, options, unknown volumes: dockerd\'s messages, nothing created', async (tgt) => {
    let r = await tgt.fails(['volume', 'create', 'foo/bar'], 1);
    assert.match(r.stderr, /create foo\/bar: "foo\/bar" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed. If you intended to pass a host directory, use absolute path/);
    r = await tgt.fails(['volume', 'create', 'a'], 1);
    assert.match(r.stderr, /create a: volume name is too short, names should be at least two alphanumeric characters/);
    r = await tgt.fails(['volume', 'create', '-o', 'foo=bar', 'v4'], 1);
    assert.match(r.stderr, /create v4: invalid option: "foo"/);
    r = await tgt.fails(['volume', 'create', '-o', 'type=tmpfs', 'v5'], 1);
    assert.match(r.stderr, /create v5: missing required option: "device"/);
    r = await tgt.fails(['volume', 'inspect', 'nope'], 1);
    assert.match(r.stderr, /get nope: no such volume/);
    r = await tgt.fails(['volume', 'rm', 'nope'], 1);
    assert.match(r.stderr, /get nope: no such volume/);
    await tgt.ok(['volume', 'rm', '-f', 'nope']);
    r = await tgt.fails(['volume', 'ls', '-f', 'dangling=x'], 1);
    assert.match(r.stderr, /invalid filter 'dangling=\[x\]'/i);
    assert.deepEqual(await volumeNames(tgt), []);
  });

  s.test('named volume: created on first use, data survives the container, in use until removed', async (tgt) => {
    await tgt.ok(['run', '--name', 'writer', '-v', 'keep:/data', 'busybox', 'sh', '-c', 'echo persisted > /data/f']);
    const r = await tgt.fails(['volume', 'rm', 'keep'], 1);
    const id = (await tgt.ok(['inspect', '-f', '{{.Id}}', 'writer'])).stdout.trim();
    assert.ok(r.stderr.includes(`remove keep: volume is in use - [${id}]`), r.stderr);
    assert.deepEqual(lines((await tgt.ok(['volume', 'ls', '-q', '-f', 'dangling=false'])).stdout), ['keep']);
    assert.equal((await tgt.ok(['ps', '-a', '-q', '--no-trunc', '-f', 'volume=keep'])).stdout, `${id}\n`);
    assert.equal((await tgt.ok(['ps', '-a', '-q', '--no-trunc', '-f', 'volume=/data'])).stdout, `${id}\n`);
    assert.equal((await tgt.ok(['ps', '-a', '-q', '-f', 'volume=other'])).stdout, '');
    await tgt.ok(['rm', '-v', 'writer']);
    assert.deepEqual(await volumeNames(tgt), ['keep'], 'rm -v leaves named volumes');
    assert.equal((await tgt.ok(['run', '--rm', '-v', 'keep:/other', 'busybox', 'cat', '/other/f'])).stdout, 'persisted\n');
    assert.deepEqual(lines((await tgt.ok(['volume', 'ls', '-q', '-f', 'dangling=true'])).stdout), ['keep']);
    await tgt.ok(['volume', 'rm', 'keep']);
  });

  s.test("the image's content is copied into an empty volume; nocopy skips it", async (tgt) => {
    const etc = lines((await tgt.ok(['run', '--rm', '-v', 'etcvol:/etc', 'busybox', 'ls', '/etc'])).stdout);
    assert.ok(etc.includes('passwd') && etc.includes('group'), etc.join(' '));
    // The copy is in the volume itself: seen at another path in another container.
    assert.ok(lines((await tgt.ok(['run', '--rm', '-v', 'etcvol:/x', 'busybox', 'ls', '/x'])).stdout).includes('passwd'));
    const bare = lines((await tgt.ok(['run', '--rm', '-v', 'bare:/etc:nocopy', 'busybox', 'ls', '/etc'])).stdout);
    assert.ok(!bare.includes('passwd'), bare.join(' '));
    const viaMount = lines((await tgt.ok(['run', '--rm', '--mount', 'type=volume,src=bare2,dst=/etc,volume-nocopy', 'busybox', 'ls', '/etc'])).stdout);
    assert.ok(!viaMount.includes('passwd'));
    await tgt.ok(['volume', 'rm', 'etcvol', 'bare', 'bare2']);
  });

  s.test('anonymous volumes: removed with --rm and rm -v, kept by plain rm', async (tgt) => {
    await tgt.ok(['run', '--rm', '-v', '/anon', '-v', 'named:/named', 'busybox', 'sh', '-c', 'echo x > /anon/f']);
    assert.deepEqual(await volumeNames(tgt), ['named'], '--rm removed the anonymous volume only');
    await tgt.ok(['create', '--name', 'c1', '-v', '/anon', 'busybox']);
    const [m] = JSON.parse((await tgt.ok(['inspect', '-f', '{{json .Mounts}}', 'c1'])).stdout);
    assert.equal(m.Type, 'volume');
    assert.match(m.Name, /^[0-9a-f]{64}$/);
    assert.equal(m.Destination, '/anon');
    assert.equal(m.Driver, 'local');
    assert.equal(m.Mode, '');
    assert.equal(m.RW, true);
    assert.equal(m.Source, join(tgt.daemon.dataRoot, 'volumes', m.Name, '_data'));
    await tgt.ok(['rm', '-v', 'c1']);
    assert.deepEqual(await volumeNames(tgt), ['named']);
    await tgt.ok(['create', '--name', 'c2', '-v', '/anon', 'busybox']);
    await tgt.ok(['rm', 'c2']);
    assert.equal((await volumeNames(tgt)).length, 2, 'rm without -v keeps it');
    await tgt.ok(['volume', 'prune', '-f']);
    assert.deepEqual(await volumeNames(tgt), tgt.name === 'dockerd' ? [] : ['named'],
      'API >= 1.42 prunes only anonymous volumes by default (dockerd 20.10 speaks 1.41 and prunes all)');
    await tgt.ok(['volume', 'rm', '-f', 'named']);
  });

  s.test('binds: -v creates a missing host dir, :ro refuses writes, --mount needs the source', async (tgt) => {
    const dir = tgt.tmpDir('binds');
    writeFileSync(join(dir, 'host.txt'), 'from host\n');
    assert.equal((await tgt.ok(['run', '--rm', '-v', `${dir}:/h`, 'busybox', 'sh', '-c', 'cat /h/host.txt; echo back > /h/ctr.txt'])).stdout, 'from host\n');
    assert.equal(readFileSync(join(dir, 'ctr.txt'), 'utf8'), 'back\n');
    const ro = await tgt.fails(['run', '--rm', '-v', `${dir}:/h:ro`, 'busybox', 'touch', '/h/nope'], 1);
    assert.match(ro.stderr, /Read-only file system/);
    assert.ok(!existsSync(join(dir, 'nope')));
    const roMount = await tgt.fails(['run', '--rm', '--mount', `type=bind,source=${dir},target=/h,readonly`, 'busybox', 'touch', '/h/nope'], 1);
    assert.match(roMount.stderr, /Read-only file system/);
    const created = join(dir, 'made', 'by', 'v');
    await tgt.ok(['run', '--rm', '-v', `${created}:/m`, 'busybox', 'true']);
    assert.ok(existsSync(created), '-v creates a missing host directory');
    const missing = join(dir, 'absent');
    const r = await tgt.fails(['run', '--rm', '--mount', `type=bind,source=${missing},target=/x`, 'busybox', 'true'], 125);
    assert.match(r.stderr, new RegExp(`invalid mount config for type "bind": bind source path does not exist: ${missing}`));
    assert.ok(!existsSync(missing));
    await tgt.ok(['create', '--name', 'bb', '-v', `${dir}:/h:ro`, '--mount', `type=bind,src=${dir},dst=/h2`, 'busybox']);
    const mounts = JSON.parse((await tgt.ok(['inspect', '-f', '{{json .Mounts}}', 'bb'])).stdout);
    const byDest = Object.fromEntries(mounts.map((m: { Destination: string }) => [m.Destination, m]));
    assert.deepEqual(byDest['/h'], { Type: 'bind', Source: dir, Destination: '/h', Mode: 'ro', RW: false, Propagation: 'rprivate' });
    assert.deepEqual(byDest['/h2'], { Type: 'bind', Source: dir, Destination: '/h2', Mode: '', RW: true, Propagation: 'rprivate' });
  });

  s.test('rslave/rshared binds need a source mount that propagates', async (tgt) => {
    const dir = tgt.tmpDir('prop');
    const shared = (await tgt.ok(['run', '--rm', '--mount', `type=bind,src=${dir},dst=/x,bind-propagation=rprivate`, 'busybox', 'true']));
    assert.equal(shared.code, 0);
    // The host's / is private on these machines (see docs/runtime.md): dockerd refuses at start.
    const r = await tgt.fails(['run', '--rm', '--mount', `type=bind,src=${dir},dst=/x,bind-propagation=rslave`, 'busybox', 'true'], 125);
    assert.match(r.stderr, new RegExp(`path ${dir} is mounted on \\S+ but it is not a shared or slave mount`));
    const r2 = await tgt.fails(['run', '--rm', '-v', `${dir}:/x:rshared`, 'busybox', 'true'], 125);
    assert.match(r2.stderr, new RegExp(`path ${dir} is mounted on \\S+ but it is not a shared mount`));
    assert.equal((await tgt.ok(['ps', '-a', '-q'])).stdout, '', '--rm removed the containers whose start failed');
  });

  s.test('bad -v and --mount values are refused naming the value; nothing is created', async (tgt) => {
    const before = await volumeNames(tgt);
    const cases: Array<[string[], RegExp]> = [
      [['-v', 'rel/path:/x'], /create rel\/path: "rel\/path" includes invalid characters for a local volume name/],
      [['-v', 'v1:rel'], /invalid volume specification: 'v1:rel': invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute/],
      [['--mount', 'type=bind,source=rel,target=/x'], /invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute/],
      [['--mount', 'type=foo,target=/x'], /invalid mount config for type "foo": mount type unknown/],
      [['-v', 'newvol1:/x', '-v', 'newvol2:/x'], /Duplicate mount point: \/x/],
      [['-v', '/anon:ro'], /invalid volume specification: '\/anon:ro'/],
      // A 400, not a 404: the CLI must not go looking for the image.
      [['--volumes-from', 'nosuch'], /No such container: nosuch/],
    ];
    for (const [args, want] of cases) {
      const r = await tgt.fails(['run', '--rm', ...args, 'busybox', 'true'], 125);
      assert.match(r.stderr, want, args.join(' '));
    }
    const flag = await tgt.fails(['run', '--rm', '--mount', 'type=volume,source=v1', 'busybox', 'true'], 125);
    assert.match(flag.stderr, /invalid argument "type=volume,source=v1" for "--mount" flag: target is required/);
    // dockerd 20.10 leaves the first volume of the duplicate-mount case behind; berth creates nothing.
    if (tgt.name === 'dockerd') await tgt.docker(['volume', 'rm', 'newvol1']);
    assert.deepEqual(await volumeNames(tgt), before);
    assert.equal((await tgt.ok(['ps', '-a', '-q'])).stdout, '');
  });

  s.test('tmpfs: --tmpfs and --mount type=tmpfs, size limits hold, modes applied, not in Mounts', async (tgt) => {
    const r = await tgt.ok(['run', '--rm', '--tmpfs', '/t1:size=1m,mode=1770', '--mount', 'type=tmpfs,target=/t2,tmpfs-size=2097152,tmpfs-mode=0700',
      'busybox', 'sh', '-c', 'stat -c "%a" /t1 /t2; grep -E " /t[12] " /proc/mounts | cut -d" " -f2-4']);
    const out = lines(r.stdout);
    assert.deepEqual(out.slice(0, 2), ['1770', '700']);
    assert.ok(out.some((l) => /^\/t1 tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=1770/.test(l)), out.join('\n'));
    assert.ok(out.some((l) => /^\/t2 tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k,mode=700/.test(l)), out.join('\n'));
    const full = await tgt.fails(['run', '--rm', '--tmpfs', '/t:size=1m', 'busybox', 'dd', 'if=/dev/zero', 'of=/t/big', 'bs=1024', 'count=2048'], 1);
    assert.match(full.stderr, /No space left on device/);
    await tgt.ok(['create', '--name', 'tm', '--tmpfs', '/a', '--mount', 'type=tmpfs,dst=/b', 'busybox']);
    const mounts = JSON.parse((await tgt.ok(['inspect', '-f', '{{json .Mounts}}', 'tm'])).stdout);
    assert.deepEqual(mounts, [{ Type: 'tmpfs', Source: '', Destination: '/b', Mode: '', RW: true, Propagation: '' }]);
    assert.equal((await tgt.ok(['inspect', '-f', '{{json .HostConfig.Tmpfs}}', 'tm'])).stdout, '{"/a":""}\n');
  });

  s.test('--read-only root with a writable tmpfs and volume', async (tgt) => {
    const r = await tgt.fails(['run', '--rm', '--read-only', '--tmpfs', '/run', '-v', 'rov:/data', 'busybox', 'sh', '-c',
      'touch /run/ok && touch /data/ok && echo writable; touch /nope'], 1);
    assert.equal(r.stdout, 'writable\n');
    assert.match(r.stderr, /Read-only file system/);
    await tgt.ok(['volume', 'rm', 'rov']);
  });

  s.test('--volumes-from shares volumes and binds, :ro makes them read-only', async (tgt) => {
    const dir = tgt.tmpDir('vf');
    await tgt.ok(['create', '--name', 'src', '-v', 'shared:/data', '-v', '/srcanon', '-v', `${dir}:/hb`, 'busybox']);
    await tgt.ok(['run', '--rm', '--volumes-from', 'src', 'busybox', 'sh', '-c', 'echo a > /data/f; echo b > /hb/f']);
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'b\n');
    const ro = await tgt.fails(['run', '--rm', '--volumes-from', 'src:ro', 'busybox', 'sh', '-c', 'cat /data/f; touch /data/g'], 1);
    assert.equal(ro.stdout, 'a\n');
    assert.match(ro.stderr, /Read-only file system/);
    await tgt.ok(['create', '--name', 'dst', '--volumes-from', 'src', 'busybox']);
    const mounts = JSON.parse((await tgt.ok(['inspect', '-f', '{{json .Mounts}}', 'dst'])).stdout)
      .sort((a: { Destination: string }, b: { Destination: string }) => a.Destination.localeCompare(b.Destination));
    assert.deepEqual(mounts.map((m: { Destination: string; Type: string; Mode: string }) => [m.Destination, m.Type, m.Mode]),
      [['/data', 'volume', ''], ['/hb', 'bind', ''], ['/srcanon', 'volume', '']]);
    assert.equal((await tgt.ok(['inspect', '-f', '{{json .HostConfig.VolumesFrom}}', 'dst'])).stdout, '["src"]\n');
    // The anonymous volume is shared: rm -v of one user keeps it for the other.
    const anon = mounts.find((m: { Destination: string }) => m.Destination === '/srcanon').Name;
    await tgt.ok(['rm', '-v', 'src']);
    assert.ok((await volumeNames(tgt)).includes(anon));
    await tgt.ok(['rm', '-v', 'dst']);
    assert.ok(!(await volumeNames(tgt)).includes(anon));
    await tgt.ok(['volume', 'rm', 'shared']);
  });

  s.test("the image's VOLUME becomes an anonymous volume unless something else is mounted there", async (tgt) => {
    const exported = join(tgt.tmpDir('vimg'), 'bb.tar');
    await tgt.ok(['create', '--name', 'ex', 'busybox']);
    await tgt.ok(['export', '-o', exported, 'ex']);
    await tgt.ok(['rm', 'ex']);
    await tgt.ok(['import', '-c', 'VOLUME /etc', '-c', 'CMD ["sh"]', exported, 'volimg']);
    const etc = lines((await tgt.ok(['run', '--name', 'iv', 'volimg', 'ls', '/etc'])).stdout);
    assert.ok(etc.includes('passwd'), 'the image content is copied into the anonymous volume');
    const [m] = JSON.parse((await tgt.ok(['inspect', '-f', '{{json .Mounts}}', 'iv'])).stdout);
    assert.deepEqual([m.Type, m.Destination, m.Mode, m.RW], ['volume', '/etc', '', true]);
    assert.equal((await tgt.ok(['inspect', '-f', '{{json .Config.Volumes}}', 'iv'])).stdout, '{"/etc":{}}\n');
    await tgt.ok(['rm', '-v', 'iv']);
    await tgt.ok(['run', '--rm', '--tmpfs', '/etc', 'volimg', 'true']);
    assert.deepEqual(await volumeNames(tgt), [], 'a tmpfs at the VOLUME path means no anonymous volume');
    await tgt.ok(['rmi', 'volimg']);
  });

  s.test('volume events: create, mount, unmount, destroy', async (tgt) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await tgt.ok(['volume', 'create', 'ev']);
    await tgt.ok(['run', '--rm', '-v', 'ev:/e:ro', 'busybox', 'true']);
    await tgt.ok(['volume', 'rm', 'ev']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = await tgt.ok(['events', '--since', String(since), '--until', String(until), '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "destination"}} {{index .Actor.Attributes "read/write"}}']);
    const actions = lines(r.stdout);
    assert.ok(actions.includes('create ev  '), actions.join('\n'));
    assert.ok(actions.includes('mount ev /e false'), actions.join('\n'));
    assert.ok(actions.includes('unmount ev  '), actions.join('\n'));
    assert.ok(actions.includes('destroy ev  '), actions.join('\n'));
  });

  s.test('no volume mounts are left on the host after the containers are gone', async (tgt) => {
    await tgt.ok(['run', '--rm', '-v', 'tv:/t', '--mount', 'type=volume,src=tv2,dst=/u,volume-opt=type=tmpfs,volume-opt=device=tmpfs', 'busybox', 'sh', '-c', 'grep " /u " /proc/mounts']);
    const left = readMounts().filter((m) => m.mountPoint.startsWith(join(tgt.daemon.dataRoot, 'volumes')));
    assert.deepEqual(left, []);
    await tgt.ok(['volume', 'rm', 'tv', 'tv2']);
    mkdirSync(tgt.tmpDir('done'), { recursive: true });
  });
});
