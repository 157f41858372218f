// Which of berthd's image names its registry listener serves (engine-store.ts):
// Docker Hub images under their familiar names, other registries' images under
// "host/path" (a dotted host is a valid first path component), and an image
// tagged for a registry with a port ("127.0.0.1:5000/team/app") not at all,
// since a colon is no part of a repository name (distribution spec): it is
// left out of the catalog and its lookups answer "unknown", never an error.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, test } from 'node:test';
import type { ImageRow } from '../../../src/stores/metadata/images.ts';
import { FileContentStore } from '../../../src/stores/content.ts';
import { EngineStore } from '../../../src/registry/engine-store.ts';

const dir = mkdtempSync(`${tmpdir()}/berth-engine-names-`);
after(() => rmSync(dir, { recursive: true, force: true }));

const id = `sha256:${'a'.repeat(64)}`;
const tags = [
  'docker.io/library/busybox:latest',
  'docker.io/team/app:v1',
  'registry.example.com/app:1',
  '127.0.0.1:5000/team/app:v2',
  'localhost:5000/app:latest',
];
const digests = [`127.0.0.1:5000/team/app@sha256:${'b'.repeat(64)}`, `docker.io/team/app@sha256:${'c'.repeat(64)}`];

test('port-named registries are not served; the other names are, under their familiar form', () => {
  const store = new EngineStore({
    get: () => undefined as ImageRow | undefined,
    tagTarget: (ref: string) => (tags.includes(ref) ? id : undefined),
    allTags: () => tags.map((reference) => ({ reference, imageId: id })),
    allDigests: () => digests.map((reference) => ({ reference, imageId: id })),
  }, new FileContentStore(`${dir}/content`));
  assert.deepEqual(store.repos('', -1), ['busybox', 'registry.example.com/app', 'team/app']);
  assert.deepEqual(store.tags('team/app', '', -1), ['v1'], 'the port-named team/app:v2 is not docker.io/team/app');
  assert.equal(store.repoExists('127.0.0.1:5000/team/app'), false);
  assert.equal(store.repoExists('localhost:5000/app'), false);
  assert.equal(store.tag('127.0.0.1:5000/team/app', 'v2'), null);
});
