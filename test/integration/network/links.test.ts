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
