// Details real clients depend on: ps --filter name= is a regular
// expression (against "name" and "/name"), an empty HostConfig is a valid
// create body, --group-add takes numbers and names.

import assert from 'node:assert/strict';
import { compatSuite, lines } from './target.ts';
import { run } from '../helpers/run.ts';

compatSuite('client details', (s) => {
  s.test('ps --filter name= is a regular expression', async (tgt) => {
    await tgt.ok(['create', '--name', 'web', 'busybox']);
    await tgt.ok(['create', '--name', 'web2', 'busybox']);
    await tgt.ok(['create', '--name', 'myweb', 'busybox']);
    const names = async (f: string) => lines((await tgt.ok(['ps', '-a', '--filter', f, '--format', '{{.Names}}'])).stdout).sort();
    assert.deepEqual(await names('name=^web$'), ['web']);
    assert.deepEqual(await names('name=^/web2$'), ['web2']);
    assert.deepEqual(await names('name=web'), ['myweb', 'web', 'web2']);
    assert.deepEqual(await names('name=^web'), ['web', 'web2']);
  });

  s.test('an empty HostConfig, or one without LogConfig, creates a container', async (tgt) => {
    for (const body of ['{"Image":"busybox","HostConfig":{}}', '{"Image":"busybox","HostConfig":{"Memory":0,"Binds":null}}']) {
      const r = await run('curl', ['-s', '--unix-socket', tgt.daemon.socket, '-X', 'POST', '-H', 'Content-Type: application/json',
        '-d', body, '-w', '\n%{http_code}', 'http://x/containers/create']);
      assert.equal(lines(r.stdout).pop(), '201', r.stdout);
    }
  });

  s.test('--group-add with numbers and names', async (tgt) => {
    const r = await tgt.ok(['run', '--rm', '--group-add', '1234', '--group-add', 'nogroup', '--group-add', 'daemon', 'busybox', 'id', '-G']);
    assert.deepEqual(r.stdout.trim().split(' ').map(Number).sort((a, b) => a - b), [0, 1, 10, 1234, 65534]);
    const bad = await tgt.fails(['run', '--rm', '--group-add', 'nosuch', 'busybox', 'id'], 125);
    assert.match(bad.stderr, /Unable to find group nosuch: no matching entries in group file/);
    const id = (await tgt.ok(['create', '--group-add', '5', 'busybox'])).stdout.trim();
    assert.equal((await tgt.ok(['inspect', '-f', '{{.HostConfig.GroupAdd}}', id])).stdout, '[5]\n');
  });
});
