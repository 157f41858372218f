// Who may talk to berthd: the unix socket is 0660 root:berth, and a TCP
// listener speaks only mutual TLS, so a client without a certificate signed
// by the daemon's CA is refused before any request reaches the API. Driven
// with the real docker CLI and berth, with certificates made by openssl.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import net from 'node:net';
import http from 'node:http';
import { startBerthd, run, BERTH, BERTHD, DOCKER_CLI, skipUnlessRoot, type PrivateDaemon } from '../../helpers/daemon.ts';
import { ping } from '../../helpers/api.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A CA with a server and a client certificate, and a second CA with a client of its own. */
function makeCerts(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name: string) => ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', `${name}-key.pem`);
  for (const ca of ['ca', 'rogue-ca']) {
    key(ca);
    ssl('req', '-x509', '-new', '-key', `${ca}-key.pem`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=berth test ${ca}`);
  }
  writeFileSync(`${dir}/server.ext`, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(`${dir}/client.ext`, 'extendedKeyUsage=clientAuth\n');
  const sign = (name: string, ca: string, ext: string) => {
    key(name);
    ssl('req', '-new', '-key', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-CAcreateserial',
      '-out', `${name}-cert.pem`, '-days', '2', '-extfile', ext);
  };
  sign('server', 'ca', 'server.ext');
  sign('client', 'ca', 'client.ext');
  sign('rogue', 'rogue-ca', 'client.ext');
}

describe('API access: socket mode and group, TCP only with mutual TLS', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  let certs: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    certs = mkdtempSync('/tmp/bt-tls-');
    makeCerts(certs);
    port = await freePort();
    d = await startBerthd({
      args: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', `${certs}/ca.pem`,
        '--tlscert', `${certs}/server-cert.pem`, '--tlskey', `${certs}/server-key.pem`],
    });
    // No DOCKER_HOST, no ~/.docker: every client below says what it uses.
    env = { PATH: process.env.PATH, HOME: certs, DOCKER_CONFIG: `${certs}/docker-config` };
  });
  after(async () => {
    await d?.cleanup();
    if (certs) rmSync(certs, { recursive: true, force: true });
  });

  const tlsArgs = (client: string) => ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', `${certs}/ca.pem`,
    '--tlscert', `${certs}/${client}-cert.pem`, '--tlskey', `${certs}/${client}-key.pem`];

  test('the unix socket is mode 0660, group berth (created by set-up)', () => {
    const group = spawnSync('getent', ['group', 'berth'], { encoding: 'utf8' });
    assert.equal(group.status, 0, 'group berth is missing: scripts/setup.sh creates it');
    const st = statSync(d.socket);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 0);
    assert.equal(st.gid, Number(group.stdout.split(':')[2]));
  });

  test('the docker CLI and berth work over tcp with --tlsverify and a client certificate', async () => {
    const v = await run(DOCKER_CLI, [...tlsArgs('client'), 'version', '--format', '{{.Server.Os}}'], { env });
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), 'linux');
    // A hijacked attach and a wait over the same TLS listener.
    const r = await run(DOCKER_CLI, [...tlsArgs('client'), 'run', '--rm', '--network', 'none', 'busybox', 'echo', 'over tls'], { env, timeout: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'over tls\n');
    const b = await run(BERTH, [...tlsArgs('client'), 'run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo berth over tls; exit 3'], { env, timeout: 90_000 });
    assert.equal(b.code, 3, b.stderr);
    assert.equal(b.stdout, 'berth over tls\n');
    // DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, the way docker-machine users set it up.
    const certEnv = { ...env, DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: `${certs}/envcerts` };
    execFileSync('sh', ['-c', `mkdir -p envcerts && cp ca.pem envcerts/ca.pem && cp client-cert.pem envcerts/cert.pem && cp client-key.pem envcerts/key.pem`], { cwd: certs });
    const e = await run(BERTH, ['ps', '-a', '--format', '{{.ID}}'], { env: certEnv });
    assert.equal(e.code, 0, e.stderr);
  });

  test('clients without a certificate from the CA are refused; plain HTTP gets no API', async () => {
    const noCert = await run(DOCKER_CLI, ['-H', `tcp://127.0.0.1:${port}`, '--tls', '--tlscacert', `${certs}/ca.pem`, 'version', '--format', '{{.Server.Os}}'], { env });
    assert.notEqual(noCert.code, 0);
    assert.doesNotMatch(noCert.stdout, /linux/);
    const rogue = await run(DOCKER_CLI, [...tlsArgs('rogue'), 'ps'], { env });
    assert.notEqual(rogue.code, 0);
    assert.match(rogue.stderr, /certificate|tls/i);
    const berthNoCert = await run(BERTH, ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', `${certs}/ca.pem`, 'ps'], { env });
    assert.notEqual(berthNoCert.code, 0);
    const plain = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/containers/json' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    assert.equal(plain.status, 400);
    assert.match(plain.body, /Client sent an HTTP request to an HTTPS server/);
    const plainCli = await run(DOCKER_CLI, ['-H', `tcp://127.0.0.1:${port}`, 'ps'], { env });
    assert.notEqual(plainCli.code, 0);
    assert.ok(await ping(d.socket), 'the daemon still serves');
  });

  test('berthd refuses to listen on tcp without --tlsverify, naming what to give', async () => {
    const other = await freePort();
    const r = spawnSync(BERTHD, ['-H', `tcp://127.0.0.1:${other}`, '--data-root', `${d.dir}/other-root`, '--exec-root', `${d.dir}/other-exec`,
      '--config-file', `${d.dir}/berthd.json`], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /refusing to listen on tcp:\/\/127\.0\.0\.1:\d+ without mutual TLS: give --tlsverify with --tlscacert, --tlscert and --tlskey/);
  });
});
