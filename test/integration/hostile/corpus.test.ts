// Every case of the hostile corpus (test/helpers/hostile-tars.ts) through
// every path that unpacks a tar someone else wrote: import
// (POST /images/create?fromSrc=-), cp into a container (PUT archive), a
// build context (POST /build), pull (a registry on loopback serving the
// case as a one-layer image) and load (a `docker save` archive whose one
// layer is the case; and archives whose own manifest points outside). For each: no 5xx, a clear error or a safe
// result as the case expects, the host canary and / untouched, no
// privileged xattr on disk, the daemon alive, nothing left in the data root
// or mounted, and the legitimate cases' files right.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { type PrivateDaemon, skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { ping } from '../../helpers/api.ts';
import { mountsUnder } from '../../helpers/mounts.ts';
import { archiveTar, entryTar, hostileCorpus, sha256, type HostileCase, type UnpackPath } from '../../helpers/hostile-tars.ts';
import {
  canaryState, checkFiles, dataRootLeftovers, json, outcome, privilegedXattrs, raw, serveCases,
  saveArchiveOf, snapshotListing, type CaseRegistry, type CanaryState, type Outcome,
} from '../../helpers/hostile-paths.ts';

type Path = UnpackPath;
const PATHS: Path[] = ['import', 'cp', 'build', 'pull', 'load'];
const CORPUS_NAMES = new Set(['xf', 'xd', 'wf', 'evil']);
const DOCKERFILE = 'FROM scratch\nCOPY . /ctx/\n';

describe('hostile corpus through every unpacking path', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  let canary: string;
  let cases: HostileCase[];
  let reg: CaseRegistry;
  let before0: CanaryState;
  let snapshots0: string[];
  let mounts0: number;

  before(async () => {
    canary = fs.mkdtempSync('/tmp/hostile-canary-');
    fs.writeFileSync(`${canary}/victim`, 'victim\n', { mode: 0o600 });
    cases = hostileCorpus({ canary });
    d = await startBerthd();
    reg = await serveCases(cases);
    before0 = canaryState(canary);
    snapshots0 = snapshotListing(d.dataRoot);
    mounts0 = mountsUnder(d.dir).length;
  });
  after(async () => {
    await reg?.close();
    await d?.cleanup();
    if (canary) fs.rmSync(canary, { recursive: true, force: true });
  });

  test('the corpus has 40+ cases, hostile and legitimate', () => {
    assert.ok(cases.length >= 40, `${cases.length} cases`);
    assert.ok(cases.filter((c) => c.expect === 'load').length >= 10);
    assert.ok(cases.filter((c) => c.expect === 'reject').length >= 30);
  });

  /** Sends one case through one path; returns the outcome and, when it loaded, a container to read files from. */
  async function apply(c: HostileCase, path: Path): Promise<{ out: Outcome; container?: string; prefix: string; image?: string }> {
    const tag = `hostile:${path}-${c.name}`;
    if (path === 'import') {
      const r = await raw(d.socket, 'POST', `/images/create?fromSrc=-&repo=hostile&tag=${path}-${c.name}`, c.bytes, { 'content-type': 'application/x-tar' });
      const out = outcome(r);
      if (out.status >= 400 || out.error) return { out, prefix: '' };
      return { out, prefix: '', image: tag, container: await createFrom(tag) };
    }
    if (path === 'load') {
      const r = await raw(d.socket, 'POST', '/images/load?quiet=1', saveArchiveOf(c, tag), { 'content-type': 'application/x-tar' }, 120_000);
      const out = outcome(r);
      if (out.status >= 400 || out.error) return { out, prefix: '' };
      return { out, prefix: '', image: tag, container: await createFrom(tag) };
    }
    if (path === 'pull') {
      const r = await raw(d.socket, 'POST', `/images/create?fromImage=${reg.host}/hostile&tag=${c.name}`);
      const out = outcome(r);
      const image = `${reg.host}/hostile:${c.name}`;
      if (out.status >= 400 || out.error) return { out, prefix: '' };
      return { out, prefix: '', image, container: await createFrom(image) };
    }
    if (path === 'cp') {
      const id = await createFrom('busybox');
      const r = await raw(d.socket, 'PUT', `/containers/${id}/archive?path=/tmp`, c.bytes, { 'content-type': 'application/x-tar' });
      return { out: outcome(r), prefix: '/tmp', container: id };
    }
    const body = c.tar ? Buffer.concat([entryTar('Dockerfile', DOCKERFILE), c.tar]) : c.bytes;
    const r = await raw(d.socket, 'POST', `/build?t=${encodeURIComponent(tag)}&rm=1&forcerm=1`, body, { 'content-type': 'application/x-tar' }, 120_000);
    const out = outcome(r);
    if (out.status >= 400 || out.error || !c.tar) return { out, prefix: '/ctx' };
    return { out, prefix: '/ctx', image: tag, container: await createFrom(tag) };
  }

  async function createFrom(image: string): Promise<string> {
    const r = await raw(d.socket, 'POST', '/containers/create', json({ Image: image, Cmd: ['/none'], HostConfig: { NetworkMode: 'none' } }), { 'content-type': 'application/json' });
    assert.equal(r.status, 201, `create from ${image}: ${r.body}`);
    return (JSON.parse(r.body.toString()) as { Id: string }).Id;
  }

  test('load: an archive whose manifest or entries point at host files is refused, the host file never read', async () => {
    // A valid layer on the host, with the config's diff ID matching it: only the path to it is wrong.
    const hostLayer = archiveTar([{ name: 'secret.txt', body: 'host secret\n' }]);
    const hostPath = `${canary}/host-layer.tar`;
    fs.writeFileSync(hostPath, hostLayer);
    const state0 = canaryState(canary);
    const config = Buffer.from(json({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/none'] }, rootfs: { type: 'layers', diff_ids: [sha256(hostLayer)] } }));
    const climb = `${'../'.repeat(12)}${hostPath.slice(1)}`;
    const archive = (name: string, layer: string, extra: Array<{ name: string; body?: Buffer | string; symlink?: string }> = [], configName = 'c.json') => ({
      name,
      bytes: archiveTar([
        { name: 'manifest.json', body: json([{ Config: configName, RepoTags: [`hostile:load-${name}`], Layers: [layer] }]) },
        { name: 'c.json', body: config },
        ...extra,
      ]),
    });
    const tricks = [
      archive('layer-dotdot', climb),
      archive('layer-absolute', hostPath),
      archive('layer-symlink-entry', 'l/layer.tar', [{ name: 'l/layer.tar', symlink: hostPath }]),
      archive('layer-symlink-dir', 'l/layer.tar', [{ name: 'l', symlink: canary }]),
      archive('config-absolute', 'x/layer.tar', [{ name: 'x/layer.tar', body: hostLayer }], '/etc/passwd'),
      archive('config-dotdot', 'x/layer.tar', [{ name: 'x/layer.tar', body: hostLayer }], `${'../'.repeat(12)}etc/passwd`),
    ];
    const failures: string[] = [];
    for (const t of tricks) {
      const out = outcome(await raw(d.socket, 'POST', '/images/load?quiet=1', t.bytes, { 'content-type': 'application/x-tar' }));
      if (out.status >= 500) failures.push(`${t.name}: ${out.status} ${out.error}`);
      if (out.status < 400 && !out.error) failures.push(`${t.name}: loaded`);
      const img = await raw(d.socket, 'GET', `/images/${encodeURIComponent(`hostile:load-${t.name}`)}/json`);
      if (img.status !== 404) failures.push(`${t.name}: the image exists (${img.status})`);
      console.log(`load ${t.name}: ${out.status} ${out.error}`);
    }
    const state1 = canaryState(canary);
    fs.rmSync(hostPath);
    assert.deepEqual(state1, state0);
    assert.deepEqual(dataRootLeftovers(d.dataRoot), []);
    assert.deepEqual(failures, []);
  });

  for (const path of PATHS) {
    test(`${path}: every case`, async () => {
      const failures: string[] = [];
      const t0 = Date.now();
      for (const c of cases) {
        if (c.skip?.includes(path)) continue;
        // cp takes a tar as sent; build and cp need one that is a tar at all for "load" to mean anything.
        const res = await apply(c, path);
        const where = `${path}/${c.name}`;
        const { out } = res;
        if (out.status >= 500) failures.push(`${where}: ${out.status} ${out.error}`);
        const rejected = out.status >= 400 || out.error !== null;
        const expect = c.expectOn?.[path] ?? c.expect;
        if (expect === 'reject' && !rejected) failures.push(`${where}: loaded, expected a clear error`);
        if (expect === 'load' && rejected) failures.push(`${where}: refused (${out.status} ${out.error}), expected to load`);
        if (rejected && out.status < 500 && !out.error) failures.push(`${where}: ${out.status} without a message`);
        if (!rejected && c.files && res.container && !(path === 'build' && !c.tar)) {
          for (const m of await checkFiles(d.socket, res.container, res.prefix, c.files, c.absent)) failures.push(`${where}: ${m}`);
        }
        for (const x of privilegedXattrs(d.dataRoot, CORPUS_NAMES)) failures.push(`${where}: privileged xattr set: ${x}`);
        if (res.container) {
          const rm = await raw(d.socket, 'DELETE', `/containers/${res.container}?force=1&v=1`);
          if (rm.status !== 204) failures.push(`${where}: rm ${rm.status} ${rm.body}`);
        }
        if (res.image) {
          const rmi = await raw(d.socket, 'DELETE', `/images/${encodeURIComponent(res.image)}?force=1`);
          if (rmi.status !== 200) failures.push(`${where}: rmi ${rmi.status} ${rmi.body}`);
        }
        assert.deepEqual(canaryState(canary), before0, `${where} touched the host (canary ${canary}, / or /tmp)`);
        assert.ok(await ping(d.socket), `${where}: berthd stopped answering`);
        // Some cleanup (a refused build's context) finishes just after the answer.
        let left = dataRootLeftovers(d.dataRoot);
        for (let i = 0; left.length && i < 30; i++) {
          await new Promise((r) => setTimeout(r, 100));
          left = dataRootLeftovers(d.dataRoot);
        }
        for (const l of left) failures.push(`${where}: left ${l}`);
        const mounts = mountsUnder(d.dir).length;
        if (mounts !== mounts0) failures.push(`${where}: ${mounts - mounts0} mounts left`);
        const extra = snapshotListing(d.dataRoot).filter((s) => !snapshots0.includes(s));
        if (extra.length) failures.push(`${where}: snapshots left: ${extra.join(', ')}`);
      }
      console.log(`${path}: ${cases.length} cases in ${Date.now() - t0} ms`);
      assert.deepEqual(failures, []);
    });
  }
});
