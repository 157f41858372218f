// docker system prune: stopped containers, unused networks, with --volumes
// the anonymous volumes, dangling images (with -a every image no container
// uses), build cache; docker's prompt and report sections in its order.
// berth's own CLI beside the docker CLI. Checked against dockerd 20.10
// (whose API 1.41 also prunes named volumes: not asserted here). And
// berth builder prune asks first, like docker's.

import assert from 'node:assert/strict';
import { BERTH, DOCKER_CLI, run } from '../helpers/daemon.ts';
import { compatSuite, lines } from './target.ts';

type Tgt = { ok(a: string[]): Promise<{ stdout: string }> };
const idOf = async (tgt: Tgt, name: string) => (await tgt.ok(['inspect', '-f', '{{.Id}}', name])).stdout.trim();
const names = async (tgt: Tgt) => lines((await tgt.ok(['ps', '-a', '--format', '{{.Names}}'])).stdout).sort();

/** The report's sections: title -> lines, in the order printed; and the total line. */
function sections(out: string): { order: string[]; items: Record<string, string[]>; total: string } {
  const parts = out.split('\n\n');
  const total = parts.pop()!;
  const items: Record<string, string[]> = {};
  const order: string[] = [];
  for (const p of parts) {
    const [title, ...rest] = p.split('\n');
    order.push(title!);
    items[title!] = rest;
  }
  return { order, items, total };
}

const WARN = 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n';
const ASK = '\nAre you sure you want to continue? [y/N] ';

compatSuite('system prune', (s) => {
  s.test('stopped containers and unused networks go; running ones, used networks and volumes stay; the report', async (tgt) => {
    await tgt.ok(['network', 'create', 'pr-used']);
    await tgt.ok(['network', 'create', 'pr-unused']);
    await tgt.ok(['run', '--name', 'done', '-v', '/anon', 'busybox', 'true']);
    await tgt.ok(['create', '--name', 'fresh', 'busybox', 'true']);
    await tgt.ok(['run', '-d', '--name', 'up', '--network', 'pr-used', 'busybox', 'sleep', '300']);
    const gone = [await idOf(tgt, 'done'), await idOf(tgt, 'fresh')].sort();
    const vols = lines((await tgt.ok(['volume', 'ls', '-q'])).stdout);
    assert.equal(vols.length, 1);
    const r = sections((await tgt.ok(['system', 'prune', '-f'])).stdout);
    assert.deepEqual(r.order, ['Deleted Containers:', 'Deleted Networks:']);
    assert.deepEqual(r.items['Deleted Containers:']!.sort(), gone);
    assert.deepEqual(r.items['Deleted Networks:'], ['pr-unused']);
    assert.match(r.total, /^Total reclaimed space: [\d.]+k?B\n$/);
    assert.deepEqual(await names(tgt), ['up']);
    assert.deepEqual(lines((await tgt.ok(['volume', 'ls', '-q'])).stdout), vols);
    assert.deepEqual(lines((await tgt.ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'name=pr-'])).stdout), ['pr-used']);

    // --volumes: the anonymous volume no container uses now goes too.
    const v = sections((await tgt.ok(['system', 'prune', '-f', '--volumes'])).stdout);
    assert.deepEqual(v.order, ['Deleted Volumes:']);
    assert.deepEqual(v.items['Deleted Volumes:'], vols);
    assert.deepEqual(lines((await tgt.ok(['volume', 'ls', '-q'])).stdout), []);
    assert.equal((await tgt.ok(['system', 'prune', '-f'])).stdout, 'Total reclaimed space: 0B\n');
    await tgt.ok(['rm', '-f', 'up']);
  });

  s.test("berth system prune: docker's prompts, no means no, the same report", async (tgt) => {
    const env = { ...process.env, ...tgt.daemon.env };
    await tgt.ok(['create', '--name', 'kept', 'busybox', 'true']);
    for (const flags of [[], ['-a'], ['--volumes'], ['-a', '--volumes']]) {
      const b = await run(BERTH, ['system', 'prune', ...flags], { env, input: 'n\n' });
      const d = await run(DOCKER_CLI, ['system', 'prune', ...flags], { env, input: 'n\n' });
      assert.equal(b.code, 0, b.stderr);
      assert.equal(b.stdout, d.stdout, flags.join(' '));
      assert.ok(b.stdout.startsWith(WARN) && b.stdout.endsWith(ASK), b.stdout);
    }
    for (const flags of [[], ['-a']]) {
      const b = await run(BERTH, ['builder', 'prune', ...flags], { env, input: 'n\n' });
      const d = await run(DOCKER_CLI, ['builder', 'prune', ...flags], { env, input: 'n\n' });
      assert.deepEqual([b.code, b.stdout], [d.code, d.stdout], `builder prune ${flags.join(' ')}`);
    }
    assert.deepEqual(await names(tgt), ['kept']);
    const id = await idOf(tgt, 'kept');
    const yes = await run(BERTH, ['system', 'prune'], { env, input: 'y\n' });
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stdout, new RegExp(`\\[y/N\\] Deleted Containers:\\n${id}\\n\\nTotal reclaimed space: `));
    assert.deepEqual(await names(tgt), []);
  }, { only: 'berthd' });

  s.test('-a: every image no container uses goes, untagged then deleted; images in use stay', async (tgt) => {
    await tgt.ok(['run', '-d', '--name', 'user', 'busybox', 'sleep', '300']);
    await tgt.ok(['run', '--name', 'src', 'busybox', 'sh', '-c', 'echo x > /x']);
    const img = (await tgt.ok(['commit', 'src', 'pr-img:1'])).stdout.trim();
    const r = sections((await tgt.ok(['system', 'prune', '-a', '-f'])).stdout);
    assert.deepEqual(r.order, ['Deleted Containers:', 'Deleted Images:']);
    assert.equal(r.items['Deleted Images:']![0], 'untagged: pr-img:1');
    assert.ok(r.items['Deleted Images:']!.includes(`deleted: ${img}`), r.items['Deleted Images:']!.join('\n'));
    assert.deepEqual(lines((await tgt.ok(['images', '--format', '{{.Repository}}'])).stdout), ['busybox']);
    await tgt.ok(['rm', '-f', 'user']);
  });
}, { network: true });
