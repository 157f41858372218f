// system df's arithmetic: dockerd's per-kind summaries (core/disk-usage.ts),
// the docker CLI's own figures and percentages (cli/format/disk-usage.ts),
// the wire shape per API version (api/shapes/disk-usage.ts), and the
// engine asking only for the kinds requested (engine/disk-usage.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildCacheSummary, containersSummary, imagesSummary, volumesSummary, type BuildCacheItem, type DiskUsage,
} from '../../../src/core/disk-usage.ts';
import type { VolumeUsage } from '../../../src/core/volume.ts';
import { diskUsageKinds, toDiskUsage } from '../../../src/api/shapes/disk-usage.ts';
import { summaryContext, summaryRows, sortBuildCache } from '../../../src/cli/format/disk-usage.ts';
import { DiskUsageEngine } from '../../../src/engine/disk-usage.ts';
import { makeImage, makeView } from '../api/fakes.ts';

const MB = 1_000_000;
const busybox = makeImage({ id: 'sha256:' + 'b'.repeat(64), size: 2 * MB, tags: ['busybox:latest'] });
const app = makeImage({ id: 'sha256:' + 'a'.repeat(64), size: 3 * MB, tags: ['app:1'] });
const view = (id: string, status: 'running' | 'exited' | 'paused' | 'created', sizeRw: number, imageId = busybox.id) => {
  const v = makeView({ id: id.repeat(64), name: id });
  v.state = { ...v.state, status };
  v.imageId = imageId;
  v.sizeRw = sizeRw;
  return v;
};
const vol = (name: string, size: number, refCount: number) => ({ name, size, refCount } as VolumeUsage);
const cache = (id: string, size: number, inUse = false, shared = false): BuildCacheItem => ({
  id, type: 'exec.cachemount', description: '', inUse, shared, size, createdAt: '2026-01-01T00:00:00Z', lastUsedAt: null, usageCount: 1,
});

test("dockerd's summaries: images reclaim what unused images hold alone; containers, volumes, cache", () => {
  // The worked example of core/disk-usage.ts: busybox's 2 MB layer is app's too.
  const images = { layersSize: 3 * MB, items: [{ image: busybox, sharedSize: 2 * MB, containers: 0 }, { image: app, sharedSize: 2 * MB, containers: 1 }] };
  assert.deepEqual(imagesSummary(images), { activeCount: 1, totalCount: 2, totalSize: 3 * MB, reclaimable: 0 });
  images.items[1]!.containers = 0;
  assert.deepEqual(imagesSummary(images), { activeCount: 0, totalCount: 2, totalSize: 3 * MB, reclaimable: MB });

  const cs = [view('a', 'running', 10), view('b', 'exited', 100), view('c', 'paused', 1000), view('d', 'created', 0)];
  assert.deepEqual(containersSummary(cs), { activeCount: 2, totalCount: 4, totalSize: 1110, reclaimable: 100 });
  // A volume whose size cannot be measured counts as active and adds nothing.
  assert.deepEqual(volumesSummary([vol('x', 500, 0), vol('y', 700, 2), vol('z', -1, 0)]), { activeCount: 2, totalCount: 3, totalSize: 1200, reclaimable: 500 });
  assert.deepEqual(buildCacheSummary([cache('1', 10), cache('2', 20, true), cache('3', 40, false, true)]), { activeCount: 1, totalCount: 3, totalSize: 30, reclaimable: 10 });
});

test("the docker CLI's figures: reclaimable images = LayersSize - what used images hold alone, Go's integer percentages", () => {
  const rows = summaryRows({
    LayersSize: 3 * MB,
    Images: [
      { Id: busybox.id, Created: 0, Size: 2 * MB, SharedSize: 2 * MB, Containers: 3 },
      { Id: app.id, Created: 0, Size: 3 * MB, SharedSize: 2 * MB, Containers: 1 },
      // Unknown sizes (-1) are left out, as docker's CLI leaves them.
      { Id: 'sha256:' + 'c'.repeat(64), Created: 0, Size: -1, SharedSize: -1, Containers: 2 },
    ],
    Containers: [
      { Id: 'a', Names: [], Image: '', ImageID: '', Command: '', Created: 0, State: 'running', Status: '', SizeRw: 200_000 },
      { Id: 'b', Names: [], Image: '', ImageID: '', Command: '', Created: 0, State: 'exited', Status: '', SizeRw: 1_500_000 },
      { Id: 'c', Names: [], Image: '', ImageID: '', Command: '', Created: 0, State: 'created', Status: '' },
    ],
    Volumes: [
      { Name: 'u', Driver: 'local', Mountpoint: '', Scope: 'local', UsageData: { Size: 102_400, RefCount: 1 } },
      { Name: 'i', Driver: 'local', Mountpoint: '', Scope: 'local', UsageData: { Size: 3, RefCount: 0 } },
      { Name: 'n', Driver: 'local', Mountpoint: '', Scope: 'local', UsageData: { Size: -1, RefCount: 0 } },
    ],
    BuildCache: [
      { ID: '1', Type: 'regular', InUse: true, Shared: false, Size: 5000, CreatedAt: '', UsageCount: 1 },
      { ID: '2', Type: 'regular', InUse: false, Shared: false, Size: 15000, CreatedAt: '', UsageCount: 1 },
      { ID: '3', Type: 'regular', InUse: false, Shared: true, Size: 1_000_000, CreatedAt: '', UsageCount: 1 },
    ],
  });
  assert.deepEqual(rows.map((r) => { const c = summaryContext(r); return [c.Type, c.TotalCount, c.Active, c.Size, c.Reclaimable]; }), [
    ['Images', '3', '3', '3MB', '2MB (66%)'],
    ['Containers', '3', '1', '1.7MB', '1.5MB (88%)'],
    ['Local Volumes', '3', '1', '102.4kB', '3B (0%)'],
    ['Build Cache', '3', '1', '20kB', '15kB'],
  ]);
  // Nothing at all: no percentage without a size.
  assert.deepEqual(summaryRows({}).map((r) => summaryContext(r).Reclaimable), ['0B', '0B', '0B', '0B']);
});

test("build cache rows: never used first, then the most recently used, else as listed (docker's buildCacheSort)", () => {
  const rec = (ID: string, LastUsedAt: string | null) => ({ ID, Type: 't', InUse: false, Shared: false, Size: 0, CreatedAt: '', UsageCount: 0, LastUsedAt });
  const sorted = sortBuildCache([rec('old', '2026-01-01T00:00:00Z'), rec('never1', null), rec('new', '2026-02-01T00:00:00Z'), rec('never2', null), rec('old2', '2026-01-01T00:00:00Z')]);
  assert.deepEqual(sorted.map((r) => r.ID), ['never1', 'never2', 'new', 'old', 'old2']);
});

test('the wire shape per API version: legacy lists before 1.52, both after unless verbose, only the kinds asked', () => {
  const du: DiskUsage = {
    images: { layersSize: 3 * MB, items: [{ image: app, sharedSize: 2 * MB, containers: 1 }] },
    containers: [view('a', 'exited', 7, app.id)],
    volumes: [{ ...vol('v', 9, 0), driver: 'local', mountpoint: '/m', labels: {}, options: {}, scope: 'local', createdAt: '2026-01-01T00:00:00Z' } as VolumeUsage],
    buildCache: [],
  };
  const v141 = toDiskUsage(du, '1.41', false);
  assert.deepEqual(Object.keys(v141), ['LayersSize', 'Images', 'Containers', 'Volumes', 'BuildCache']);
  const img = (v141.Images as Array<Record<string, unknown>>)[0]!;
  assert.deepEqual([img.Size, img.SharedSize, img.Containers, img.VirtualSize], [3 * MB, 2 * MB, 1, 3 * MB]);
  assert.equal((v141.Containers as Array<Record<string, unknown>>)[0]!.SizeRw, 7);
  assert.deepEqual((v141.Volumes as Array<Record<string, unknown>>)[0]!.UsageData, { Size: 9, RefCount: 0 });
  assert.ok(!('VirtualSize' in (toDiskUsage(du, '1.44', false).Images as Array<Record<string, unknown>>)[0]!));

  const v152 = toDiskUsage(du, '1.52', false);
  assert.deepEqual(Object.keys(v152), ['LayersSize', 'Images', 'Containers', 'Volumes', 'BuildCache', 'ImageUsage', 'ContainerUsage', 'VolumeUsage', 'BuildCacheUsage']);
  const { Items, ...cu } = v152.ContainerUsage as Record<string, unknown>;
  assert.deepEqual(cu, { ActiveCount: 0, TotalCount: 1, Reclaimable: 7, TotalSize: 7 });
  assert.equal((Items as unknown[]).length, 1);
  assert.deepEqual(Object.keys(toDiskUsage(du, '1.52', true)), ['ImageUsage', 'ContainerUsage', 'VolumeUsage', 'BuildCacheUsage']);
  // Only what was computed is sent.
  assert.deepEqual(Object.keys(toDiskUsage({ volumes: [] }, '1.52', false)), ['Volumes', 'VolumeUsage']);
  // A LayersSize of 0 is left out (omitempty).
  assert.deepEqual(Object.keys(toDiskUsage({ images: { layersSize: 0, items: [] } }, '1.41', false)), ['Images']);
});

test('type: every kind before 1.42 or without it; an unknown one is a 400', () => {
  assert.deepEqual([...diskUsageKinds([], '1.52')].sort(), ['build-cache', 'container', 'image', 'volume']);
  assert.deepEqual([...diskUsageKinds(['volume'], '1.41')].sort(), ['build-cache', 'container', 'image', 'volume']);
  assert.deepEqual([...diskUsageKinds(['volume', 'image', 'volume'], '1.42')], ['volume', 'image']);
  assert.throws(() => diskUsageKinds(['layers'], '1.42'), /unknown object type: layers/);
});

test('the engine asks only for the kinds requested; image counts come from every container', async () => {
  const asked: string[] = [];
  const engine = new DiskUsageEngine({
    containers: { list: async (o) => { asked.push(`containers size=${o.size}`); return [view('a', 'exited', 5, app.id), view('b', 'running', 0, app.id)]; } },
    images: { diskUsage: async (count) => { asked.push('images'); return { layersSize: 1, items: [{ image: app, sharedSize: 0, containers: count(app.id) }] }; } },
    volumes: { usage: async () => { asked.push('volumes'); return []; } },
    buildCache: async () => { asked.push('cache'); return [cache('x', 1)]; },
  });
  const imagesOnly = await engine.usage(new Set(['image']));
  assert.deepEqual(asked, ['containers size=false', 'images']);
  assert.deepEqual(Object.keys(imagesOnly), ['images']);
  assert.equal(imagesOnly.images!.items[0]!.containers, 2);
  asked.length = 0;
  const all = await engine.usage(new Set(['container', 'image', 'volume', 'build-cache']));
  assert.deepEqual(asked.sort(), ['cache', 'containers size=true', 'images', 'volumes']);
  assert.equal(all.containers!.length, 2);
  assert.equal(all.buildCache!.length, 1);
});
