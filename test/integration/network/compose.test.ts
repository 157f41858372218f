// docker-compose (Debian's, through docker-py) against a private berthd: a
// two-service app on a user-defined network, the client reaching the web
// service by its name, and `down` leaving no container or network.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { DOCKER_CLI, run, skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';

const COMPOSE = '/usr/bin/docker-compose';
const YML = `version: "3"
services:
  web:
    image: busybox
    command: sh -c 'mkdir -p /w && echo compose-hello > /w/index.html && exec httpd -f -p 80 -h /w'
    networks: [back]
  client:
    image: busybox
    command: sh -c 'for i in 1 2 3 4 5; do timeout 3 wget -qO- http://web/ && break; sleep 1; done; exec sleep 300'
    networks: [back]
    depends_on: [web]
networks:
  back: {}
`;

const skip = skipUnlessRoot() || (existsSync(COMPOSE) ? false : `${COMPOSE} is not installed (Debian docker-compose)`);

describe('docker-compose on berth networks', { skip }, () => {
  let d: PrivateDaemon;
  let dir: string;
  const compose = (...args: string[]) => run(COMPOSE, ['-p', 'bthc', ...args], { env: d.env, cwd: dir, timeout: 120_000 });

  before(async () => {
    d = await startBerthd();
    dir = mkdtempSync('/tmp/bt-compose-');
    writeFileSync(`${dir}/docker-compose.yml`, YML);
  });
  after(async () => {
    await d?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('up: the client reaches web by name on the project network; down removes everything', async () => {
    const up = await compose('up', '-d');
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /Creating network "bthc_back"/);
    let logs = '';
    for (let i = 0; i < 40 && !logs.includes('compose-hello'); i++) {
      await new Promise((r) => setTimeout(r, 250));
      logs = (await compose('logs', '--no-color', 'client')).stdout;
    }
    assert.match(logs, /compose-hello/);
    const down = await compose('down', '-t', '1');
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, /Removing network bthc_back/);
    const nets = (await run(DOCKER_CLI, ['network', 'ls', '--format', '{{.Name}}'], { env: d.env })).stdout.trim().split('\n').sort();
    assert.deepEqual(nets, ['bridge', 'host', 'none']);
    assert.equal((await run(DOCKER_CLI, ['ps', '-aq'], { env: d.env })).stdout.trim(), '');
  });
});
