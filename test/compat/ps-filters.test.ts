// docker ps: table, -a/-q/--no-trunc/--format, -n/-l, and --filter.

import assert from 'node:assert/strict';
import { type CompatTarget, compatSuite, lines } from './target.ts';

async function names(tgt: CompatTarget, ...args: string[]): Promise<string[]> {
  return lines((await tgt.ok(['ps', ...args, '--format', '{{.Names}}'])).stdout);
}

/** Three containers, newest first in ps: cc (exited 0), bb (created), aa (running, labelled). */
async function threeContainers(tgt: CompatTarget): Promise<Record<string, string>> {
  const aa = (await tgt.ok(['run', '-d', '--name', 'aa', '-l', 'tier=web', '-l', 'flag', 'busybox', 'sleep', '1000'])).stdout.trim();
  const bb = (await tgt.ok(['create', '--name', 'bb', '-l', 'tier=db', 'busybox'])).stdout.trim();
  await tgt.ok(['run', '--name', 'cc', 'busybox', 'true']);
  const cc = (await tgt.ok(['inspect', '-f', '{{.Id}}', 'cc'])).stdout.trim();
  return { aa, bb, cc };
}

compatSuite('ps and filters', (s) => {
  s.test('the default table', async (tgt) => {
    const { aa } = await threeContainers(tgt);
    const out = lines((await tgt.ok(['ps'])).stdout);
    assert.deepEqual(out[0].split(/\s{2,}/), ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']);
    assert.equal(out.length, 2, 'only the running container');
    const row = out[1].split(/\s{2,}/);
    assert.deepEqual([row[0], row[1], row[2], row.at(-1)], [aa.slice(0, 12), 'busybox', '"sleep 1000"', 'aa']);
    assert.match(row[3], /ago$/);
    assert.match(row[4], /^Up /);
  });

  s.test('-a lists every state, newest first', async (tgt) => {
    await threeContainers(tgt);
    const rows = lines((await tgt.ok(['ps', '-a', '--format', '{{.Names}}|{{.Status}}|{{.State}}|{{.Command}}'])).stdout);
    assert.equal(rows.length, 3);
    assert.match(rows[0], /^cc\|Exited \(0\) .*ago\|exited\|"true"$/);
    assert.match(rows[1], /^bb\|Created\|created\|"sh"$/);
    assert.match(rows[2], /^aa\|Up .+\|running\|"sleep 1000"$/);
  });

  s.test('-q, --no-trunc and --format', async (tgt) => {
    const ids = await threeContainers(tgt);
    assert.deepEqual(lines((await tgt.ok(['ps', '-a', '-q'])).stdout), [ids.cc, ids.bb, ids.aa].map((i) => i.slice(0, 12)));
    const quiet = await tgt.ok(['ps', '-a', '-q', '--no-trunc', '--format', '{{.ID}} {{.Names}}']);
    // -q wins over --format (the CLI warns on stderr).
    assert.deepEqual(lines(quiet.stdout), [ids.cc, ids.bb, ids.aa]);
    const formatted = await tgt.ok(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}']);
    assert.deepEqual(lines(formatted.stdout), [`${ids.cc} cc`, `${ids.bb} bb`, `${ids.aa} aa`]);
    const json = JSON.parse(lines((await tgt.ok(['ps', '--format', '{{json .}}'])).stdout)[0]);
    assert.equal(json.Names, 'aa');
    assert.equal(json.Image, 'busybox');
    assert.equal(json.State, 'running');
    assert.match(json.Labels, /tier=web/);
  });

  s.test('-n and -l', async (tgt) => {
    await threeContainers(tgt);
    assert.deepEqual(await names(tgt, '-a', '-n', '2'), ['cc', 'bb']);
    assert.deepEqual(await names(tgt, '-l'), ['cc']);
  });

  s.test('--filter label', async (tgt) => {
    await threeContainers(tgt);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'label=tier'), ['bb', 'aa']);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'label=tier=web'), ['aa']);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'label=flag'), ['aa']);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'label=tier=none'), []);
    // Several label filters must all hold.
    assert.deepEqual(await names(tgt, '-a', '--filter', 'label=tier', '--filter', 'label=flag'), ['aa']);
  });

  s.test('--filter status, exited, name, id, ancestor, before, since', async (tgt) => {
    const ids = await threeContainers(tgt);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'status=created'), ['bb']);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'status=running'), ['aa']);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'status=exited', '--filter', 'status=created'), ['cc', 'bb']);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'exited=0'), ['cc']);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'name=^/a'), ['aa']);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'name=b', '--filter', 'name=c'), ['cc', 'bb']);
    assert.deepEqual(await names(tgt, '-a', '--filter', `id=${ids.bb.slice(0, 8)}`), ['bb']);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'ancestor=busybox'), ['cc', 'bb', 'aa']);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'since=aa'), ['cc', 'bb']);
    assert.deepEqual(await names(tgt, '-a', '--filter', 'before=cc'), ['bb', 'aa']);
    // Without -a the filters still only see running containers.
    assert.deepEqual(await names(tgt, '--filter', 'label=tier'), ['aa']);
  });

  s.test('a bad filter is an error', async (tgt) => {
    const r = await tgt.fails(['ps', '--filter', 'status=bogus'], 1);
    // 20.10 says "Invalid filter 'status=bogus'"; Docker >= 23 "invalid filter 'status=bogus': invalid value for state ...".
    assert.match(r.stderr, /invalid filter 'status=bogus'/i);
  });
});
