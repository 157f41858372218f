// docker push / pull through the daemon to a registry on loopback (berth's
// own `berth registry serve`, and the reference registry when installed):
// progress lines, the digest line, a round trip that runs, and the errors
// for an unknown tag and a registry that is not there.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { after, before } from 'node:test';
import { compatSuite, TARGET } from './target.ts';
import { run } from '../helpers/run.ts';
import { freePort, haveReferenceRegistry, startBerthRegistry, startReferenceRegistry, type RunningRegistry } from '../helpers/registry.ts';

const registries: Record<string, RunningRegistry | null> = { berth: null, reference: null, basic: null, token: null };
const authDir = mkdtempSync(join(tmpdir(), 'berth-compat-auth-'));

before(async () => {
  registries.berth = await startBerthRegistry();
  writeFileSync(join(authDir, 'htpasswd'), `ci:${bcrypt.hashSync('pa55word', 4)}\n`);
  registries.basic = await startBerthRegistry({ args: ['--htpasswd', join(authDir, 'htpasswd')] });
  registries.token = await startBerthRegistry({ args: ['--htpasswd', join(authDir, 'htpasswd'), '--token'] });
  if (haveReferenceRegistry()) registries.reference = await startReferenceRegistry();
});

after(async () => {
  for (const r of Object.values(registries)) await r?.stop();
  rmSync(authDir, { recursive: true, force: true });
});

interface ProxiedRequest { method: string; path: string; contentRange: string; bytes: number; status: number }

/** A proxy in front of a registry that answers 413 to any request body over `limit` bytes, as nginx's client_max_body_size does. */
async function bodyLimitProxy(upstream: RunningRegistry, limit: number): Promise<{ host: string; log: ProxiedRequest[]; stop(): Promise<void> }> {
  const log: ProxiedRequest[] = [];
  const [, port] = upstream.host.split(':');
  const server = http.createServer((req, res) => {
    const entry: ProxiedRequest = { method: req.method!, path: req.url!, contentRange: String(req.headers['content-range'] ?? ''), bytes: 0, status: 0 };
    log.push(entry);
    const refuse = () => {
      entry.status = 413;
      up.destroy();
      req.resume();
      if (!res.headersSent) res.writeHead(413, { Connection: 'close', 'Content-Type': 'text/html' }).end('<html><body>413 Request Entity Too Large</body></html>');
    };
    const up = http.request({ host: '127.0.0.1', port: Number(port), method: req.method, path: req.url, headers: req.headers }, (ur) => {
      entry.status = ur.statusCode!;
      res.writeHead(ur.statusCode!, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    if (Number(req.headers['content-length'] ?? 0) > limit) { refuse(); return; }
    req.on('data', (c: Buffer) => {
      entry.bytes += c.length;
      if (entry.status === 413) return;
      if (entry.bytes > limit) refuse(); else up.write(c);
    });
    req.on('end', () => { if (entry.status !== 413) up.end(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return { host, log, stop: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

interface Descriptor { mediaType: string; size: number; digest: string }

const sha256Of = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function getManifest(reg: RunningRegistry, repo: string, ref: string): Promise<Buffer> {
  const r = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, { headers: { Accept: `${DOCKER_MANIFEST}, ${OCI_MANIFEST}` } });
  assert.equal(r.status, 200, `GET manifest ${repo}:${ref}`);
  return Buffer.from(await r.arrayBuffer());
}

async function getBlob(reg: RunningRegistry, repo: string, digest: string): Promise<Buffer> {
  const r = await fetch(`${reg.url}/v2/${repo}/blobs/${digest}`);
  assert.equal(r.status, 200, `GET blob ${digest}`);
  return Buffer.from(await r.arrayBuffer());
}

async function putBlob(reg: RunningRegistry, repo: string, body: Buffer): Promise<string> {
  const digest = sha256Of(body);
  const r = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(r.status, 201, `monolithic upload of ${digest}: ${await r.text()}`);
  return digest;
}

async function putManifest(reg: RunningRegistry, repo: string, ref: string, mediaType: string, body: Buffer): Promise<string> {
  const r = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body, headers: { 'Content-Type': mediaType } });
  assert.equal(r.status, 201, `PUT manifest ${repo}:${ref}: ${await r.text()}`);
  return r.headers.get('docker-content-digest')!;
}

compatSuite('pull and push', (s) => {
  for (const kind of ['berth', 'reference'] as const) {
    s.test(`push to and pull from the ${kind} registry`, async (tgt, t) => {
      const reg = registries[kind];
      if (!reg) { t.skip('docker-registry is not installed (scripts/setup.sh --dev)'); return; }
      const name = `${reg.host}/compat/busybox:v1`;
      await tgt.ok(['tag', 'busybox', name]);
      const push = await tgt.ok(['push', name]);
      assert.match(push.stdout, new RegExp(`The push refers to repository \\[${reg.host}/compat/busybox\\]`));
      assert.match(push.stdout, /: Pushed|: Layer already exists/);
      const m = /v1: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(push.stdout);
      assert.ok(m, push.stdout);
      // The pushed digest is recorded on the image, as a pull would record it.
      const pushedDigests = await tgt.ok(['image', 'inspect', '-f', '{{json .RepoDigests}}', name]);
      assert.ok(pushedDigests.stdout.includes(`${reg.host}/compat/busybox@${m[1]}`), pushedDigests.stdout);
      // Pushed again: every layer is there already.
      const again = await tgt.ok(['push', name]);
      assert.match(again.stdout, /Layer already exists/);
      await tgt.ok(['rmi', name]);
      const pull = await tgt.ok(['pull', name]);
      assert.match(pull.stdout, /v1: Pulling from compat\/busybox/);
      assert.match(pull.stdout, new RegExp(`Digest: ${m[1]}`));
      assert.match(pull.stdout, new RegExp(`Status: (Downloaded newer image|Image is up to date) for ${reg.host}/compat/busybox:v1`));
      assert.equal(pull.stdout.trim().split('\n').pop(), name);
      const digests = await tgt.ok(['image', 'inspect', '-f', '{{json .RepoDigests}}', name]);
      assert.ok(digests.stdout.includes(`${reg.host}/compat/busybox@${m[1]}`), digests.stdout);
      const r = await tgt.ok(['run', '--rm', name, 'echo', 'pulled']);
      assert.equal(r.stdout, 'pulled\n');
      // By digest.
      await tgt.ok(['rmi', name]);
      const byDigest = await tgt.ok(['pull', `${reg.host}/compat/busybox@${m[1]}`]);
      assert.match(byDigest.stdout, /Pulling from compat\/busybox/);
    });
  }

  for (const kind of ['basic', 'token'] as const) {
    s.test(`login, push and pull with a ${kind === 'basic' ? 'Basic (htpasswd)' : 'Bearer token'} registry, logout`, async (tgt) => {
      const reg = registries[kind]!;
      const name = `${reg.host}/private/busybox:v1`;
      await tgt.ok(['tag', 'busybox', name]);
      const anon = await tgt.docker(['push', name]);
      assert.notEqual(anon.code, 0);
      assert.match(anon.stdout + anon.stderr, /unauthorized|authentication required|no basic auth credentials/i);
      const bad = await tgt.docker(['login', '-u', 'ci', '--password-stdin', reg.host], { input: 'wrong\n' });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /unauthorized|401/i);
      const ok = await tgt.ok(['login', '-u', 'ci', '--password-stdin', reg.host], { input: 'pa55word\n' });
      assert.match(ok.stdout, /Login Succeeded/);
      await tgt.ok(['push', name]);
      await tgt.ok(['rmi', name]);
      const pull = await tgt.ok(['pull', name]);
      assert.match(pull.stdout, /Digest: sha256:/);
      const out = await tgt.ok(['logout', reg.host]);
      assert.match(out.stdout, new RegExp(`Removing login credentials for ${reg.host}`));
      await tgt.ok(['rmi', name]);
    });
  }

  // A tag naming a manifest list or an OCI index: a pull without --platform takes this machine's entry, not the
  // first one (an arm64 image is listed first, whose config differs only in its architecture).
  const oci = (kind: string) => kind === 'OCI index';
  for (const kind of ['manifest list', 'OCI index'] as const) {
    s.test(`a pull with no --platform of a tag that is ${oci(kind) ? 'an' : 'a'} ${kind} picks this platform's manifest`, async (tgt) => {
      const reg = registries.berth!;
      const repo = `compat/multi-${oci(kind) ? 'oci' : 'list'}`;
      const name = `${reg.host}/${repo}`;
      await tgt.ok(['tag', 'busybox', `${name}:single`]);
      await tgt.ok(['push', `${name}:single`]);
      await tgt.ok(['rmi', `${name}:single`]);
      const types = oci(kind)
        ? { index: OCI_INDEX, manifest: OCI_MANIFEST, config: 'application/vnd.oci.image.config.v1+json', layer: 'application/vnd.oci.image.layer.v1.tar+gzip' }
        : { index: DOCKER_LIST, manifest: DOCKER_MANIFEST, config: 'application/vnd.docker.container.image.v1+json', layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip' };
      const single = JSON.parse((await getManifest(reg, repo, 'single')).toString()) as { config: Descriptor; layers: Descriptor[] };
      const hostConfig = await getBlob(reg, repo, single.config.digest);
      const hostArch = (JSON.parse(hostConfig.toString()) as { architecture: string }).architecture;
      const other = hostArch === 'arm64' ? { architecture: 'amd64' } : { architecture: 'arm64', variant: 'v8' };
      const platformManifest = async (config: Buffer) => {
        const configDigest = await putBlob(reg, repo, config);
        const body = Buffer.from(JSON.stringify({
          schemaVersion: 2, mediaType: types.manifest,
          config: { mediaType: types.config, size: config.length, digest: configDigest },
          layers: single.layers.map((l) => ({ mediaType: types.layer, size: l.size, digest: l.digest })),
        }));
        return { body, configDigest, digest: await putManifest(reg, repo, sha256Of(body), types.manifest, body) };
      };
      const mine = await platformManifest(hostConfig);
      const foreign = await platformManifest(Buffer.from(JSON.stringify({ ...JSON.parse(hostConfig.toString()), ...other })));
      const index = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: types.index,
        manifests: [
          { mediaType: types.manifest, size: foreign.body.length, digest: foreign.digest, platform: { os: 'linux', ...other } },
          { mediaType: types.manifest, size: mine.body.length, digest: mine.digest, platform: { os: 'linux', architecture: hostArch } },
        ],
      }));
      const indexDigest = await putManifest(reg, repo, 'multi', types.index, index);
      const pull = await tgt.ok(['pull', `${name}:multi`]);
      // The digest shown and recorded is the index's, as docker pull reports it.
      assert.match(pull.stdout, new RegExp(`Digest: ${indexDigest}`));
      const inspect = await tgt.ok(['image', 'inspect', '-f', '{{.Id}} {{.Architecture}}', `${name}:multi`]);
      assert.equal(inspect.stdout.trim(), `${mine.configDigest} ${hostArch}`);
      assert.equal((await tgt.ok(['run', '--rm', `${name}:multi`, 'echo', 'this-platform'])).stdout, 'this-platform\n');
      await tgt.ok(['rmi', `${name}:multi`]);
    });
  }

  s.test('an unknown tag is a 404 naming the image', async (tgt) => {
    const reg = registries.berth!;
    const r = await tgt.fails(['pull', `${reg.host}/compat/busybox:nope`], 1);
    assert.match(r.stderr, new RegExp(`manifest for ${reg.host}/compat/busybox:nope not found: manifest unknown: manifest unknown`));
  });

  s.test('a registry that is not there fails fast naming it', async (tgt) => {
    const port = await freePort();
    const r = await tgt.fails(['pull', `127.0.0.1:${port}/x/y:z`], 1);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.match(r.stderr, /connection refused/);
  });

  s.test('pull through a pull-through cache (berth registry serve --proxy-upstream)', async (tgt) => {
    const reg = registries.berth!;
    const src = `${reg.host}/upstream/busybox:cached`;
    await tgt.ok(['tag', 'busybox', src]);
    await tgt.ok(['push', src]);
    const cache = await startBerthRegistry({ args: ['--proxy-upstream', reg.url] });
    try {
      const name = `${cache.host}/upstream/busybox:cached`;
      const pull = await tgt.ok(['pull', name]);
      assert.match(pull.stdout, /Digest: sha256:[a-f0-9]{64}/);
      assert.match(pull.stdout, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/upstream\/busybox:cached/);
      assert.equal((await tgt.ok(['run', '--rm', name, 'echo', 'via-cache'])).stdout, 'via-cache\n');
      // Pushing to the cache is refused.
      const push = await tgt.docker(['push', name]);
      assert.notEqual(push.code, 0);
      await tgt.ok(['rmi', name, src]);
    } finally {
      await cache.stop();
    }
  });

  s.test('push and pull every tag of a repository (--all-tags)', async (tgt) => {
    const reg = registries.berth!;
    const repo = `${reg.host}/compat/alltags`;
    await tgt.ok(['tag', 'busybox', `${repo}:one`]);
    await tgt.ok(['tag', 'busybox', `${repo}:two`]);
    const push = await tgt.ok(['push', '--all-tags', repo]);
    assert.match(push.stdout, /one: digest: sha256:[a-f0-9]{64} size: \d+/);
    assert.match(push.stdout, /two: digest: sha256:[a-f0-9]{64} size: \d+/);
    // Other tags of the repository are here, this one is not: an error inside the stream, after its first line.
    const missing = await tgt.fails(['push', `${repo}:three`], 1);
    assert.match(missing.stdout, /The push refers to repository/);
    assert.match(missing.stderr, new RegExp(`tag does not exist: ${repo}:three`));
    await tgt.ok(['rmi', `${repo}:one`, `${repo}:two`]);
    const pull = await tgt.ok(['pull', '--all-tags', repo]);
    assert.match(pull.stdout, /one: Pulling from compat\/alltags\n/);
    assert.match(pull.stdout, /two: Pulling from compat\/alltags\n/);
    assert.equal((pull.stdout.match(/Digest: sha256:[a-f0-9]{64}/g) ?? []).length, 2, pull.stdout);
    assert.match(pull.stdout, new RegExp(`Status: Downloaded newer image for ${repo}\n`));
    assert.equal(pull.stdout.trim().split('\n').pop(), repo);
    const tags = await tgt.ok(['images', '--format', '{{.Tag}}', repo]);
    assert.deepEqual(tags.stdout.trim().split('\n').sort(), ['one', 'two']);
    const again = await tgt.ok(['pull', '-a', repo]);
    assert.match(again.stdout, new RegExp(`Status: Image is up to date for ${repo}\n`));
    const withTag = await tgt.fails(['pull', '-a', `${repo}:one`], 1);
    assert.match(withTag.stderr, /tag can't be used with --all-tags\/-a/);
    const unknown = await tgt.fails(['pull', '-a', `${reg.host}/compat/nothere`], 1);
    assert.match(unknown.stderr, new RegExp(`repository ${reg.host}/compat/nothere not found: name unknown`));
    await tgt.ok(['rmi', `${repo}:one`, `${repo}:two`]);
  });

  s.test('a registry that refuses request bodies over 1 MiB (413): the layer goes in chunks', async (tgt) => {
    const proxy = await bodyLimitProxy(registries.berth!, 1 << 20);
    const dir = mkdtempSync(join(tmpdir(), 'berth-compat-chunks-'));
    try {
      mkdirSync(join(dir, 'root'));
      writeFileSync(join(dir, 'root', 'data'), randomBytes(3 << 20));
      const tar = join(dir, 'layer.tar');
      assert.equal((await run('tar', ['-C', join(dir, 'root'), '-cf', tar, 'data'])).code, 0);
      const name = `${proxy.host}/compat/chunked:v1`;
      await tgt.ok(['import', tar, name]);
      const id = (await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', name])).stdout.trim();
      const push = await tgt.docker(['push', name]);
      const patches = proxy.log.filter((r) => r.method === 'PATCH');
      if (TARGET === 'dockerd') {
        // dockerd sends a layer in one PATCH, whatever its size: the limit stops it (it retries, then gives up).
        assert.notEqual(push.code, 0, push.stdout);
        assert.ok(patches.some((r) => r.status === 413 && r.contentRange === ''), JSON.stringify(patches));
        return;
      }
      assert.equal(push.code, 0, push.stderr);
      assert.match(push.stdout, /v1: digest: sha256:[a-f0-9]{64}/);
      const accepted = patches.filter((r) => r.status === 202);
      assert.ok(accepted.length >= 3, JSON.stringify(proxy.log));
      for (const r of accepted) {
        assert.match(r.contentRange, /^\d+-\d+$/);
        assert.ok(r.bytes <= 1 << 20, `${r.bytes} bytes in one PATCH`);
      }
      await tgt.ok(['rmi', name]);
      await tgt.ok(['pull', name]);
      assert.equal((await tgt.ok(['image', 'inspect', '-f', '{{.Id}}', name])).stdout.trim(), id);
    } finally {
      await tgt.docker(['rmi', `${proxy.host}/compat/chunked:v1`]);
      await proxy.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  s.test('pushing an image that is not there', async (tgt) => {
    const reg = registries.berth!;
    const r = await tgt.fails(['push', `${reg.host}/no/such:tag`], 1);
    assert.match(r.stderr, /An image does not exist locally with the tag: 127\.0\.0\.1:\d+\/no\/such/);
  });
});
