// berthd's registry listener end to end: berthd A serves its image store
// (--registry-listen, htpasswd from daemon.json keys); skopeo (Debian's)
// inspects and copies from it; a second private berthd B logs in and
// `docker pull`s 127.0.0.1:PORT/name:tag with the real docker CLI and runs
// it: same image ID on both sides; unauthenticated requests and pushes are
// refused; nothing of A's blobs is copied (no registry root exists).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { DOCKER_CLI, run, runOk, skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';
import { freePort } from '../../helpers/registry.ts';

const SKOPEO = '/usr/bin/skopeo';
const skip = skipUnlessRoot() || (existsSync(SKOPEO) ? false : 'skopeo is not installed (scripts/setup.sh --dev)');

describe('berthd registry listener', { skip }, () => {
  let a: PrivateDaemon;
  let b: PrivateDaemon;
  let host: string;
  let dir: string;
  const docker = (d: PrivateDaemon, args: string[], input?: string) => run(DOCKER_CLI, args, { env: d.env, timeout: 120_000, ...(input !== undefined ? { input } : {}) });
  const sk = (...args: string[]) => run(SKOPEO, ['--insecure-policy', ...args], { timeout: 60_000 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-engine-listener-'));
    writeFileSync(join(dir, 'htpasswd'), `ci:${bcrypt.hashSync('pa55word', 4)}\n`);
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    a = await startBerthd({ config: { 'registry-listen': host, 'registry-htpasswd': join(dir, 'htpasswd') } });
    b = await startBerthd();
    const tag = await docker(a, ['tag', 'busybox', 'team/app:v1']);
    assert.equal(tag.code, 0, tag.stderr);
  });

  after(async () => {
    await a?.cleanup();
    await b?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('skopeo: refused without credentials, inspects and copies with them', async () => {
    const anon = await sk('inspect', '--tls-verify=false', `docker://${host}/team/app:v1`);
    assert.notEqual(anon.code, 0);
    assert.match(anon.stderr, /unauthorized|authentication required/i);
    const creds = '--creds=ci:pa55word';
    const id = (await docker(a, ['image', 'inspect', '-f', '{{.Id}}', 'team/app:v1'])).stdout.trim();
    const raw = JSON.parse((await runOk(SKOPEO, ['inspect', '--tls-verify=false', creds, '--raw', `docker://${host}/team/app:v1`])).stdout);
    assert.equal(raw.config.digest, id);
    const tags = JSON.parse((await runOk(SKOPEO, ['list-tags', '--tls-verify=false', creds, `docker://${host}/team/app`])).stdout);
    assert.deepEqual(tags.Tags, ['v1']);
    const out = await sk('copy', '--src-tls-verify=false', `--src-creds=ci:pa55word`, `docker://${host}/team/app:v1`, `oci:${dir}/oci:v1`);
    assert.equal(out.code, 0, out.stderr);
    const idx = JSON.parse(readFileSync(`${dir}/oci/index.json`, 'utf8'));
    const manifest = JSON.parse(readFileSync(`${dir}/oci/blobs/${idx.manifests[0].digest.replace(':', '/')}`, 'utf8'));
    assert.equal(manifest.config.digest, id);
    // A push is refused: the listener is read-only.
    const push = await sk('copy', '--dest-tls-verify=false', '--dest-creds=ci:pa55word', `oci:${dir}/oci:v1`, `docker://${host}/team/pushed:v1`);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /unsupported|405|read-only/i);
    // Nothing was written beside the engine's own store: no registry root anywhere under its data root.
    assert.ok(!readdirSync(a.dataRoot).includes('registry.db'));
  });

  test('a second berthd: docker login, docker pull 127.0.0.1:PORT/team/app:v1, same image ID, runs', async () => {
    // (An anonymous `docker pull` is refused too, but the CLI then prompts for a login and waits:
    // the refusal is checked on the daemon's API instead.)
    const anon = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--unix-socket', b.socket, '-X', 'POST',
      `http://x/images/create?fromImage=${host}/team/app&tag=v1`], { timeout: 60_000 });
    assert.notEqual(anon.stdout, '200');
    const login = await docker(b, ['login', '-u', 'ci', '--password-stdin', host], 'pa55word\n');
    assert.equal(login.code, 0, login.stderr);
    const pull = await docker(b, ['pull', `${host}/team/app:v1`]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /v1: Pulling from team\/app/);
    const idA = (await docker(a, ['image', 'inspect', '-f', '{{.Id}}', 'team/app:v1'])).stdout.trim();
    const idB = (await docker(b, ['image', 'inspect', '-f', '{{.Id}}', `${host}/team/app:v1`])).stdout.trim();
    assert.match(idA, /^sha256:[a-f0-9]{64}$/);
    assert.equal(idB, idA);
    const r = await docker(b, ['run', '--rm', '--network', 'none', `${host}/team/app:v1`, 'echo', 'pulled from berthd']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'pulled from berthd\n');
    // Retagged on A: served at once under the new name.
    await docker(a, ['tag', 'busybox', 'team/app:v2']);
    const v2 = await docker(b, ['pull', `${host}/team/app:v2`]);
    assert.equal(v2.code, 0, v2.stderr);
    assert.match(v2.stdout, /Image is up to date|Downloaded newer image/);
  });
});
