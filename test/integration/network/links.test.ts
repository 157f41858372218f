// Legacy links on the default bridge (--link name[:alias]): the environment
// variables and /etc/hosts lines, and the errors, as dockerd 20.10 gives
// them. The expected values were taken from a private dockerd on its own
// bridge (the compat harness's dockerd has no default bridge, so this file
// runs against berthd only): same flags, same output modulo addresses.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { DOCKER_CLI, run, skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';

describe('legacy links', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  const docker = (...args: string[]) => run(DOCKER_CLI, args, { env: d.env, timeout: 60_000 });
  const ok = async (...args: string[]) => {
    const r = await docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  before(async () => { d = await startBerthd(); });
  after(async () => { await d?.cleanup(); });

  test('environment and /etc/hosts of --link db-1:my-db and --link db-1', async () => {
    await ok('run', '-d', '--name', 'db-1', '-h', 'dbhost', '-e', 'SECRET=x', '-e', 'HOME=/h',
      '--expose', '5432', '--expose', '80/udp', '--expose', '7000-7002', 'busybox', 'sleep', '300');
    const ip = (await ok('inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', 'db-1')).trim();
    const out = await ok('run', '--rm', '--name', 'app', '--link', 'db-1:my-db', '--link', 'db-1', 'busybox', 'sh', '-c', 'env | sort; echo ---; cat /etc/hosts');
    const [envText, hostsText] = out.split('---\n') as [string, string];
    const env = envText.split('\n').filter((l) => /^(MY_DB|DB_1)_/.test(l));
    const expected = (p: string, name: string) => [
      `${p}_ENV_SECRET=x`, `${p}_NAME=/app/${name}`, `${p}_PORT=udp://${ip}:80`,
      ...[5432, 7000, 7001, 7002].flatMap((n) => {
        const k = `${p}_PORT_${n}_TCP`;
        const base = [`${k}=tcp://${ip}:${n}`, `${k}_ADDR=${ip}`, `${k}_PORT=${n}`, `${k}_PROTO=tcp`];
        return n === 7000 ? [...base, `${k}_END=tcp://${ip}:7002`, `${k}_PORT_END=7002`, `${k}_PORT_START=7000`, `${k}_START=tcp://${ip}:7000`] : base;
      }),
      `${p}_PORT_80_UDP=udp://${ip}:80`, `${p}_PORT_80_UDP_ADDR=${ip}`, `${p}_PORT_80_UDP_PORT=80`, `${p}_PORT_80_UDP_PROTO=udp`,
    ].sort();
    assert.deepEqual(env, [...expected('DB_1', 'db-1'), ...expected('MY_DB', 'my-db')].sort());
    assert.ok(envText.includes('HOME=/root\n'), 'the linked HOME is not passed on');
    const hosts = hostsText.trim().split('\n');
    assert.deepEqual(hosts.slice(-3, -1), [`${ip}\tmy-db dbhost db-1`, `${ip}\tdb-1 dbhost`]);
    // The endpoint carries no links on the default bridge; HostConfig does.
    await ok('create', '--name', 'app2', '--link', 'db-1:dbx', 'busybox', 'true');
    assert.equal((await ok('inspect', '-f', '{{json .NetworkSettings.Networks.bridge.Links}}', 'app2')).trim(), 'null');
    await ok('rm', '-f', 'app2');
    // The container's own variables win over a link's.
    const own = await ok('run', '--rm', '--link', 'db-1:dbx', '-e', 'DBX_NAME=mine', 'busybox', 'sh', '-c', 'echo $DBX_NAME $DBX_PORT');
    assert.match(own, new RegExp(`^mine udp://${ip.replace(/\./g, '\\.')}:80\n$`));
  });

  // Checked on a private dockerd 20.10 with its own bridge: exec sees the link
  // variables (the container's own values winning), computed at each exec, so
  // a stopped target fails it; HostConfig.Links shows dockerd's link graph.
  test('docker exec sees the link variables; HostConfig.Links in dockerd\'s form', async () => {
    await ok('run', '-d', '--name', 'db-9', '-e', 'SECRET=x', '--expose', '5432', 'busybox', 'sleep', '300');
    const ip = (await ok('inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', 'db-9')).trim();
    await ok('run', '-d', '--name', 'app9', '--link', 'db-9:my-db', '-e', 'MY_DB_NAME=own', 'busybox', 'sleep', '300');
    const env = (await ok('exec', 'app9', 'env')).split('\n').filter((l) => l.startsWith('MY_DB_')).sort();
    assert.deepEqual(env, [
      'MY_DB_ENV_SECRET=x', 'MY_DB_NAME=own', `MY_DB_PORT=tcp://${ip}:5432`, `MY_DB_PORT_5432_TCP=tcp://${ip}:5432`,
      `MY_DB_PORT_5432_TCP_ADDR=${ip}`, 'MY_DB_PORT_5432_TCP_PORT=5432', 'MY_DB_PORT_5432_TCP_PROTO=tcp',
    ]);
    const links = async (c: string) => (await ok('inspect', '-f', '{{json .HostConfig.Links}} {{json .Config.Env}}', c)).trim();
    assert.equal(await links('app9'), '["/db-9:/app9/my-db"] ["MY_DB_NAME=own","PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]');
    await ok('create', '--name', 'c2', '--link', 'db-9', '--link', '/app9:/x/y', 'busybox', 'true');
    assert.match(await links('c2'), /^\["\/db-9:\/c2\/db-9","\/app9:\/c2\/y"\] /);
    await ok('create', '--name', 'c4', '--network', 'none', '--link', 'db-9:q', 'busybox', 'true');
    assert.match(await links('c4'), /^\["\/db-9:\/c4\/q"\] /);
    await ok('network', 'create', 'u1');
    await ok('create', '--name', 'c5', '--network', 'u1', '--link', 'db-9:q', 'busybox', 'true');
    assert.match(await links('c5'), /^null /);
    await ok('stop', '-t', '0', 'db-9');
    const r = await docker('exec', 'app9', 'true');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot link to a non running container: \/db-9 AS \/app9\/my-db/);
    await ok('rm', '-f', 'app9', 'c2', 'c4', 'c5', 'db-9');
    await ok('network', 'rm', 'u1');
  });

  test('errors: unknown target, target not running; --network none ignores links', async () => {
    let r = await docker('run', '--rm', '--link', 'nosuch:x', 'busybox', 'true');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /could not get container for nosuch: No such container: nosuch/);
    await ok('run', '--rm', '--network', 'none', '--link', 'db-1:x', 'busybox', 'true');
    await ok('stop', '-t', '0', 'db-1');
    r = await docker('run', '--rm', '--name', 'late', '--link', 'db-1:x', 'busybox', 'true');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /Cannot link to a non running container: \/db-1 AS \/late\/x/);
    await ok('rm', '-f', 'db-1');
    assert.equal((await ok('ps', '-a', '--format', '{{.Names}} {{.Status}}')).trim(), '');
  });
});
