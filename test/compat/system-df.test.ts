// docker system df: the summary table's figures (images' layers counted once
// and reclaimable as the docker CLI computes it, containers' writable layers,
// volumes' contents and links, build cache), -v's tables, the API's legacy
// shape (LayersSize, Images with Containers and SharedSize, Containers with
// SizeRw / SizeRootFs, Volumes with UsageData), docker-py's df(); berth's CLI
// printing what the docker CLI prints on the same daemon. Checked against
// dockerd 20.10 (API 1.41); the 1.42+ `type` parameter and 1.52's shape are
// berthd's alone (that dockerd predates them).

import assert from 'node:assert/strict';
import { BERTH, DOCKER_CLI, run } from '../helpers/daemon.ts';
import { apiRequest } from '../helpers/api.ts';
import { humanSize } from '../../src/cli/format/units.ts';
import { compatSuite, lines, type CompatTarget } from './target.ts';

const hasDockerPy = (await run('python3', ['-c', 'import docker'])).code === 0;

/** Table rows as cells, with the times (which move while the test runs) blanked. */
function cells(out: string): string[][] {
  return lines(out).map((l) => l
    .replace(/(Less than a second|About an? \w+|\d+ \w+) ago/g, 'T ago')
    .replace(/Up (Less than a second|About an? \w+|\d+ \w+)/g, 'Up T')
    .split(/ {2,}/));
}

async function api(tgt: CompatTarget, path: string): Promise<{ status: number; json: any }> {
  const r = await apiRequest(tgt.daemon.socket, 'GET', path);
  return { status: r.status, json: JSON.parse(r.body) };
}

/** Two images sharing busybox's layer, five containers, two volumes; returns busybox's size. */
async function populate(tgt: CompatTarget): Promise<number> {
  await tgt.ok(['run', '--name', 'big', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/big bs=1000 count=1000 2>/dev/null']);
  await tgt.ok(['run', '--name', 'mk', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/app bs=1000 count=500 2>/dev/null']);
  await tgt.ok(['commit', 'mk', 'df-app:1']);
  await tgt.ok(['run', '-d', '--name', 'up', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/up bs=1000 count=200 2>/dev/null; exec sleep 300']);
  await tgt.ok(['create', '--name', 'fresh', 'df-app:1', 'true']);
  await tgt.ok(['volume', 'create', 'df-used']);
  await tgt.ok(['volume', 'create', 'df-idle']);
  await tgt.ok(['run', '--name', 'vol', '-v', 'df-used:/v', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/v/z bs=1024 count=100 2>/dev/null']);
  // The running container's write is done once its layer holds it.
  for (let i = 0; i < 100; i++) {
    const c = (await api(tgt, '/v1.41/containers/json?size=1&filters=%7B%22name%22%3A%5B%22up%22%5D%7D')).json;
    if (c[0]?.SizeRw === 200_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return Number((await tgt.ok(['image', 'inspect', '-f', '{{.Size}}', 'busybox'])).stdout.trim());
}

async function cleanup(tgt: CompatTarget): Promise<void> {
  await tgt.ok(['rm', '-f', 'big', 'mk', 'up', 'fresh', 'vol']);
  await tgt.ok(['volume', 'rm', 'df-used', 'df-idle']);
  await tgt.ok(['rmi', 'df-app:1']);
}

compatSuite('system df', (s) => {
  s.test('the summary, -v, the API and berth system df printing what docker prints', async (tgt) => {
    const bb = await populate(tgt);
    const r = await tgt.ok(['system', 'df']);
    const pct = (part: number, whole: number) => `${humanSize(part, 4)} (${Math.trunc((part * 100) / whole)}%)`;
    // Both images have containers; what they hold alone is df-app's 500 kB, so busybox's layer is "reclaimable".
    assert.deepEqual(cells(r.stdout), [
      ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
      ['Images', '2', '2', humanSize(bb + 500_000, 4), pct(bb, bb + 500_000)],
      ['Containers', '5', '1', '1.7MB', '1.5MB (88%)'],
      ['Local Volumes', '2', '1', '102.4kB', '0B (0%)'],
      ['Build Cache', '0', '0', '0B', '0B'],
    ]);

    const v = cells((await tgt.ok(['system', 'df', '-v'])).stdout);
    const at = (title: string) => v.findIndex((row) => row[0] === title);
    assert.deepEqual(v[at('Images space usage:') + 1], ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS']);
    const images = v.slice(at('Images space usage:') + 2, at('Containers space usage:'));
    assert.deepEqual(images.map((row) => [row[0], row[1], row[5], row[6], row[7]]).sort(), [
      ['busybox', 'latest', humanSize(bb, 4), '0B', '4'],
      ['df-app', '1', humanSize(bb, 4), '500kB', '1'],
    ]);
    const ctrs = v.slice(at('Containers space usage:') + 2, at('Local Volumes space usage:'));
    assert.deepEqual(ctrs.map((row) => [row.at(-1), row[3], row[4]]).sort(), [
      ['big', '0', '1MB'], ['fresh', '0', '0B'], ['mk', '0', '500kB'], ['up', '0', '200kB'], ['vol', '1', '0B'],
    ]);
    assert.deepEqual(v[at('Local Volumes space usage:') + 1], ['VOLUME NAME', 'LINKS', 'SIZE']);
    assert.deepEqual(v.slice(at('Local Volumes space usage:') + 2, at('Build cache usage: 0B')).sort(), [
      ['df-idle', '0', '0B'], ['df-used', '1', '102.4kB'],
    ]);
    assert.deepEqual(v.slice(at('Build cache usage: 0B') + 1), [['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED']]);

    // The legacy shape every client before 1.52 reads.
    const du = (await api(tgt, '/v1.41/system/df')).json;
    assert.equal(du.LayersSize, bb + 500_000);
    const app = du.Images.find((i: any) => i.RepoTags?.includes('df-app:1'));
    assert.deepEqual([app.Size, app.SharedSize, app.Containers], [bb + 500_000, bb, 1]);
    const big = du.Containers.find((c: any) => c.Names[0] === '/big');
    assert.deepEqual([big.SizeRw, big.SizeRootFs, big.State], [1_000_000, bb + 1_000_000, 'exited']);
    assert.ok(!('SizeRw' in du.Containers.find((c: any) => c.Names[0] === '/fresh')), 'SizeRw 0 is left out, as dockerd does');
    assert.deepEqual(du.Volumes.map((x: any) => [x.Name, x.UsageData]).sort(), [
      ['df-idle', { Size: 0, RefCount: 0 }], ['df-used', { Size: 102_400, RefCount: 1 }],
    ]);

    // berth's CLI against the same daemon prints what docker's prints.
    const env = { ...process.env, ...tgt.daemon.env };
    for (const args of [['system', 'df'], ['system', 'df', '-v'], ['system', 'df', '--format', 'json'],
      ['system', 'df', '--format', '{{.Type}}: {{.Reclaimable}}'], ['system', 'df', '-v', '--format', '{{json .Volumes}}']]) {
      const [d, b] = await Promise.all([run(DOCKER_CLI, args, { env }), run(BERTH, args, { env })]);
      assert.equal(b.code, 0, b.stderr);
      // Sorted: dockerd lists volumes in no set order from one call to the next.
      assert.deepEqual(cells(b.stdout).sort(), cells(d.stdout).sort(), args.join(' '));
    }
    await cleanup(tgt);
  });

  s.test("docker-py's df()", async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    await tgt.ok(['run', '--name', 'pydf', '--label', 'k=v', 'busybox', 'sh', '-c', 'echo 12345 > /f']);
    const r = await run('python3', ['-c', `
import json, os, docker
c = docker.DockerClient(base_url=os.environ['DOCKER_HOST'])
df = c.df()
ctr = [x for x in df['Containers'] if x['Names'] == ['/pydf']][0]
bb = [x for x in df['Images'] if 'busybox:latest' in (x['RepoTags'] or [])][0]
print(json.dumps({'keys': sorted(k for k in df if k in ('LayersSize', 'Images', 'Containers', 'Volumes', 'BuildCache')),
  'sizeRw': ctr['SizeRw'], 'labels': ctr['Labels'], 'containers': bb['Containers'], 'layers': df['LayersSize'] >= bb['Size']}))
`], { env: { ...process.env, ...tgt.daemon.env } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      keys: ['BuildCache', 'Containers', 'Images', 'LayersSize', 'Volumes'], sizeRw: 6, labels: { k: 'v' }, containers: 1, layers: true,
    });
    await tgt.ok(['rm', 'pydf']);
  });

  s.test('type (API 1.42+) and the 1.52 shape: counts, sizes, reclaimable, items; verbose drops the legacy fields', async (tgt) => {
    const bb = await populate(tgt);
    const only = (await api(tgt, '/v1.52/system/df?type=volume&type=container')).json;
    assert.deepEqual(Object.keys(only).sort(), ['ContainerUsage', 'Containers', 'VolumeUsage', 'Volumes']);
    const { Items: ci, ...cu } = only.ContainerUsage;
    assert.deepEqual(cu, { ActiveCount: 1, TotalCount: 5, Reclaimable: 1_500_000, TotalSize: 1_700_000 });
    assert.equal(ci.length, 5);
    const { Items: vi, ...vu } = only.VolumeUsage;
    assert.deepEqual(vu, { ActiveCount: 1, TotalCount: 2, Reclaimable: 0, TotalSize: 102_400 });
    assert.equal(vi.length, 2);
    const verbose = (await api(tgt, '/v1.52/system/df?type=image&verbose=1')).json;
    assert.deepEqual(Object.keys(verbose), ['ImageUsage']);
    const { Items: ii, ...iu } = verbose.ImageUsage;
    // dockerd 1.52's reclaimable: what unused images hold alone (none is unused here).
    assert.deepEqual(iu, { ActiveCount: 2, TotalCount: 2, Reclaimable: 0, TotalSize: bb + 500_000 });
    assert.equal(ii.length, 2);
    await tgt.ok(['rm', 'fresh']);
    const after = (await api(tgt, '/v1.52/system/df?type=image')).json.ImageUsage;
    assert.deepEqual([after.ActiveCount, after.Reclaimable], [1, 500_000]);
    const bad = await api(tgt, '/v1.52/system/df?type=layers');
    assert.deepEqual([bad.status, bad.json.message], [400, 'unknown object type: layers']);
    // Before 1.42 `type` is not read: everything comes back.
    const old = (await api(tgt, '/v1.41/system/df?type=volume')).json;
    assert.deepEqual(Object.keys(old).sort(), ['BuildCache', 'Containers', 'Images', 'LayersSize', 'Volumes']);
    await tgt.ok(['rm', '-f', 'big', 'mk', 'up', 'vol']);
    await tgt.ok(['volume', 'rm', 'df-used', 'df-idle']);
    await tgt.ok(['rmi', 'df-app:1']);
  }, { only: 'berthd' });

  s.test("a build's cache mount is build cache until builder prune", async (tgt) => {
    const dir = tgt.tmpDir('cache-mount');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/Dockerfile`, 'FROM busybox\nRUN --mount=type=cache,target=/c dd if=/dev/zero of=/c/x bs=1000 count=20 2>/dev/null\n');
    await tgt.ok(['build', '-q', '-t', 'df-cache:1', dir]);
    const rows = cells((await tgt.ok(['system', 'df'])).stdout);
    assert.deepEqual(rows.at(-1), ['Build Cache', '1', '0', '20kB', '20kB']);
    const v = cells((await tgt.ok(['system', 'df', '-v'])).stdout);
    const i = v.findIndex((row) => row[0] === 'Build cache usage: 20kB');
    assert.ok(i > 0, JSON.stringify(v));
    assert.match(v[i + 2]![0]!, /^[0-9a-f]{12}$/);
    assert.deepEqual(v[i + 2]!.slice(1, 3), ['exec.cachemount', '20kB']);
    await tgt.ok(['builder', 'prune', '-f']);
    assert.deepEqual(cells((await tgt.ok(['system', 'df'])).stdout).at(-1), ['Build Cache', '0', '0', '0B', '0B']);
    await tgt.ok(['rmi', 'df-cache:1']);
  }, { only: 'berthd' });
});
