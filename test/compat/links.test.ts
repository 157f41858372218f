// Legacy links through the real docker CLI, the parts dockerd 20.10 checks
// without a default bridge (the compat dockerd has none): a link to an
// unknown container is refused at create, and renaming either end keeps
// the link (HostConfig.Links follows the names). Starting the linked
// containers after a rename is checked on berthd only; the variables and
// /etc/hosts lines themselves are in test/integration/network/links.test.ts.

import assert from 'node:assert/strict';
import { compatSuite, lines } from './target.ts';

compatSuite('links', (s) => {
  s.test('a link to an unknown container is refused at create, nothing made', async (tgt) => {
    const run = await tgt.fails(['run', '--rm', '--link', 'nosuch:db', 'busybox', 'true'], 125);
    assert.match(run.stderr, /Error response from daemon: could not get container for nosuch: No such container: nosuch/);
    assert.doesNotMatch(run.stderr, /Unable to find image/);
    const create = await tgt.fails(['create', '--name', 'app', '--link', 'nosuch', 'busybox', 'true'], 1);
    assert.match(create.stderr, /could not get container for nosuch: No such container: nosuch/);
    assert.deepEqual(lines((await tgt.ok(['ps', '-a', '-q'])).stdout), []);
  });

  s.test('renaming the target or the linking container keeps the link', async (tgt) => {
    await tgt.ok(['create', '--name', 'db', '--expose', '5432', 'busybox', 'sleep', '300']);
    await tgt.ok(['create', '--name', 'app', '--link', 'db:dbx', '--link', 'db', 'busybox', 'sh', '-c', 'env; cat /etc/hosts']);
    const links = async (name: string) => (JSON.parse((await tgt.ok(['inspect', '-f', '{{json .HostConfig.Links}}', name])).stdout) as string[]).sort();
    assert.deepEqual(await links('app'), ['/db:/app/db', '/db:/app/dbx']);
    await tgt.ok(['rename', 'db', 'db2']);
    assert.deepEqual(await links('app'), ['/db2:/app/db', '/db2:/app/dbx']);
    await tgt.ok(['rename', 'app', 'app2']);
    assert.deepEqual(await links('app2'), ['/db2:/app2/db', '/db2:/app2/dbx']);
    if (tgt.name !== 'berthd') return;
    await tgt.ok(['start', 'db2']);
    const ip = (await tgt.ok(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'db2'])).stdout.trim();
    const host = (await tgt.ok(['inspect', '-f', '{{.Config.Hostname}}', 'db2'])).stdout.trim();
    const out = (await tgt.ok(['start', '-a', 'app2'])).stdout;
    assert.ok(out.includes(`DBX_NAME=/app2/dbx\n`), out);
    assert.ok(out.includes(`DB_PORT_5432_TCP=tcp://${ip}:5432\n`), out);
    assert.ok(out.includes(`${ip}\tdbx ${host} db2\n`), out);
    assert.ok(out.includes(`${ip}\tdb ${host} db2\n`), out);
  });
});
