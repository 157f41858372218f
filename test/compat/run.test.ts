// docker run: output, stdin, exit codes and the create options of the
// engine slice, asserted on what the container sees.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compatSuite, lines, waitFor } from './target.ts';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function interfaces(procNetDev: string): string[] {
  // Two header lines, then "  name: counters...".
  return procNetDev.split('\n').slice(2).filter(Boolean).map((l) => l.split(':')[0].trim()).sort();
}

compatSuite('run', (s) => {
  s.test('run --rm echo prints to stdout and leaves no container', async (tgt) => {
    const r = await tgt.ok(['run', '--rm', 'busybox', 'echo', 'hello']);
    assert.equal(r.stdout, 'hello\n');
    assert.equal(r.stderr, '');
    assert.equal((await tgt.ok(['ps', '-a', '-q'])).stdout, '');
  });

  s.test('a --rm container mounted before its start (cp into it while created) starts, runs and goes', async (tgt) => {
    // berthd mounts a --rm container's rootfs volatile; overlay refuses a
    // second such mount unless berthd clears the first one's marker.
    const dir = tgt.tmpDir('rm-cp');
    writeFileSync(join(dir, 'in.txt'), 'copied in\n');
    const id = (await tgt.ok(['create', '--rm', 'busybox', 'cat', '/in.txt'])).stdout.trim();
    await tgt.ok(['cp', join(dir, 'in.txt'), `${id}:/in.txt`]);
    assert.equal((await tgt.ok(['start', '-a', id])).stdout, 'copied in\n');
    await waitFor(async () => (await tgt.ok(['ps', '-a', '-q'])).stdout === '', 'the container is removed');
  });

  s.test('stdout and stderr stay apart', async (tgt) => {
    const r = await tgt.ok(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  s.test('-i passes stdin through and closes it', async (tgt) => {
    assert.equal((await tgt.ok(['run', '-i', '--rm', 'busybox', 'cat'], { input: 'hi\n' })).stdout, 'hi\n');
    const big = Buffer.alloc(300_000, 'abcdefghij\n');
    const r = await tgt.ok(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'wc -c; echo done'], { input: big });
    assert.deepEqual(lines(r.stdout).map((l) => l.trim()), [String(big.length), 'done']);
  });

  s.test('exit codes propagate', async (tgt) => {
    await tgt.fails(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3'], 3);
    await tgt.fails(['run', '--rm', 'busybox', 'false'], 1);
    const r = await tgt.fails(['run', '--name', 'ex', 'busybox', 'sh', '-c', 'exit 42'], 42);
    assert.equal(r.stderr, '');
    assert.equal((await tgt.ok(['inspect', '-f', '{{.State.ExitCode}}', 'ex'])).stdout, '42\n');
  });

  s.test('--name, and a taken name is a conflict', async (tgt) => {
    const id = (await tgt.ok(['run', '-d', '--name', 'taken', 'busybox', 'sleep', '1000'])).stdout.trim();
    assert.equal((await tgt.ok(['inspect', '-f', '{{.Name}}', id])).stdout, '/taken\n');
    const r = await tgt.fails(['run', '--name', 'taken', 'busybox', 'true'], 125);
    assert.match(r.stderr, /The container name "\/taken" is already in use by container "[0-9a-f]{64}"/);
    assert.ok(r.stderr.includes(id), 'the message names the holder');
    assert.equal(lines((await tgt.ok(['ps', '-a', '-q'])).stdout).length, 1);
  });

  s.test('environment: defaults, -e, host pass-through, --env-file', async (tgt) => {
    const dir = tgt.tmpDir('env');
    const file = join(dir, 'vars.env');
    writeFileSync(file, '# a comment\nFROM_FILE=1\nSPACED=two words\n\nFROM_HOST_VIA_FILE\n');
    const r = await tgt.ok([
      'run', '--rm', '-e', 'FOO=bar', '-e', 'EMPTY=', '-e', 'PASSED', '-e', 'UNSET_ON_HOST', '--env-file', file,
      'busybox', 'env',
    ], { env: { PASSED: 'from-host', FROM_HOST_VIA_FILE: 'hv', UNSET_ON_HOST: undefined } });
    const env = lines(r.stdout);
    const id = env.find((l) => l.startsWith('HOSTNAME='));
    assert.match(id ?? '', /^HOSTNAME=[0-9a-f]{12}$/);
    for (const want of [DEFAULT_PATH, 'HOME=/root', 'FOO=bar', 'EMPTY=', 'PASSED=from-host', 'FROM_FILE=1',
      'SPACED=two words', 'FROM_HOST_VIA_FILE=hv']) {
      assert.ok(env.includes(want), `${want} in ${JSON.stringify(env)}`);
    }
    assert.ok(!env.some((l) => l.startsWith('UNSET_ON_HOST')), 'a name unset on the host is left out');
  });

  s.test('-w sets the working dir and creates a missing one', async (tgt) => {
    assert.equal((await tgt.ok(['run', '--rm', '-w', '/tmp', 'busybox', 'pwd'])).stdout, '/tmp\n');
    // dockerd creates a missing working dir (owned by the container's user) instead of failing.
    const r = await tgt.ok(['run', '--rm', '-w', '/nonexist/deep', 'busybox', 'sh', '-c', 'pwd; stat -c %F /nonexist/deep']);
    assert.equal(r.stdout, '/nonexist/deep\ndirectory\n');
  });

  s.test('-u by name and by uid:gid', async (tgt) => {
    const nobody = await tgt.ok(['run', '--rm', '-u', 'nobody', 'busybox', 'sh', '-c', 'id; echo $HOME']);
    assert.match(nobody.stdout, /^uid=65534\(nobody\) gid=65534\(\w+\) groups=65534\(\w+\)\n\/home\n$/);
    const num = await tgt.ok(['run', '--rm', '-u', '1000:1000', 'busybox', 'id']);
    assert.equal(num.stdout, 'uid=1000 gid=1000 groups=1000\n');
    const root = await tgt.ok(['run', '--rm', 'busybox', 'id', '-u']);
    assert.equal(root.stdout, '0\n');
  });

  s.test('--entrypoint replaces the entrypoint, args follow it', async (tgt) => {
    assert.equal((await tgt.ok(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'a', 'b'])).stdout, 'a b\n');
    const cfg = await tgt.ok(['create', '--name', 'ep', '--entrypoint', '/bin/echo', 'busybox', 'x']);
    assert.match(cfg.stdout, /^[0-9a-f]{64}\n$/);
    assert.equal((await tgt.ok(['inspect', '-f', '{{json .Config.Entrypoint}} {{json .Config.Cmd}}', 'ep'])).stdout,
      '["/bin/echo"] ["x"]\n');
  });

  s.test('-h sets the hostname', async (tgt) => {
    const r = await tgt.ok(['run', '--rm', '-h', 'myhost', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname']);
    assert.equal(r.stdout, 'myhost\nmyhost\n');
  });

  s.test('--network none has only loopback', async (tgt) => {
    const r = await tgt.ok(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'cat /proc/net/dev; echo ---; ip -o addr']);
    const [dev, addrs] = r.stdout.split('---\n');
    assert.deepEqual(interfaces(dev), ['lo']);
    // "1: lo    inet 127.0.0.1/8 ..." and the ::1 line: loopback addresses only.
    const ifaces = lines(addrs).map((l) => l.split(/\s+/)[1]);
    assert.ok(ifaces.length > 0 && ifaces.every((i) => i === 'lo'), addrs);
    assert.match(addrs, /inet 127\.0\.0\.1\/8/);
  });

  s.test('--network host sees the host interfaces', async (tgt) => {
    // Other daemons' veths and bridges come and go on this machine while the
    // test runs: the container must see every interface the host had both
    // before and after its run, and none the host had at neither moment.
    const before = interfaces(readFileSync('/proc/net/dev', 'utf8'));
    const r = await tgt.ok(['run', '--rm', '--network', 'host', 'busybox', 'cat', '/proc/net/dev']);
    const after = interfaces(readFileSync('/proc/net/dev', 'utf8'));
    const seen = new Set(interfaces(r.stdout));
    const always = before.filter((n) => after.includes(n));
    assert.deepEqual(always.filter((n) => !seen.has(n)), [], 'host interfaces missing in the container');
    assert.deepEqual([...seen].filter((n) => !before.includes(n) && !after.includes(n)), [], 'interfaces the host never had');
    assert.ok(always.length > 1, 'the host has more than lo');
  });

  s.test('-t gives a terminal: CRLF output, stderr merged', async (tgt) => {
    const r = await tgt.ok(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'echo out; echo err >&2; [ -t 1 ] && echo tty']);
    assert.equal(r.stdout, 'out\r\nerr\r\ntty\r\n');
    assert.equal(r.stderr, '');
    const logs = await tgt.ok(['run', '-d', '-t', '--name', 'tty', 'busybox', 'sh', '-c', 'echo a; echo b >&2']);
    assert.match(logs.stdout, /^[0-9a-f]{64}\n$/);
    await tgt.ok(['wait', 'tty']);
    const l = await tgt.ok(['logs', 'tty']);
    assert.equal(l.stdout, 'a\r\nb\r\n');
    assert.equal(l.stderr, '');
  });

  s.test('--rm removes the container after it exits, also detached', async (tgt) => {
    await tgt.fails(['run', '--rm', '--name', 'gone1', 'busybox', 'sh', '-c', 'exit 2'], 2);
    await tgt.ok(['run', '-d', '--rm', '--name', 'gone2', 'busybox', 'sh', '-c', 'sleep 1']);
    assert.match((await tgt.ok(['ps', '--format', '{{.Names}}'])).stdout, /^gone2$/m);
    await waitFor(async () => (await tgt.ok(['ps', '-a', '-q'])).stdout === '', 'gone2 removed');
    await tgt.fails(['inspect', 'gone1'], 1);
  });
});
