// Log drivers: json-file (the default), local, none; --log-opt checks and
// messages; --details; max-size/max-file/compress rotation read back across
// files; the daemon's log-driver and log-opts as the containers' default.

import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type CompatTarget, compatSuite, lines, waitFor } from './target.ts';

const SCRIPT = 'for i in $(seq 1 200); do echo line-$i-xxxxxxxxxxxxxxxxxxxx; sleep 0.01; done';

async function runToEnd(tgt: CompatTarget, args: string[]): Promise<void> {
  await tgt.ok(['run', '-d', ...args]);
  await tgt.ok(['wait', args[args.indexOf('--name') + 1]!]);
}

async function logFiles(tgt: CompatTarget, name: string): Promise<string[]> {
  const logPath = (await tgt.ok(['inspect', '-f', '{{.LogPath}}', name])).stdout.trim();
  const base = basename(logPath);
  return readdirSync(dirname(logPath)).filter((f) => f.startsWith(base)).sort();
}

/** The numbers of "line-N-..." lines, checked to be consecutive and to end at 200. */
function tailNumbers(out: string): number[] {
  const ns = lines(out).map((l) => Number(/^line-(\d+)-/.exec(l)?.[1]));
  assert.ok(ns.length > 0 && ns.every((n) => Number.isInteger(n)), `lines: ${out.slice(0, 200)}`);
  ns.forEach((n, i) => { if (i > 0) assert.equal(n, ns[i - 1]! + 1, `consecutive at ${i}: ${ns.slice(0, i + 1).join(',')}`); });
  assert.equal(ns.at(-1), 200);
  return ns;
}

compatSuite('log-drivers', (s) => {
  s.test('json-file is the default; --details prints the attributes labels/env name, sorted, then a space', async (tgt) => {
    assert.equal((await tgt.ok(['info', '--format', '{{.LoggingDriver}}'])).stdout, 'json-file\n');
    await runToEnd(tgt, ['--name', 'det', '--log-opt', 'labels=foo,missing', '--log-opt', 'env=E2,E1', '--label', 'foo=bar baz',
      '-e', 'E1=x', '-e', 'E2=y', 'busybox', 'sh', '-c', 'echo hi; echo err >&2']);
    const lc = (await tgt.ok(['inspect', '-f', '{{json .HostConfig.LogConfig}}', 'det'])).stdout.trim();
    assert.deepEqual(JSON.parse(lc), { Type: 'json-file', Config: { env: 'E2,E1', labels: 'foo,missing' } });
    const r = await tgt.ok(['logs', '--details', 'det']);
    assert.equal(r.stdout, 'E1=x,E2=y,foo=bar+baz hi\n');
    assert.equal(r.stderr, 'E1=x,E2=y,foo=bar+baz err\n');
    assert.match((await tgt.ok(['logs', '--details', '-t', 'det'])).stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z E1=x,E2=y,foo=bar\+baz hi\n$/);
    await runToEnd(tgt, ['--name', 'plain', 'busybox', 'echo', 'plain']);
    assert.equal((await tgt.ok(['logs', '--details', 'plain'])).stdout, ' plain\n');
    assert.notEqual((await tgt.ok(['inspect', '-f', '{{.LogPath}}', 'plain'])).stdout.trim(), '');
  });

  s.test('none keeps nothing: logs is refused, the container runs as usual', async (tgt) => {
    await runToEnd(tgt, ['--name', 'quiet', '--log-driver', 'none', 'busybox', 'echo', 'hi']);
    const r = await tgt.fails(['logs', 'quiet'], 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Error response from daemon: configured logging driver does not support reading\n$/);
    assert.equal((await tgt.ok(['inspect', '-f', '{{json .HostConfig.LogConfig}} [{{.LogPath}}] {{.State.ExitCode}}', 'quiet'])).stdout,
      '{"Type":"none","Config":{}} [] 0\n');
    // Attached output does not go through the log.
    assert.equal((await tgt.ok(['run', '--rm', '--log-driver', 'none', 'busybox', 'echo', 'attached'])).stdout, 'attached\n');
  });

  s.test('local reads back; inspect shows no LogPath; it takes only its own options', async (tgt) => {
    await runToEnd(tgt, ['--name', 'loc', '--log-driver', 'local', 'busybox', 'sh', '-c', 'echo one; echo two >&2']);
    const r = await tgt.ok(['logs', 'loc']);
    assert.equal(r.stdout, 'one\n');
    assert.equal(r.stderr, 'two\n');
    assert.equal((await tgt.ok(['inspect', '-f', '{{json .HostConfig.LogConfig}} [{{.LogPath}}]', 'loc'])).stdout, '{"Type":"local","Config":{}} []\n');
    const bad = await tgt.fails(['create', '--log-driver', 'local', '--log-opt', 'labels=x', 'busybox'], 1);
    assert.match(bad.stderr, /Error response from daemon: unknown log opt 'labels' for log driver local/);
  });

  s.test('unknown drivers and options are refused at create; bad values when it starts', async (tgt) => {
    const unknown = await tgt.fails(['create', '--log-driver', 'bogus', 'busybox'], 1);
    assert.match(unknown.stderr, /Error response from daemon: error looking up logging plugin bogus: plugin "bogus" not found/);
    const opt = await tgt.fails(['create', '--log-opt', 'foo=bar', 'busybox'], 1);
    assert.match(opt.stderr, /Error response from daemon: unknown log opt 'foo' for json-file log driver/);
    const cases: Array<[string[], string]> = [
      [['--log-opt', 'max-size=abc'], "invalid size: 'abc'"],
      [['--log-opt', 'max-size=0'], 'max-size must be a positive number'],
      [['--log-opt', 'max-size=1k', '--log-opt', 'max-file=0'], 'max-file cannot be less than 1'],
      [['--log-opt', 'compress=maybe'], 'strconv.ParseBool: parsing "maybe": invalid syntax'],
      [['--log-opt', 'compress=true'], 'compress cannot be true when max-file is less than 2 or max-size is not set'],
    ];
    for (const [flags, msg] of cases) {
      const id = (await tgt.ok(['create', ...flags, 'busybox', 'true'])).stdout.trim();
      const r = await tgt.fails(['start', id], 1);
      assert.ok(r.stderr.includes(`Error response from daemon: failed to initialize logging driver: ${msg}`), `${flags.join(' ')}: ${r.stderr}`);
      assert.equal((await tgt.ok(['inspect', '-f', '{{.State.Status}}', id])).stdout, 'created\n');
    }
  });

  s.test('max-size and max-file rotate; logs reads on across the rotated files', async (tgt) => {
    await runToEnd(tgt, ['--name', 'rot', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', SCRIPT]);
    const files = await logFiles(tgt, 'rot');
    assert.ok(files.length >= 2 && files.length <= 3, `files: ${files.join(' ')}`);
    assert.ok(files.slice(1).every((f) => /\.[12]$/.test(f)), `files: ${files.join(' ')}`);
    const kept = tailNumbers((await tgt.ok(['logs', 'rot'])).stdout);
    assert.ok(kept.length < 200 && kept.length > 10, `kept ${kept.length}`);
    assert.deepEqual(tailNumbers((await tgt.ok(['logs', '--tail', '3', 'rot'])).stdout), [198, 199, 200]);
    // More lines than the live file holds: the tail reaches into the rotated ones.
    assert.equal(tailNumbers((await tgt.ok(['logs', '--tail', String(kept.length - 1), 'rot'])).stdout).length, kept.length - 1);
  });

  s.test('a burst far past max-size still leaves about max-file x max-size, running and after the exit', async (tgt) => {
    const burst = 'for i in $(seq 1 200); do echo line-$i-xxxxxxxxxxxxxxxxxxxx; done';
    const sizes = async (name: string) => {
      const logPath = (await tgt.ok(['inspect', '-f', '{{.LogPath}}', name])).stdout.trim();
      const base = basename(logPath);
      return readdirSync(dirname(logPath)).filter((f) => f.startsWith(base)).map((f) => statSync(`${dirname(logPath)}/${f}`).size);
    };
    // The container writes it all within one of berthd's rotation polls, then runs on: cut while it runs.
    await tgt.ok(['run', '-d', '--name', 'burst', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', `${burst}; sleep 1000`]);
    await waitFor(async () => {
      const sz = await sizes('burst');
      return sz.length >= 2 && sz.every((n) => n <= 1024 + 200);
    }, 'the log cut to its limits while the container runs', 10_000);
    let kept = tailNumbers((await tgt.ok(['logs', 'burst'])).stdout);
    assert.ok(kept.length >= 10 && kept.length <= 60, `kept ${kept.length}`);
    // It writes it all and exits: cut at the exit.
    await runToEnd(tgt, ['--name', 'quick', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', burst]);
    await waitFor(async () => (await sizes('quick')).every((n) => n <= 1024 + 200), 'the log cut to its limits after the exit', 10_000);
    assert.ok((await sizes('quick')).length <= 3);
    kept = tailNumbers((await tgt.ok(['logs', 'quick'])).stdout);
    assert.ok(kept.length >= 10 && kept.length <= 60, `kept ${kept.length}`);
  });

  s.test('compress gzips the rotated files, which logs still reads', async (tgt) => {
    await runToEnd(tgt, ['--name', 'gz', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', '--log-opt', 'compress=true', 'busybox', 'sh', '-c', SCRIPT]);
    let files: string[] = [];
    await waitFor(async () => {
      files = await logFiles(tgt, 'gz');
      return files.length >= 2 && files.slice(1).every((f) => f.endsWith('.gz'));
    }, `rotated files gzipped: ${files.join(' ')}`, 10_000);
    assert.ok(files.length <= 3, `files: ${files.join(' ')}`);
    const kept = tailNumbers((await tgt.ok(['logs', 'gz'])).stdout);
    assert.ok(kept.length < 200 && kept.length > 10, `kept ${kept.length}`);
  });
});

compatSuite('log-drivers, daemon default', (s) => {
  s.test("the daemon's log-driver and log-opts apply to containers that name no driver (or the same one)", async (tgt) => {
    assert.equal((await tgt.ok(['info', '--format', '{{.LoggingDriver}}'])).stdout, 'local\n');
    await tgt.ok(['create', '--name', 'x1', 'busybox', 'true']);
    await tgt.ok(['create', '--name', 'x2', '--log-driver', 'json-file', 'busybox', 'true']);
    await tgt.ok(['create', '--name', 'x3', '--log-opt', 'max-file=4', 'busybox', 'true']);
    await tgt.ok(['create', '--name', 'x4', '--log-driver', 'none', 'busybox', 'true']);
    const lc = async (n: string) => JSON.parse((await tgt.ok(['inspect', '-f', '{{json .HostConfig.LogConfig}}', n])).stdout) as unknown;
    assert.deepEqual(await lc('x1'), { Type: 'local', Config: { 'max-file': '2', 'max-size': '2k' } });
    assert.deepEqual(await lc('x2'), { Type: 'json-file', Config: {} });
    assert.deepEqual(await lc('x3'), { Type: 'local', Config: { 'max-file': '4', 'max-size': '2k' } });
    assert.deepEqual(await lc('x4'), { Type: 'none', Config: {} });
    await tgt.ok(['start', 'x1']);
    await tgt.ok(['wait', 'x1']);
    assert.equal((await tgt.ok(['logs', 'x1'])).stdout, '');
  });
}, { daemonConfig: { 'log-driver': 'local', 'log-opts': { 'max-size': '2k', 'max-file': '2' } } });
