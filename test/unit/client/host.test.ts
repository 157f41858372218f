import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HOST, parseHost, resolveHost } from '../../../src/client/host.ts';

test('-H beats BERTH_HOST beats DOCKER_HOST beats the default socket', () => {
  assert.equal(resolveHost('unix:///a', { BERTH_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' }), 'unix:///a');
  assert.equal(resolveHost(undefined, { BERTH_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' }), 'unix:///b');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///c' }), 'unix:///c');
  assert.equal(resolveHost(undefined, {}), DEFAULT_HOST);
  assert.equal(DEFAULT_HOST, 'unix:///run/berth/berth.sock');
});

test('parses unix and tcp addresses', () => {
  assert.deepEqual(parseHost('unix:///run/x.sock'), { url: 'unix:///run/x.sock', socketPath: '/run/x.sock' });
  assert.deepEqual(parseHost('/run/x.sock'), { url: 'unix:///run/x.sock', socketPath: '/run/x.sock' });
  assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { url: 'tcp://127.0.0.1:2375', hostname: '127.0.0.1', port: 2375 });
  assert.throws(() => parseHost('ssh://host'), /protocol not available: ssh/);
  assert.throws(() => parseHost('nonsense'), /unable to parse docker host/);
});
